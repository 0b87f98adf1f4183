// The change set a feed reads after each import (mailbox_changes): added, changed and withdrawn
// addresses, in the import's transaction, paged by seq, acknowledged, and never reused seqs.
#include <doctest/doctest.h>

#include <algorithm>

#include "directory/directory.h"
#include "temp_dir.h"

using namespace mss::directory;

namespace {

MailboxEntry mailbox(const std::string& address, uint64_t fingerprint = 1) {
    MailboxEntry e;
    e.address = address;
    e.ps_idnat = "810001045367";
    e.family = "DUPONT";
    e.fingerprint = fingerprint;
    return e;
}

void import(Directory& d, std::initializer_list<MailboxEntry> entries) {
    auto session = std::move(d.begin_import(ExtractionKind::Correspondance)).value();
    for (const auto& e : entries) REQUIRE(session->add(e).value());
    REQUIRE(session->commit("test.txt", entries.size(), 0).ok());
}

std::vector<std::string> pending(Directory& d) {
    std::vector<std::string> out;
    auto changes = d.mailbox_changes(0, 1000);
    REQUIRE(changes.ok());
    for (const auto& c : *changes) out.push_back(c.address);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("an import queues what it added, changed and withdrew, not what it left unchanged") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr"), mailbox("c@x.fr")});
    CHECK(pending(*d) == std::vector<std::string>{"a@x.fr", "b@x.fr", "c@x.fr"});
    auto all = d->mailbox_changes(0, 10).value();
    REQUIRE(d->acknowledge_mailbox_changes(all.back().seq).ok());
    CHECK(pending(*d).empty());
    import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr", 2), mailbox("d@x.fr")});  // c withdrawn, b changed, d added
    CHECK(pending(*d) == std::vector<std::string>{"b@x.fr", "c@x.fr", "d@x.fr"});
    CHECK(d->status().value().pending_mailbox_changes == 3);
}

TEST_CASE("a refused import queues nothing") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    {
        auto session = std::move(d->begin_import(ExtractionKind::Correspondance)).value();
        REQUIRE(session->add(mailbox("a@x.fr")).value());
    }  // destroyed without commit
    CHECK(pending(*d).empty());
}

TEST_CASE("pages by seq; an address changed again moves to a new seq; acknowledged seqs are never given again") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr"), mailbox("c@x.fr")});
    auto first = d->mailbox_changes(0, 2).value();
    REQUIRE(first.size() == 2);
    auto rest = d->mailbox_changes(first.back().seq, 2).value();
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].seq > first.back().seq);
    REQUIRE(d->note_mailbox_change("a@x.fr").ok());  // its certificate changed
    auto again = d->mailbox_changes(rest[0].seq, 10).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].address == "a@x.fr");
    REQUIRE(d->acknowledge_mailbox_changes(again[0].seq).ok());
    CHECK(pending(*d).empty());
    REQUIRE(d->note_mailbox_change("z@x.fr").ok());
    auto fresh = d->mailbox_changes(0, 10).value();
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].seq > again[0].seq);  // an old acknowledgement can never cover it
}

TEST_CASE("each_mailbox visits every mailbox by address and answers the snapshot's last seq") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    auto red = mailbox("r@x.fr");
    red.liste_rouge = true;
    import(*d, {mailbox("b@x.fr"), red, mailbox("a@x.fr")});
    std::vector<std::string> seen;
    auto last = d->each_mailbox([&](const MailboxEntry& m) -> mss::Status {
        seen.push_back(m.address + (m.liste_rouge ? "!" : ""));
        return mss::Ok{};
    });
    REQUIRE(last.ok());
    CHECK(seen == std::vector<std::string>{"a@x.fr", "b@x.fr", "r@x.fr!"});
    CHECK(*last == 3);
    auto stopped = d->each_mailbox([](const MailboxEntry&) -> mss::Status { return mss::fail(mss::ErrorKind::Io, "disk full"); });
    CHECK_FALSE(stopped.ok());
}

TEST_CASE("the operator's liste rouge mark is a change for the feeds, and each_mailbox reports it") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr")});
    auto upto = d->mailbox_changes(0, 1000);
    REQUIRE(upto.ok());
    REQUIRE(d->acknowledge_mailbox_changes(upto->back().seq).ok());
    REQUIRE(pending(*d).empty());

    REQUIRE(d->set_liste_rouge("b@x.fr", true).ok());
    CHECK(pending(*d) == std::vector<std::string>{"b@x.fr"});
    std::vector<std::string> seen;
    REQUIRE(d->each_mailbox([&](const MailboxEntry& m) -> mss::Status {
                 seen.push_back(m.address + (m.liste_rouge ? "!" : ""));
                 return mss::Ok{};
             }).ok());
    CHECK(seen == std::vector<std::string>{"a@x.fr", "b@x.fr!"});
}
