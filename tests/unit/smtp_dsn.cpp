// RFC 3464 bounces: the report's parts, per-recipient fields, the quoted header only, and a peer's
// reply that cannot start a field of its own.
#include <doctest/doctest.h>

#include <string>

#include "smtp/dsn.h"

using namespace mss::smtp;

TEST_CASE("a bounce is a multipart/report with the delivery-status fields and the original header") {
    BounceInput in{"mx.a.fr", "ABC123", "dr@a.fr", 1000, 2000,
                   {{"x@b.fr", "5.1.1", "mx.b.fr", "550 5.1.1 <x@b.fr>: no such mailbox"}},
                   "Received: by a\r\nSubject: secret results\r\n\r\nthe body stays home\r\n"};
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
    BounceInput in{"mx.a.fr", "Q", "dr@a.fr", 0, 0, {{"x@b.fr", "5.0.0", "", "550 no\r\nBcc: evil@x"}}, "S: s\r\n\r\n"};
    std::string dsn = delivery_status_notification(in);
    CHECK(dsn.find("\r\nBcc:") == std::string::npos);
    CHECK(dsn.find("Remote-MTA") == std::string::npos);
}

TEST_CASE("the status code of a reply") {
    CHECK(status_of_reply("550 5.1.1 no such user", true) == "5.1.1");
    CHECK(status_of_reply("550 no code", true) == "5.0.0");
    CHECK(status_of_reply("cannot connect", false) == "4.0.0");
}
