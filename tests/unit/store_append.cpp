// APPEND and MULTIAPPEND in the store: messages filed together with consecutive UIDs, or none of
// them when the quota would be exceeded.
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

TEST_CASE("append_all files every message or none") {
    unit_test::TempDir dir;
    {
        auto s = std::move(open_sqlite(dir.path / "s.db")).value();
        NewAccount n;
        n.address = "a@x.fr";
        REQUIRE(s->create_account(n));
        std::vector<std::string> seen{"\\Seen", "\\Seen"}, none;
        std::vector<NewMessage> two{{"Subject: un\r\n\r\nx", seen, 1000}, {"Subject: deux\r\n\r\ny", none, 2000}};
        auto uids = s->append_all("a@x.fr", "Drafts", two);
        REQUIRE(uids);
        CHECK(*uids == std::vector<uint32_t>{1, 2});
        auto listed = s->list_messages("a@x.fr", "Drafts");
        REQUIRE(listed->size() == 2);
        CHECK((*listed)[0].flags == std::vector<std::string>{"\\Seen"});
        CHECK((*listed)[1].internal_date == 2000);

        REQUIRE(s->set_quota("a@x.fr", Quota{std::nullopt, 3}));
        auto over = s->append_all("a@x.fr", "INBOX", two);
        CHECK(over.error().kind == ErrorKind::OverQuota);
        CHECK(s->list_messages("a@x.fr", "INBOX")->empty());
        CHECK(s->append_all("a@x.fr", "Nowhere", two).error().kind == ErrorKind::NotFound);
    }
}
