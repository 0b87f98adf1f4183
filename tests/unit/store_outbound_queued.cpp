// A delivery's further queued messages (Direct notifications, the copy encrypted for remote
// recipients): filed in the delivery's own transaction, each under its own queue id with its return
// path; nothing of the delivery is kept when one of them is refused.
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {

Delivery local_delivery(int64_t account) {
    Delivery d;
    d.return_path = "lab@b.fr";
    d.account_ids = {account};
    d.content = "Subject: x\r\n\r\nbody\r\n";
    d.internal_date = 1000;
    return d;
}

}  // namespace

TEST_CASE("a local delivery queues its notifications with the null return path, processed before dispatched") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    NewAccount n;
    n.address = "dr@a.fr";
    auto local = s->create_account(n).value();
    Delivery delivery = local_delivery(local.id);
    delivery.queued.push_back({"ID1.0000q", "", {"lab@b.fr"}, "dispatched mdn"});
    delivery.queued.push_back({"ID1.0000p", "", {"Lab@B.fr"}, "processed mdn"});
    std::vector<Delivery> batch{delivery};
    REQUIRE(s->deliver_batch(batch)[0]);
    CHECK(s->list_messages("dr@a.fr", "INBOX")->size() == 1);
    auto due = s->outbound_due("b.fr", 2000, 10).value();
    REQUIRE(due.size() == 2);
    CHECK(due[0].id == "ID1.0000p");
    CHECK(due[1].id == "ID1.0000q");
    CHECK(due[0].return_path == "");
    CHECK(due[0].recipients.at(0).address == "lab@b.fr");
    CHECK(*s->outbound_content("ID1.0000p") == "processed mdn");
}

TEST_CASE("the encrypted copy and the signed one leave under their own ids, each with its recipients") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    Delivery delivery;
    delivery.return_path = "dr@a.fr";
    delivery.internal_date = 1000;
    delivery.queue_id = "Q1";
    delivery.remote_recipients = {"plain@b.fr"};
    delivery.outbound_content = "signed";
    delivery.queued.push_back({"Q1.E", "dr@a.fr", {"holder@b.fr"}, "encrypted"});
    std::vector<Delivery> batch{delivery};
    REQUIRE(s->deliver_batch(batch)[0]);
    auto due = s->outbound_due("b.fr", 2000, 10).value();
    REQUIRE(due.size() == 2);
    CHECK(due[0].id == "Q1");
    CHECK(due[0].recipients.at(0).address == "plain@b.fr");
    CHECK(due[1].id == "Q1.E");
    CHECK(due[1].recipients.at(0).address == "holder@b.fr");
    CHECK(due[1].return_path == "dr@a.fr");
    CHECK(*s->outbound_content("Q1.E") == "encrypted");
}

TEST_CASE("a queued message without recipients, or with a forged return path, refuses the whole delivery") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    NewAccount n;
    n.address = "dr@a.fr";
    auto local = s->create_account(n).value();
    Delivery empty = local_delivery(local.id);
    empty.queued.push_back({"N1", "", {}, "mdn"});
    Delivery forged = local_delivery(local.id);
    forged.queued.push_back({"N2", "x>\r\nBcc: y", {"lab@b.fr"}, "mdn"});
    std::vector<Delivery> batch{empty, forged};
    auto out = s->deliver_batch(batch);
    CHECK_FALSE(out[0]);
    CHECK_FALSE(out[1]);
    CHECK(s->list_messages("dr@a.fr", "INBOX")->size() == 0);
    CHECK(s->outbound_list()->empty());
}
