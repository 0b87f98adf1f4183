// The outbound queue in the store: remote recipients filed with the local copies in one delivery,
// due recipients per domain, attempts recorded (delivered leave, failed stay), flush, delete, routes.
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {

Delivery remote_delivery(const std::string& id, std::vector<std::string> remote, std::vector<int64_t> local = {}) {
    Delivery d;
    d.return_path = "dr@a.fr";
    d.account_ids = std::move(local);
    d.content = "Subject: x\r\n\r\nbody\r\n";
    d.internal_date = 1000;
    d.queue_id = id;
    d.remote_recipients = std::move(remote);
    d.outbound_content = "Received: by a.fr\r\nSubject: x\r\n\r\nbody\r\n";
    return d;
}

}  // namespace

TEST_CASE("a delivery queues its remote recipients beside its local copies, in one transaction") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    NewAccount n;
    n.address = "local@a.fr";
    auto local = s->create_account(n).value();
    std::vector<Delivery> batch{remote_delivery("Q1", {"X@B.fr", "y@b.fr", "z@c.fr"}, {local.id})};
    auto out = s->deliver_batch(batch);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0]);
    CHECK(s->list_messages("local@a.fr", "INBOX")->size() == 1);
    auto domains = s->outbound_due_domains(2000).value();
    CHECK(domains == std::vector<std::string>{"b.fr", "c.fr"});
    auto due = s->outbound_due("b.fr", 2000, 10).value();
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == "Q1");
    REQUIRE(due[0].recipients.size() == 2);
    CHECK(due[0].recipients[0].address == "x@b.fr");
    CHECK(*s->outbound_content("Q1") == "Received: by a.fr\r\nSubject: x\r\n\r\nbody\r\n");
}

TEST_CASE("remote recipients alone make a delivery; without a queue id it is refused") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    std::vector<Delivery> batch{remote_delivery("Q1", {"x@b.fr"}), remote_delivery("", {"x@b.fr"})};
    auto out = s->deliver_batch(batch);
    CHECK(out[0]);
    CHECK_FALSE(out[1]);
    CHECK(s->outbound_list()->size() == 1);
}

TEST_CASE("attempts: a retry waits, a delivered recipient leaves, a failed one stays, the last takes the message") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    std::vector<Delivery> batch{remote_delivery("Q1", {"x@b.fr", "y@b.fr"})};
    REQUIRE(s->deliver_batch(batch)[0]);
    REQUIRE(s->outbound_record("Q1", "x@b.fr", {AttemptOutcome::Kind::Retry, 5000, "451 4.4.1 later"}));
    auto due = s->outbound_due("b.fr", 2000, 10).value();
    REQUIRE(due.size() == 1);
    CHECK(due[0].recipients.size() == 1);  // x waits until 5000
    CHECK(due[0].recipients[0].address == "y@b.fr");
    REQUIRE(s->outbound_record("Q1", "y@b.fr", {AttemptOutcome::Kind::Failed, 0, "550 5.1.1 no such user"}));
    auto shown = s->outbound_message("Q1").value();
    REQUIRE(shown.recipients.size() == 2);
    CHECK(shown.recipients[0].attempts == 1);
    CHECK(shown.recipients[0].last_error == "451 4.4.1 later");
    CHECK(shown.recipients[1].state == OutboundState::Failed);
    CHECK(s->outbound_flush(std::nullopt).value() == 1);  // only queued recipients become due
    CHECK(s->outbound_due("b.fr", 2000, 10)->size() == 1);
    REQUIRE(s->outbound_record("Q1", "x@b.fr", {AttemptOutcome::Kind::Delivered, 0, "250 ok"}));
    CHECK(s->outbound_list()->size() == 1);  // y failed: kept for the bounce
    REQUIRE(s->outbound_delete("Q1"));
    CHECK(s->outbound_list()->empty());
    CHECK(s->outbound_delete("Q1").error().kind == ErrorKind::NotFound);
}

TEST_CASE("routes: set, replaced, looked up without case, removed") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    REQUIRE(s->set_route({"B.fr", "mx.b.fr", 25}));
    REQUIRE(s->set_route({"b.fr", "127.0.0.1", 2525}));
    auto r = s->route_for("b.FR").value();
    REQUIRE(r);
    CHECK(r->host == "127.0.0.1");
    CHECK(r->port == 2525);
    CHECK(s->routes()->size() == 1);
    REQUIRE(s->remove_route("b.fr"));
    CHECK_FALSE(*s->route_for("b.fr"));
    CHECK(s->remove_route("b.fr").error().kind == ErrorKind::NotFound);
}

TEST_CASE("RFC 3461 parameters are kept with the queued message and each recipient; the delay warning once set stays") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    Delivery with = remote_delivery("Q1", {"x@b.fr", "y@b.fr"});
    with.ret = "HDRS";
    with.envid = "env 1";
    with.remote_dsn = {{"SUCCESS,FAILURE", "rfc822;X@b.fr"}, {"", ""}};
    Delivery mismatched = remote_delivery("Q2", {"x@b.fr"});
    mismatched.remote_dsn = {{"NEVER", ""}, {"NEVER", ""}};
    std::vector<Delivery> batch{with, mismatched};
    auto out = s->deliver_batch(batch);
    CHECK(out[0]);
    CHECK_FALSE(out[1]);
    auto due = s->outbound_due("b.fr", 2000, 10).value();
    REQUIRE(due.size() == 1);
    CHECK(due[0].ret == "HDRS");
    CHECK(due[0].envid == "env 1");
    REQUIRE(due[0].recipients.size() == 2);
    CHECK(due[0].recipients[0].notify == "SUCCESS,FAILURE");
    CHECK(due[0].recipients[0].orcpt == "rfc822;X@b.fr");
    CHECK(due[0].recipients[1].notify.empty());
    CHECK_FALSE(due[0].recipients[0].delay_warned);
    REQUIRE(s->outbound_record("Q1", "x@b.fr", {AttemptOutcome::Kind::Retry, 0, "451 later", true}));
    REQUIRE(s->outbound_record("Q1", "x@b.fr", {AttemptOutcome::Kind::Retry, 0, "451 later", false}));
    auto listed = s->outbound_message("Q1").value();
    CHECK(listed.recipients[0].delay_warned);
    CHECK(listed.recipients[0].attempts == 2);
    CHECK_FALSE(listed.recipients[1].delay_warned);
    CHECK(listed.envid == "env 1");
}

TEST_CASE("a batch of outcomes across messages is recorded in one call, each as if recorded alone") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    std::vector<Delivery> batch{remote_delivery("Q1", {"x@b.fr", "y@b.fr"}), remote_delivery("Q2", {"x@b.fr"}),
                                remote_delivery("Q3", {"z@b.fr"})};
    for (auto& filed : s->deliver_batch(batch)) REQUIRE(filed);
    std::vector<RecipientOutcome> outcomes{
        {"Q1", "x@b.fr", {AttemptOutcome::Kind::Delivered, 0, "250 ok"}},
        {"Q1", "y@b.fr", {AttemptOutcome::Kind::Retry, 5000, "451 4.3.0 later"}},
        {"Q2", "x@b.fr", {AttemptOutcome::Kind::Delivered, 0, "250 ok"}},
        {"Q3", "z@b.fr", {AttemptOutcome::Kind::Failed, 0, "550 5.1.1 no such user"}}};
    REQUIRE(s->outbound_record_batch(outcomes));
    auto left = s->outbound_list().value();
    REQUIRE(left.size() == 2);  // Q2 went with its last recipient
    CHECK(left[0].id == "Q1");
    REQUIRE(left[0].recipients.size() == 1);
    CHECK(left[0].recipients[0].address == "y@b.fr");
    CHECK(left[0].recipients[0].attempts == 1);
    CHECK(left[0].recipients[0].next_attempt == 5000);
    CHECK(left[1].id == "Q3");
    CHECK(left[1].recipients[0].state == OutboundState::Failed);
    CHECK(s->outbound_due("b.fr", 2000, 10)->empty());
    CHECK(s->outbound_record_batch({}));  // nothing to write is not an error
}
