// Mailbox names on the wire (LIST wildcards, quoting, UID sets) and the namespace resolution that
// keeps a personal mailbox its owner's alone, over a real SQLite store.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "imap/names.h"
#include "imap/namespace.h"

using namespace mss;
using namespace mss::imap;

TEST_CASE("LIST wildcards: % stops at the separator, * does not; many stars stay cheap") {
    CHECK(list_match("*", "a/b/c"));
    CHECK(list_match("%", "INBOX"));
    CHECK_FALSE(list_match("%", "a/b"));
    CHECK(list_match("a/%", "a/b"));
    CHECK_FALSE(list_match("a/%", "a/b/c"));
    CHECK(list_match("a*c", "a/b/c"));
    CHECK_FALSE(list_match("a%c", "a/b/c"));
    CHECK(list_match("", ""));
    CHECK_FALSE(list_match("", "a"));
    CHECK_FALSE(list_match(std::string(200, '*') + "x", std::string(5000, 'a')));
}

TEST_CASE("quoting and UID sets") {
    CHECK(quoted_mailbox("Résultats") == "\"R&AOk-sultats\"");
    CHECK(quoted_mailbox("a\"b\\c") == "\"a\\\"b\\\\c\"");
    // IMAP4rev2 / UTF8=ACCEPT: UTF-8 as stored, "&" no longer special, quotes still escaped.
    CHECK(quoted_mailbox("Résultats", NameEncoding::Utf8) == "\"Résultats\"");
    CHECK(quoted_mailbox("R&D", NameEncoding::Utf8) == "\"R&D\"");
    CHECK(quoted_mailbox("R&D") == "\"R&-D\"");
    CHECK(quoted_mailbox("a\"b\\c", NameEncoding::Utf8) == "\"a\\\"b\\\\c\"");
    CHECK(uid_set({}) == "");
    CHECK(uid_set({1, 2, 3, 5, 7, 8}) == "1:3,5,7:8");
}

namespace {
struct TempStore {
    std::filesystem::path dir;
    std::unique_ptr<store::Store> store;
    TempStore() {
        char tmpl[] = "/tmp/mssd-ns-XXXXXX";
        dir = mkdtemp(tmpl);
        store = std::move(store::open_sqlite(dir / "s.db")).value();
        REQUIRE(store->create_account({"gp@cab.fr", store::MailboxKind::Personal, {}, {}, {}}).ok());
        REQUIRE(store->create_account({"dr@cab.fr", store::MailboxKind::Personal, {}, {}, {}}).ok());
        REQUIRE(store->create_account({"cabinet@cab.fr", store::MailboxKind::Organisational, {}, {}, {}}).ok());
        REQUIRE(store->set_member("cabinet@cab.fr", "gp@cab.fr", "lrs").ok());
    }
    ~TempStore() { std::filesystem::remove_all(dir); }
};
}  // namespace

TEST_CASE("namespace: own folders, shared organisational folders for members only") {
    TempStore t;
    auto own = find_mailbox(*t.store, "gp@cab.fr", "INBOX");
    REQUIRE(own.ok());
    CHECK(own->owner == "gp@cab.fr");
    CHECK(own->rights == "lrswipkxtea");
    auto shared = find_mailbox(*t.store, "gp@cab.fr", "Shared/cabinet@cab.fr/inbox");
    REQUIRE(shared.ok());
    CHECK(shared->owner == "cabinet@cab.fr");
    CHECK(shared->folder == "INBOX");
    CHECK(shared->name == "Shared/cabinet@cab.fr/INBOX");
    CHECK(shared->rights == "lrs");
    CHECK(find_mailbox(*t.store, "dr@cab.fr", "Shared/cabinet@cab.fr/INBOX").error().kind == ErrorKind::NotFound);
    CHECK(find_mailbox(*t.store, "dr@cab.fr", "Shared/gp@cab.fr/INBOX").error().kind == ErrorKind::NotFound);
    CHECK(find_mailbox(*t.store, "gp@cab.fr", "Shared/gp@cab.fr/INBOX").error().kind == ErrorKind::NotFound);
    CHECK(target_of(*t.store, "dr@cab.fr", "Shared").error().kind == ErrorKind::NotFound);
    CHECK(target_of(*t.store, "dr@cab.fr", "Shared/gp@cab.fr/x").error().kind == ErrorKind::NotFound);
    auto visible = visible_mailboxes(*t.store, "dr@cab.fr");
    REQUIRE(visible.ok());
    for (auto& m : *visible) CHECK(m.owner == "dr@cab.fr");
    auto gp = visible_mailboxes(*t.store, "gp@cab.fr");
    CHECK(gp->size() == 12);
}

TEST_CASE("namespace: a member with i but neither l nor r names the mailbox but does not see it listed") {
    TempStore t;
    REQUIRE(t.store->set_member("cabinet@cab.fr", "dr@cab.fr", "ip").ok());
    auto shared = find_mailbox(*t.store, "dr@cab.fr", "Shared/cabinet@cab.fr/INBOX");
    REQUIRE(shared.ok());  // RFC 4314 4: "i" alone allows APPEND
    CHECK(shared->rights == "ip");
    CHECK(visible_mailboxes(*t.store, "dr@cab.fr")->size() == 6);
    REQUIRE(t.store->set_member("cabinet@cab.fr", "dr@cab.fr", "").ok());
    CHECK(find_mailbox(*t.store, "dr@cab.fr", "Shared/cabinet@cab.fr/INBOX").error().kind == ErrorKind::NotFound);
}
