// REPLACE in the store (RFC 8508): the old message's removal and the new one's filing are one
// transaction. What a crash between them would leave is what a refused filing leaves: the old
// message alone, untouched (no VANISHED, no new MODSEQ).
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

TEST_CASE("replace removes the old message and files the new one together") {
    unit_test::TempDir dir;
    auto s = std::move(open_sqlite(dir.path / "s.db")).value();
    NewAccount n;
    n.address = "a@x.fr";
    REQUIRE(s->create_account(n));
    std::vector<std::string> draft{"\\Draft"}, seen{"\\Seen"};
    REQUIRE(s->append("a@x.fr", "Drafts", "Subject: v1\r\n\r\nx", draft, 1000));
    auto before = s->changes_since("a@x.fr", "Drafts", 0);
    REQUIRE(before);

    SUBCASE("into the same mailbox") {
        auto done = s->replace("a@x.fr", "Drafts", 1, "a@x.fr", "Drafts", NewMessage{"Subject: v2\r\n\r\ny", draft, 2000});
        REQUIRE(done);
        CHECK(done->uid == 2);
        CHECK(done->expunged == std::vector<uint32_t>{1});
        auto listed = s->list_messages("a@x.fr", "Drafts");
        REQUIRE(listed->size() == 1);
        CHECK((*listed)[0].uid == 2);
        CHECK(*s->fetch_message("a@x.fr", "Drafts", 2) == "Subject: v2\r\n\r\ny");
        CHECK(*s->vanished_since("a@x.fr", "Drafts", before->highest_modseq) == std::vector<uint32_t>{1});
    }
    SUBCASE("into another mailbox, the old one already gone") {
        auto done = s->replace("a@x.fr", "Drafts", 7, "a@x.fr", "Sent", NewMessage{"Subject: v2\r\n\r\ny", seen, 2000});
        REQUIRE(done);
        CHECK(done->expunged.empty());
        CHECK(s->list_messages("a@x.fr", "Drafts")->size() == 1);
        CHECK(s->list_messages("a@x.fr", "Sent")->size() == 1);
    }
    SUBCASE("the quota counts the old message as gone") {
        REQUIRE(s->set_quota("a@x.fr", Quota{std::nullopt, 1}));
        CHECK(s->replace("a@x.fr", "Drafts", 1, "a@x.fr", "Drafts", NewMessage{"Subject: v2\r\n\r\ny", draft, 2000}));
        CHECK(s->list_messages("a@x.fr", "Drafts")->size() == 1);
    }
    SUBCASE("a refused filing leaves the old message as it was") {
        REQUIRE(s->set_quota("a@x.fr", Quota{1, std::nullopt}));  // 1 KiB
        std::string large = "Subject: v2\r\n\r\n" + std::string(4096, 'z');
        auto refused = s->replace("a@x.fr", "Drafts", 1, "a@x.fr", "Drafts", NewMessage{large, draft, 2000});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::OverQuota);
        auto listed = s->list_messages("a@x.fr", "Drafts");
        REQUIRE(listed->size() == 1);
        CHECK((*listed)[0].uid == 1);
        CHECK(s->vanished_since("a@x.fr", "Drafts", before->highest_modseq)->empty());
        CHECK(s->changes_since("a@x.fr", "Drafts", 0)->highest_modseq == before->highest_modseq);
        CHECK(s->replace("a@x.fr", "Drafts", 1, "a@x.fr", "Nowhere", NewMessage{"x", draft, 0}).error().kind ==
              ErrorKind::NotFound);
        CHECK(s->list_messages("a@x.fr", "Drafts")->size() == 1);
    }
}
