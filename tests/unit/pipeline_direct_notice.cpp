// Direct's delivery notifications on the receiving side: who asks (the option, not a report, not the
// null sender), where they go (Disposition-Notification-To of the sender's domain, else the sender),
// and the two MDNs read back with mime/'s readers: processed then dispatched, the RFC 8098 fields.
#include <doctest/doctest.h>

#include "mime/message.h"
#include "pipeline/direct_notice.h"

using namespace mss::pipeline;

namespace {

const std::string kAsking =
    "From: Labo <lab@b.mssante.fr>\r\nTo: dr@a.mssante.fr\r\nSubject: Resultats\r\n"
    "Message-ID: <orig-1@b.mssante.fr>\r\nDisposition-Notification-To: <secretariat@b.mssante.fr>\r\n"
    "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nbody\r\n";

std::string with_header(const std::string& field) { return field + "\r\n" + kAsking; }

}  // namespace

TEST_CASE("a message asking for Direct notifications: the request and its two MDNs") {
    auto r = direct_request(kAsking, "lab@b.mssante.fr");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    const DirectRequest& request = **r;
    CHECK(request.notify == "secretariat@b.mssante.fr");
    CHECK(request.original_message_id == "<orig-1@b.mssante.fr>");
    CHECK(request.subject == "Resultats");
    auto notices = direct_notices(request, "dr@a.mssante.fr", {"mx.a.mssante.fr", "Sun, 06 Dec 2026 10:00:00 +0000", "ABC0"});
    REQUIRE(notices.ok());
    REQUIRE(notices->size() == 2);
    CHECK((*notices)[0].disposition == "processed");
    CHECK((*notices)[1].disposition == "dispatched");
    CHECK((*notices)[0].queue_suffix < (*notices)[1].queue_suffix);
    for (const auto& n : *notices) {
        auto info = mss::mime::parse_message(n.content);
        REQUIRE(info.ok());
        CHECK(n.content.find("From: dr@a.mssante.fr\r\n") != std::string::npos);
        CHECK(n.content.find("To: secretariat@b.mssante.fr\r\n") != std::string::npos);
        CHECK(n.content.find("report-type=disposition-notification") != std::string::npos);
        CHECK(n.content.find("Final-Recipient: rfc822;dr@a.mssante.fr\r\n") != std::string::npos);
        CHECK(n.content.find("Original-Message-ID: <orig-1@b.mssante.fr>\r\n") != std::string::npos);
        CHECK(n.content.find("Disposition: automatic-action/MDN-sent-automatically; " + n.disposition + "\r\n") !=
              std::string::npos);
    }
    CHECK((*notices)[0].content.find("Subject: Processed: Resultats\r\n") != std::string::npos);
    CHECK((*notices)[1].content.find("Subject: Dispatched: Resultats\r\n") != std::string::npos);
    CHECK((*notices)[0].content.find("<ABC0.processed@mx.a.mssante.fr>") != std::string::npos);
}

TEST_CASE("nothing is due without the option, for the null sender, or for a report") {
    std::string plain = "From: lab@b.mssante.fr\r\nSubject: x\r\n\r\nbody\r\n";
    CHECK_FALSE(direct_request(plain, "lab@b.mssante.fr")->has_value());
    CHECK_FALSE(direct_request(kAsking, "")->has_value());
    std::string mdn = with_header("Content-Type: multipart/report; report-type=disposition-notification; boundary=b");
    CHECK_FALSE(direct_request(mdn, "lab@b.mssante.fr")->has_value());
    std::string dsn = with_header("Content-Type: multipart/report; report-type=delivery-status; boundary=b");
    CHECK_FALSE(direct_request(dsn, "lab@b.mssante.fr")->has_value());
    std::string no = "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,false\r\n\r\nx";
    CHECK_FALSE(direct_request(no, "lab@b.mssante.fr")->has_value());
}

TEST_CASE("notices go to the sender when Disposition-Notification-To names another domain or several mailboxes") {
    std::string elsewhere = "Disposition-Notification-To: victim@elsewhere.example\r\n"
                            "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nx";
    CHECK((*direct_request(elsewhere, "lab@b.mssante.fr"))->notify == "lab@b.mssante.fr");
    std::string several = "Disposition-Notification-To: a@b.mssante.fr, c@b.mssante.fr\r\n"
                          "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nx";
    CHECK((*direct_request(several, "lab@b.mssante.fr"))->notify == "lab@b.mssante.fr");
    std::string none = "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nx";
    CHECK((*direct_request(none, "lab@b.mssante.fr"))->notify == "lab@b.mssante.fr");
}

TEST_CASE("a malformed or repeated option field is an error the caller logs") {
    CHECK_FALSE(direct_request("Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY\r\n\r\nx", "l@b.fr").ok());
    CHECK_FALSE(direct_request(with_header("Disposition-Notification-Options: x=optional,true"), "l@b.fr").ok());
}

TEST_CASE("a long or non-UTF-8 subject is cut or left out; the message id with a line break is dropped") {
    std::string long_subject = "Subject: " + std::string(300, 'a') + "\r\n" +
                               "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nx";
    CHECK((*direct_request(long_subject, "l@b.fr"))->subject.size() == kMaxNoticeSubject);
    std::string latin1 = "Subject: R\xe9sultats\r\n"
                         "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nx";
    auto r = direct_request(latin1, "l@b.fr");
    REQUIRE(r.ok());
    CHECK((*r)->subject.empty());
    auto notices = direct_notices(**r, "dr@a.fr", {"mx.a.fr", "Sun, 06 Dec 2026 10:00:00 +0000", "X1"});
    REQUIRE(notices.ok());
    CHECK((*notices)[0].content.find("Subject: Processed\r\n") != std::string::npos);
}
