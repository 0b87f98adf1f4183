// The MDN builder (RFC 8098 / RFC 6522, CI-SIS section 4), read back with mime/'s own readers: the
// report's parts, the disposition fields, the KO subject and the attachments sent back.
#include <doctest/doctest.h>

#include "core/base64.h"
#include "mime/message.h"
#include "mime/structure.h"
#include "pipeline/mdn.h"

using namespace mss::pipeline;

namespace {

MdnRequest request() {
    MdnRequest r;
    r.from = "filing@hopital.mssante.fr";
    r.to = "labo@labo.mssante.fr";
    r.subject = "XDM/1.0/DDM+CR d'examens biologiques DUPONT Marie 12/05/1980";
    r.date = "Sun, 06 Dec 2026 10:00:00 +0000";
    r.message_id = "<mdn-1@hopital.mssante.fr>";
    r.boundary = "mss-report-1";
    r.reporting_ua = "mx.hopital.mssante.fr; mssd 0.1.0";
    r.original_recipient = "dr.x@hopital.mssante.fr";
    r.final_recipient = "dr.x@hopital.mssante.fr";
    r.original_message_id = "<orig-1@labo.mssante.fr>";
    r.human_text = "Les documents ont été intégrés.\n";
    r.original_header = "From: labo@labo.mssante.fr\r\nSubject: XDM/1.0/DDM+CR\r\nMessage-ID: <orig-1@labo.mssante.fr>\r\n";
    return r;
}

std::string_view body(std::string_view m, const mss::mime::Part& p) { return m.substr(p.body_start, p.body_size()); }

}  // namespace

TEST_CASE("a processed MDN: multipart/report with the three parts and the CI-SIS fields") {
    auto built = build_mdn(request());
    REQUIRE(built.ok());
    const std::string& m = built.value();
    auto info = mss::mime::parse_message(m);
    REQUIRE(info.ok());
    CHECK(info->subject == "XDM/1.0/DDM+CR d'examens biologiques DUPONT Marie 12/05/1980");
    CHECK(info->message_id == "<mdn-1@hopital.mssante.fr>");
    auto root = mss::mime::parse_structure(m);
    CHECK(root.type == "multipart");
    CHECK(root.subtype == "report");
    bool report_type = false;
    for (const auto& p : root.params) report_type |= p.name == "report-type" && p.value == "disposition-notification";
    CHECK(report_type);
    REQUIRE(root.children.size() == 3);
    CHECK(root.children[0].subtype == "plain");
    CHECK(root.children[1].type == "message");
    CHECK(root.children[1].subtype == "disposition-notification");
    auto fields = body(m, root.children[1]);
    CHECK(fields.find("Reporting-UA: mx.hopital.mssante.fr; mssd 0.1.0\r\n") != std::string_view::npos);
    CHECK(fields.find("Original-Recipient: rfc822;dr.x@hopital.mssante.fr\r\n") != std::string_view::npos);
    CHECK(fields.find("Final-Recipient: rfc822;dr.x@hopital.mssante.fr\r\n") != std::string_view::npos);
    CHECK(fields.find("Original-Message-ID: <orig-1@labo.mssante.fr>\r\n") != std::string_view::npos);
    CHECK(fields.find("Disposition: automatic-action/MDN-sent-automatically; processed\r\n") != std::string_view::npos);
    CHECK(root.children[2].subtype == "rfc822-headers");
    CHECK(body(m, root.children[2]).find("Message-ID: <orig-1@labo.mssante.fr>") != std::string_view::npos);
    auto headers = mss::mime::header_fields(m);
    bool auto_submitted = false;
    for (const auto& f : headers) auto_submitted |= f.name == "Auto-Submitted" && f.value == "auto-replied";
    CHECK(auto_submitted);
}

TEST_CASE("an error MDN: processed/Error: code^label, the KO subject, the XDM and PDF back") {
    auto r = request();
    r.subject = "[KO Intégration système !][903] XDM/1.0/DDM+CR d'examens biologiques DUPONT Marie 12/05/1980";
    r.error = MdnError{903, "INS absent du document"};
    std::string zip = std::string("PK\x03\x04", 4) + std::string(300, '\x01');
    r.attachments = {{"IHE_XDM.ZIP", "application/zip", zip}, {"CR.PDF", "application/pdf", "%PDF-1.4 x"}};
    auto built = build_mdn(r);
    REQUIRE(built.ok());
    const std::string& m = built.value();
    auto info = mss::mime::parse_message(m);
    REQUIRE(info.ok());
    CHECK(info->subject == r.subject);
    auto root = mss::mime::parse_structure(m);
    REQUIRE(root.children.size() == 5);
    CHECK(body(m, root.children[1]).find("Disposition: automatic-action/MDN-sent-automatically; "
                                         "processed/Error: 903^INS absent du document\r\n") != std::string_view::npos);
    const auto& xdm = root.children[3];
    CHECK(xdm.subtype == "zip");
    CHECK(xdm.disposition == "attachment");
    std::string b64(body(m, xdm));
    std::string joined;
    for (char c : b64)
        if (c != '\r' && c != '\n') joined += c;
    CHECK(mss::base64_decode(joined) == zip);
    CHECK(root.children[4].subtype == "pdf");
}

TEST_CASE("a Direct dispatched MDN") {
    auto r = request();
    r.disposition = "dispatched";
    auto built = build_mdn(r);
    REQUIRE(built.ok());
    CHECK(built->find("Disposition: automatic-action/MDN-sent-automatically; dispatched\r\n") != std::string::npos);
}

TEST_CASE("refused: header injection, a boundary inside a part, a non-ASCII label, another disposition") {
    auto r = request();
    r.subject = "x\r\nBcc: victim@example.org";
    CHECK_FALSE(build_mdn(r).ok());
    r = request();
    r.original_message_id = "<a>\nX: y";
    CHECK_FALSE(build_mdn(r).ok());
    r = request();
    r.original_header = "X-Trap: --mss-report-1\r\n";
    CHECK_FALSE(build_mdn(r).ok());
    r = request();
    r.error = MdnError{904, "INS différent"};
    CHECK_FALSE(build_mdn(r).ok());
    r = request();
    r.disposition = "deleted";
    CHECK_FALSE(build_mdn(r).ok());
    r = request();
    r.attachments = {{"a\".zip", "application/zip", "x"}};
    CHECK_FALSE(build_mdn(r).ok());
}
