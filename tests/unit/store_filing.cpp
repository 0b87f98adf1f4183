// The filing queue in the store (issue 12): a job written in the same delivery as the message, not
// written for a mailbox that turned filing off, due jobs, retries, and a job ended by the delivery of
// its acknowledgement in one write.
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {

Delivery submitted(int64_t to, const std::string& submitter) {
    Delivery d;
    d.return_path = submitter;
    d.account_ids = {to};
    d.content = "Subject: x\r\n\r\nbody\r\n";
    d.internal_date = 1000;
    d.filing = FilingRequest{submitter, "Q1", "Received: x\r\nSubject: x\r\n\r\nbody\r\n"};
    return d;
}

int64_t account(Store& s, const std::string& address) {
    NewAccount n;
    n.address = address;
    return s.create_account(n).value().id;
}

}  // namespace

TEST_CASE("a submitted message with documents leaves a filing job in the same delivery") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    account(*s, "dr@a.fr");
    auto to = account(*s, "b@a.fr");
    std::vector<Delivery> batch{submitted(to, "Dr@A.fr")};
    REQUIRE(s->deliver_batch(batch)[0]);
    auto due = s->filing_due(1000, 10).value();
    REQUIRE(due.size() == 1);
    CHECK(due[0].submitter == "dr@a.fr");
    CHECK(due[0].queue_id == "Q1");
    CHECK(due[0].content == "Received: x\r\nSubject: x\r\n\r\nbody\r\n");
    CHECK(due[0].attempts == 0);
}

TEST_CASE("a mailbox that turned filing off leaves no job; on again, it does") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    account(*s, "dr@a.fr");
    auto to = account(*s, "b@a.fr");
    CHECK(s->filing_enabled("dr@a.fr").value());
    REQUIRE(s->set_filing("DR@a.fr", false));
    CHECK_FALSE(s->filing_enabled("dr@a.fr").value());
    std::vector<Delivery> batch{submitted(to, "dr@a.fr")};
    REQUIRE(s->deliver_batch(batch)[0]);
    CHECK(s->list_messages("b@a.fr", "INBOX")->size() == 1);  // the message itself is delivered
    CHECK(s->filing_due(5000, 10)->empty());
    REQUIRE(s->set_filing("dr@a.fr", true));
    REQUIRE(s->deliver_batch(batch)[0]);
    CHECK(s->filing_due(5000, 10)->size() == 1);
    CHECK(s->set_filing("nobody@a.fr", false).error().kind == ErrorKind::NotFound);
    CHECK(s->filing_enabled("nobody@a.fr").error().kind == ErrorKind::NotFound);
}

TEST_CASE("a retried job waits for its next attempt; the acknowledgement's delivery ends it") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    auto from = account(*s, "dr@a.fr");
    auto to = account(*s, "b@a.fr");
    std::vector<Delivery> batch{submitted(to, "dr@a.fr")};
    REQUIRE(s->deliver_batch(batch)[0]);
    auto job = s->filing_due(1000, 10).value().at(0);
    REQUIRE(s->filing_retry(job.id, 1060, "DMP busy"));
    CHECK(s->filing_due(1059, 10)->empty());
    auto again = s->filing_due(1060, 10).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].attempts == 1);
    CHECK(again[0].last_error == "DMP busy");
    Delivery ack;
    ack.return_path = "";
    ack.account_ids = {from};
    ack.content = "Subject: ack\r\n\r\nprocessed\r\n";
    ack.finishes_filing_job = job.id;
    std::vector<Delivery> acks{ack};
    REQUIRE(s->deliver_batch(acks)[0]);
    CHECK(s->filing_due(5000, 10)->empty());
    CHECK(s->list_messages("dr@a.fr", "INBOX")->size() == 1);
}

TEST_CASE("a job ends without a notice") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    account(*s, "dr@a.fr");
    auto to = account(*s, "b@a.fr");
    std::vector<Delivery> batch{submitted(to, "dr@a.fr")};
    REQUIRE(s->deliver_batch(batch)[0]);
    auto job = s->filing_due(1000, 10).value().at(0);
    REQUIRE(s->filing_done(job.id));
    CHECK(s->filing_due(5000, 10)->empty());
}

TEST_CASE("a job may refer to the stored copy: no second copy, pinned through an expunge until it ends") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    account(*s, "dr@a.fr");
    auto to = account(*s, "b@a.fr");
    Delivery delivery = submitted(to, "dr@a.fr");
    delivery.content = "Received: x\r\nSubject: x\r\n\r\nbody\r\n";
    delivery.filing->content.clear();
    delivery.filing->use_stored_copy = true;
    std::vector<Delivery> batch{delivery};
    REQUIRE(s->deliver_batch(batch)[0]);
    auto job = s->filing_due(1000, 10).value().at(0);
    CHECK(job.content == "Received: x\r\nSubject: x\r\n\r\nbody\r\n");  // the stored copy past its Return-Path
    std::vector<std::string> deleted{"\\Deleted"};
    std::vector<uint32_t> uids{1};
    REQUIRE(s->update_flags("b@a.fr", "INBOX", uids, FlagMode::Add, deleted));
    REQUIRE(s->expunge("b@a.fr", "INBOX", std::nullopt).value().size() == 1);
    CHECK(s->list_messages("b@a.fr", "INBOX")->empty());
    CHECK(s->filing_due(1000, 10).value().at(0).content == job.content);  // pinned
    REQUIRE(s->filing_done(job.id));
    CHECK(s->filing_due(5000, 10)->empty());
}

TEST_CASE("a job referring to a stored copy needs a delivery that stores one") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    account(*s, "dr@a.fr");
    Delivery delivery = submitted(0, "dr@a.fr");
    delivery.account_ids.clear();
    delivery.queue_id = "Q1";
    delivery.remote_recipients = {"x@b.fr"};
    delivery.outbound_content = "Subject: x\r\n\r\nbody\r\n";
    delivery.filing->use_stored_copy = true;
    std::vector<Delivery> batch{delivery};
    CHECK_FALSE(s->deliver_batch(batch)[0]);
}

TEST_CASE("jobs with nothing to tell end together in one write") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    account(*s, "dr@a.fr");
    auto to = account(*s, "b@a.fr");
    std::vector<Delivery> batch{submitted(to, "dr@a.fr"), submitted(to, "dr@a.fr"), submitted(to, "dr@a.fr")};
    for (const auto& r : s->deliver_batch(batch)) REQUIRE(r);
    auto due = s->filing_due(1000, 10).value();
    REQUIRE(due.size() == 3);
    std::vector<int64_t> ended{due[0].id, due[2].id};
    REQUIRE(s->filing_done(ended));
    auto left = s->filing_due(1000, 10).value();
    REQUIRE(left.size() == 1);
    CHECK(left[0].id == due[1].id);
    CHECK(s->filing_done(std::vector<int64_t>{}));
}
