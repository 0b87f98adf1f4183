// RFC 3464 bounces: the report's parts, per-recipient fields, the quoted header only, and a peer's
// reply that cannot start a field of its own.
#include <doctest/doctest.h>

#include <string>

#include "smtp/dsn.h"

using namespace mss::smtp;

TEST_CASE("a bounce is a multipart/report with the delivery-status fields and the original header") {
    BounceInput in{.reporting_mta = "mx.a.fr", .queue_id = "ABC123", .sender = "dr@a.fr", .arrival = 1000, .now = 2000,
                   .recipients = {{.address = "x@b.fr", .status = "5.1.1", .remote_mta = "mx.b.fr",
                                   .diagnostic = "550 5.1.1 <x@b.fr>: no such mailbox"}},
                   .original = "Received: by a\r\nSubject: secret results\r\n\r\nthe body stays home\r\n"};
    std::string dsn = delivery_status_notification(in);
    CHECK(dsn.starts_with("From: Mail Delivery System <MAILER-DAEMON@mx.a.fr>\r\nTo: <dr@a.fr>\r\n"));
    CHECK(dsn.find("Content-Type: multipart/report; report-type=delivery-status;") != std::string::npos);
    CHECK(dsn.find("Reporting-MTA: dns; mx.a.fr\r\n") != std::string::npos);
    CHECK(dsn.find("Final-Recipient: rfc822; x@b.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                   "Remote-MTA: dns; mx.b.fr\r\nDiagnostic-Code: smtp; 550 5.1.1 <x@b.fr>: no such mailbox\r\n") !=
          std::string::npos);
    CHECK(dsn.find("Content-Type: text/rfc822-headers\r\n\r\nReceived: by a\r\nSubject: secret results\r\n") !=
          std::string::npos);
    CHECK(dsn.find("the body stays home") == std::string::npos);
    CHECK(dsn.find("Auto-Submitted: auto-replied") != std::string::npos);
}

TEST_CASE("a reply with line breaks stays in its field") {
    BounceInput in{.reporting_mta = "mx.a.fr", .queue_id = "Q", .sender = "dr@a.fr",
                   .recipients = {{.address = "x@b.fr", .status = "5.0.0", .diagnostic = "550 no\r\nBcc: evil@x"}},
                   .original = "S: s\r\n\r\n"};
    std::string dsn = delivery_status_notification(in);
    CHECK(dsn.find("\r\nBcc:") == std::string::npos);
    CHECK(dsn.find("Remote-MTA") == std::string::npos);
}

TEST_CASE("the status code of a reply") {
    CHECK(status_of_reply("550 5.1.1 no such user", true) == "5.1.1");
    CHECK(status_of_reply("550 no code", true) == "5.0.0");
    CHECK(status_of_reply("cannot connect", false) == "4.0.0");
}

namespace {
const std::string kOriginal = "Received: by a\r\nSubject: results\r\n\r\nthe body\r\n";

BounceInput report(DsnAction action) {
    return {.reporting_mta = "mx.a.fr", .queue_id = "Q1", .sender = "dr@a.fr", .arrival = 1000, .now = 2000,
            .recipients = {{.address = "x@b.fr", .status = action == DsnAction::Failed ? "5.1.1" : "2.0.0",
                            .diagnostic = "250 ok", .action = action}},
            .original = kOriginal};
}
bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("RET=FULL returns the whole message, above the bound only its header, and says so") {
    BounceInput in = report(DsnAction::Failed);
    in.return_full = true;
    std::string full = delivery_status_notification(in);
    CHECK(has(full, "Content-Type: message/rfc822\r\n\r\n" + kOriginal));
    CHECK_FALSE(has(full, "text/rfc822-headers"));
    in.max_returned = kOriginal.size() - 1;
    std::string cut = delivery_status_notification(in);
    CHECK(has(cut, "Content-Type: text/rfc822-headers\r\n\r\nReceived: by a\r\nSubject: results\r\n"));
    CHECK_FALSE(has(cut, "the body"));
    CHECK(has(cut, "only its header is returned"));
    in.return_full = false;
    in.max_returned = kMaxReturnedMessage;
    CHECK_FALSE(has(delivery_status_notification(in), "the body"));  // RET=HDRS or absent: the header
}

TEST_CASE("ENVID and ORCPT come back in Original-Envelope-Id and Original-Recipient, as xtext") {
    BounceInput in = report(DsnAction::Failed);
    in.envid = "env 42";
    in.recipients[0].original_recipient = "rfc822;X+Y@b.fr\r\nBcc: z";
    std::string dsn = delivery_status_notification(in);
    CHECK(has(dsn, "\r\nOriginal-Envelope-Id: env+2042\r\nReporting-MTA: dns; mx.a.fr\r\n"));
    CHECK(has(dsn, "\r\nOriginal-Recipient: rfc822;X+2BY@b.fr+0D+0ABcc:+20z\r\nFinal-Recipient: rfc822; x@b.fr\r\n"));
    CHECK_FALSE(has(dsn, "\r\nBcc:"));
    CHECK_FALSE(has(delivery_status_notification(report(DsnAction::Failed)), "Original-"));
}

TEST_CASE("delayed, delivered and relayed reports carry their action, and never the content") {
    BounceInput delayed = report(DsnAction::Delayed);
    delayed.recipients[0].will_retry_until = 1000 + 5 * 86400;
    delayed.return_full = true;
    std::string d = delivery_status_notification(delayed);
    CHECK(has(d, "Subject: Delayed Mail (still being retried)\r\n"));
    CHECK(has(d, "Action: delayed\r\n"));
    CHECK(has(d, "Will-Retry-Until: Tue, 06 Jan 1970 00:16:40 +0000\r\n"));
    std::string ok = delivery_status_notification(report(DsnAction::Delivered));
    CHECK(has(ok, "Action: delivered\r\nStatus: 2.0.0\r\n"));
    CHECK(has(ok, "Subject: Successful Mail Delivery Report\r\n"));
    BounceInput relayed = report(DsnAction::Relayed);
    relayed.return_full = true;
    std::string r = delivery_status_notification(relayed);
    CHECK(has(r, "Action: relayed\r\n"));
    CHECK_FALSE(has(r, "the body"));
    CHECK_FALSE(has(r, "Will-Retry-Until"));
}
