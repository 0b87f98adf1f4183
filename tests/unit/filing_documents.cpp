// The filing's documents step: attachments found by name and type in a message, read, checked and
// mapped into the deposits of one ITI-65 submission, or refused with the sender's code.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "core/base64.h"
#include "filing/documents.h"
#include "pipeline/cda_parts.h"

using namespace mss;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(MSS_CDA_FIXTURES) + "/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string message_with(const std::string& filename, const std::string& type, const std::string& octets) {
    return "From: dr@a.fr\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           "--b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n"
           "--b\r\nContent-Type: " + type + "\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=\"" + filename + "\"\r\n\r\n" + base64_encode(octets) +
           "\r\n--b--\r\n";
}

std::string replaced_ins(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    return at == std::string::npos ? "<<fixture does not hold " + from + ">>" : text.replace(at, from.size(), to);
}

pipeline::AttachedPart part(const std::string& name, bool xdm, const std::string& octets) {
    return {name, xdm ? "application/zip" : "text/xml", octets, xdm, !xdm};
}

}  // namespace

TEST_CASE("a message carries CDA documents when a part is named IHE_XDM.ZIP or is an XML attachment") {
    CHECK(pipeline::carries_cda(message_with("IHE_XDM.ZIP", "application/zip", "PK")));
    CHECK(pipeline::carries_cda(message_with("ihe_xdm.zip", "application/octet-stream", "PK")));
    CHECK(pipeline::carries_cda(message_with("CR.XML", "application/octet-stream", "<x/>")));
    CHECK(pipeline::carries_cda(message_with("doc", "text/xml", "<x/>")));
    CHECK_FALSE(pipeline::carries_cda(message_with("photo.jpg", "image/jpeg", "jpeg")));
    CHECK_FALSE(pipeline::carries_cda("Content-Type: text/xml\r\n\r\n<x/>\r\n"));  // the message itself is no attachment
    CHECK_FALSE(pipeline::carries_cda("Subject: plain\r\n\r\nIHE_XDM.ZIP in the text\r\n"));
}

TEST_CASE("attachments come decoded, in order, the XDM marked") {
    auto zip = fixture("xdm.zip");
    auto parts = pipeline::attached_parts(message_with("IHE_XDM.ZIP", "application/zip", zip));
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].xdm);
    CHECK(parts[0].filename == "IHE_XDM.ZIP");
    CHECK(parts[0].octets == zip);
}

TEST_CASE("an XDM archive becomes one deposit per document, with the patient's traits") {
    auto docs = filing::documents_of({part("IHE_XDM.ZIP", true, fixture("xdm.zip"))}, {}, "Q1");
    REQUIRE(docs.ok());
    REQUIRE_FALSE(docs->bundle.deposits.empty());
    const auto& d = docs->bundle.deposits.front();
    CHECK(d.document.patient_ins == docs->ins);
    CHECK(docs->ins.size() == 15);
    CHECK_FALSE(d.document.unique_id.empty());
    CHECK_FALSE(d.document.class_code.code.empty());
    CHECK_FALSE(d.document.author.empty());
    CHECK(d.family.has_value());
    CHECK(d.birth_date->size() == 8);
    CHECK(d.content.find("ClinicalDocument") != std::string::npos);
    CHECK(docs->bundle.full_urls.size() == docs->bundle.deposits.size());
    CHECK(docs->subject.starts_with("XDM/1.0/DDM+"));
    // The List (ITI-66) says what the XDM's submission set says of its source, content and time;
    // its uniqueId stays the filing's own.
    const auto& list = docs->bundle.list;
    CHECK(list.unique_id == "Q1");
    CHECK(list.source_id == "1.2.250.1.213.1.1.9.99");
    CHECK(list.designation.code == "04");
    CHECK(list.date == "2026-12-06T09:30:00");
}

TEST_CASE("a bare CDA is a deposit of its own octets") {
    auto bio = fixture("bio.xml");
    auto docs = filing::documents_of({part("CR-BIO.XML", false, bio)}, {}, "Q2");
    REQUIRE(docs.ok());
    REQUIRE(docs->bundle.deposits.size() == 1);
    CHECK(docs->bundle.deposits[0].content == bio);
    CHECK(docs->bundle.deposits[0].document.type.code == "11502-2");
    CHECK(docs->bundle.list.source_id.empty());  // no metadata: nothing made up
}

TEST_CASE("refusals carry the sender's code") {
    using cda::AckCode;
    auto code = [](std::vector<pipeline::AttachedPart> parts, filing::MssHeaders h = {}) {
        auto d = filing::documents_of(parts, h, "Q");
        return d.ok() ? 0 : static_cast<int>(d.refusal().code);
    };
    CHECK(code({part("IHE_XDM.ZIP", true, fixture("traversal.zip"))}) == 906);
    CHECK(code({part("IHE_XDM.ZIP", true, fixture("bomb.zip"))}) == 906);
    CHECK(code({part("IHE_XDM.ZIP", true, fixture("hash_mismatch.zip"))}) == 906);
    CHECK(code({part("IHE_XDM.ZIP", true, fixture("two_patients.zip"))}) == 906);
    CHECK(code({part("A.XML", false, "<ClinicalDocument")}) == 906);
    CHECK(code({part("A.XML", false, "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>")}) == 906);
    auto bio = fixture("bio.xml");
    CHECK(code({part("A.XML", false, replaced_ins(bio, "280057512345674", "280057512345699"))}) == 905);
    CHECK(code({part("A.XML", false, replaced_ins(bio, "root=\"1.2.250.1.213.1.4.8\"", "root=\"1.2.250.1.213.1.4.2\""))}) == 903);
    CHECK(code({part("A.XML", false, bio)}, {std::string("11490-0"), std::nullopt}) == 906);  // X-MSS-CODECDA
    CHECK(code({part("A.XML", false, bio)}, {std::string("11502-2"), std::string("O")}) == 0);
    CHECK(code({}) == 906);
}

TEST_CASE("a CDA effectiveTime as a FHIR dateTime") {
    CHECK(filing::fhir_date_time("20261201") == "2026-12-01");
    CHECK(filing::fhir_date_time("202612011030") == "2026-12-01T10:30:00");
    CHECK(filing::fhir_date_time("20261201103005+0100") == "2026-12-01T10:30:05+01:00");
    CHECK(filing::fhir_date_time("2026") == "2026");
}
