// What the store keeps for SAVEDATE (RFC 8514) and OBJECTID (RFC 8474): each filing's save date,
// an EMAILID that COPY and MOVE keep, a MAILBOXID that RENAME keeps and a new folder never reuses.
#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {

bool is_object_id(const std::string& id) {
    return !id.empty() && id.size() <= 255 &&
           std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

std::string mailbox_id(Store& s, const std::string& name) {
    auto all = s.folders("a@x.fr");
    REQUIRE(all);
    for (auto& f : *all)
        if (f.name == name) return f.mailbox_id;
    return {};
}

}  // namespace

TEST_CASE("save dates, EMAILIDs and MAILBOXIDs") {
    unit_test::TempDir dir;
    auto s = std::move(open_sqlite(dir.path / "s.db")).value();
    NewAccount n;
    n.address = "a@x.fr";
    REQUIRE(s->create_account(n));
    std::vector<std::string> none;
    int64_t before = std::time(nullptr);
    REQUIRE(s->append("a@x.fr", "INBOX", "Subject: un\r\n\r\nx", none, 1000));
    REQUIRE(s->append("a@x.fr", "INBOX", "Subject: un\r\n\r\nx", none, 1000));
    auto inbox = *s->list_messages("a@x.fr", "INBOX");
    REQUIRE(inbox.size() == 2);
    REQUIRE(inbox[0].save_date);
    CHECK(*inbox[0].save_date >= before);
    CHECK(*inbox[0].save_date <= std::time(nullptr));
    CHECK(inbox[0].internal_date == 1000);
    CHECK(is_object_id(inbox[0].email_id));
    CHECK(inbox[0].email_id != inbox[1].email_id);  // the same octets appended twice are two messages

    std::vector<uint32_t> first{inbox[0].uid};
    REQUIRE(s->copy("a@x.fr", "INBOX", first, "a@x.fr", "Archive", false));
    REQUIRE(s->copy("a@x.fr", "INBOX", first, "a@x.fr", "Trash", true));
    CHECK(s->list_messages("a@x.fr", "Archive")->at(0).email_id == inbox[0].email_id);
    CHECK(s->list_messages("a@x.fr", "Trash")->at(0).email_id == inbox[0].email_id);
    CHECK(s->list_messages("a@x.fr", "Trash")->at(0).save_date.has_value());

    auto made = s->create_folder("a@x.fr", "Projets", "");
    REQUIRE(made);
    CHECK(is_object_id(made->mailbox_id));
    CHECK(made->mailbox_id == mailbox_id(*s, "Projets"));
    CHECK(made->mailbox_id != mailbox_id(*s, "INBOX"));
    REQUIRE(s->rename_folder("a@x.fr", "Projets", "Dossiers"));
    CHECK(mailbox_id(*s, "Dossiers") == made->mailbox_id);
    REQUIRE(s->delete_folder("a@x.fr", "Dossiers"));
    auto again = s->create_folder("a@x.fr", "Dossiers", "");
    REQUIRE(again);
    CHECK(again->mailbox_id != made->mailbox_id);  // never reused (RFC 8474 4.1)
}
