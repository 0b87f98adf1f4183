// The CDA R2 header reader: every field the filing needs from the three generated documents, and
// every hostile or broken input refused whole with 906 before anything is read from it.
#include <doctest/doctest.h>

#include "cda/header.h"
#include "cda_fixture.h"

using namespace mss::cda;

TEST_CASE("a biology report: the header as the CI-SIS defines it") {
    auto h = read_cda_header(cda_fixture("bio.xml"));
    REQUIRE(h.ok());
    CHECK(h->realm_code == "FR");
    CHECK(h->type_id == InstanceId{"2.16.840.1.113883.1.3", "POCD_HD000040"});
    CHECK(h->template_ids == std::vector<std::string>{"2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1",
                                                      "1.2.250.1.213.1.1.1.55"});
    CHECK(h->id == InstanceId{"1.2.250.1.213.1.1.9.99", "CRBIO-2026-0001"});
    CHECK(h->set_id == InstanceId{"1.2.250.1.213.1.1.9.99", "SET-CRBIO-0001"});
    CHECK(h->version_number == "1");
    CHECK(h->code.code == "11502-2");
    CHECK(h->code.code_system == "2.16.840.1.113883.6.1");
    CHECK(h->code.display_name == "CR d'examens biologiques");
    CHECK(h->title == "Compte rendu d'examens biologiques");
    CHECK(h->effective_time == "20261206093000+0100");
    CHECK(h->confidentiality.code == "N");
    CHECK(h->confidentiality.code_system == "2.16.840.1.113883.5.25");
    CHECK(h->language_code == "fr-FR");
    CHECK(h->record_targets == 1);
    REQUIRE(h->patient.ids.size() == 1);
    CHECK(h->patient.ids[0] == InstanceId{"1.2.250.1.213.1.4.8", "280057512345674"});
    CHECK(h->patient.family == "DUPONT");
    CHECK(h->patient.given == "Marie");
    CHECK(h->patient.birth_date == "19800512");
    CHECK(h->patient.gender == "F");
    REQUIRE(h->authors.size() == 1);
    CHECK(h->authors[0].id == InstanceId{"1.2.250.1.71.4.2.1", "810001234565"});
    CHECK(h->authors[0].family == "MARTIN");
    CHECK(h->legal_authenticators == 1);
    CHECK(h->legal_authenticator.id.extension == "810001234565");
    CHECK(h->custodian == InstanceId{"1.2.250.1.71.4.2.2", "1750000001"});
    CHECK(h->custodian_name == "Laboratoire des Lilas");
    CHECK(h->documentation_ofs == 1);
    CHECK(h->component_ofs == 1);
    CHECK_FALSE(h->replaces);
    CHECK(h->body == BodyKind::Structured);
    CHECK(h->practice_setting.code == "ETABLISSEMENT");
    CHECK(h->facility_type.code == "SA01");
    CHECK(h->facility_type.code_system == "1.2.250.1.71.4.2.4");
}

TEST_CASE("a discharge letter: nonXMLBody with its media type") {
    auto h = read_cda_header(cda_fixture("discharge.xml"));
    REQUIRE(h.ok());
    CHECK(h->code.code == "11490-0");
    CHECK(h->body == BodyKind::NonXml);
    CHECK(h->body_media_type == "application/pdf");
}

TEST_CASE("a replacement: relatedDocument RPLC names the replaced document") {
    auto h = read_cda_header(cda_fixture("replacement.xml"));
    REQUIRE(h.ok());
    REQUIRE(h->replaces);
    CHECK(*h->replaces == InstanceId{"1.2.250.1.213.1.1.9.99", "CRBIO-2026-0001"});
    CHECK(h->version_number == "2");
    CHECK(h->set_id.extension == "SET-CRBIO-0001");
}

namespace {

void check_refused(const std::string& xml, const std::string& why_contains, const XmlLimits& limits = {}) {
    auto h = read_cda_header(xml, limits);
    REQUIRE_FALSE(h.ok());
    CHECK(h.refusal().code == AckCode::Other);
    CHECK_MESSAGE(h.refusal().reason.find(why_contains) != std::string::npos, h.refusal().reason);
}

const std::string prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

}  // namespace

TEST_CASE("malformed XML is 906") {
    std::string bio = cda_fixture("bio.xml");
    check_refused(bio.substr(0, bio.size() / 2), "not well-formed");
    check_refused("", "not well-formed");
    check_refused(replaced(bio, "</title>", "</titre>"), "not well-formed");
    // Only the body's kind is kept as a tree, but the body is read and checked whole.
    check_refused(replaced(bio, "<title>Biochimie</title>", "<title>Biochimie</titre>"), "not well-formed");
    check_refused(replaced(bio, "<title>Biochimie</title>", "<title>&undeclared;</title>"), "not well-formed");
    check_refused(replaced(bio, "</structuredBody>", "</structuredBody><structuredBody>"), "not well-formed");
}

TEST_CASE("a DOCTYPE, XXE and billion laughs are refused before libxml2 reads them") {
    std::string bio = cda_fixture("bio.xml");
    check_refused(replaced(bio, prolog, prolog + "<!DOCTYPE ClinicalDocument>"), "DOCTYPE");
    check_refused(replaced(replaced(bio, prolog, prolog + "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"),
                           "<title>Compte", "<title>&xxe;Compte"),
                  "DOCTYPE");
    std::string lol = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>";
    check_refused(replaced(replaced(bio, prolog, prolog + lol), "<title>Compte", "<title>&lol3;Compte"), "DOCTYPE");
    // An entity reference without a declaration is not expanded: not well-formed.
    check_refused(replaced(bio, "<title>Compte", "<title>&xxe;Compte"), "not well-formed");
}

TEST_CASE("bytes are read as UTF-8 whatever they declare: a DOCTYPE in UTF-16 or UTF-7 is never parsed") {
    std::string ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">"
                        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><ClinicalDocument xmlns=\"urn:hl7-org:v3\">"
                        "<title>&b;</title></ClinicalDocument>";
    std::string utf16 = "\xFF\xFE";
    for (char c : ascii) {
        utf16 += c;
        utf16 += '\0';
    }
    check_refused(utf16, "not well-formed");
    // UTF-7 spells "<!" as "+ADwAIQ-": the octets "<!DOCTYPE" and "<!ENTITY" never appear.
    std::string utf7 = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n+ADwAIQ-DOCTYPE x [+ADwAIQ-ENTITY a \"aaaaaaaaaa\">"
                       "+ADwAIQ-ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                       "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&b;</title></ClinicalDocument>";
    auto h = read_cda_header(utf7);
    REQUIRE_FALSE(h.ok());
    CHECK(h.refusal().code == AckCode::Other);
    CHECK_MESSAGE(h.refusal().reason.find("not well-formed") != std::string::npos, h.refusal().reason);
    CHECK_MESSAGE(h.refusal().reason.find("ntity") == std::string::npos, h.refusal().reason);
    // A UTF-8 document declaring another encoding is still read, as UTF-8.
    auto latin = read_cda_header(replaced(cda_fixture("bio.xml"), "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""));
    REQUIRE(latin.ok());
    CHECK(latin->patient.family == "DUPONT");
}

TEST_CASE("a CDA over the size bound is refused unread; the default bound is 20 MiB") {
    std::string bio = cda_fixture("bio.xml");
    check_refused(bio, "larger than 1024 octets", XmlLimits{1024, 128});
    std::string huge(20 * 1024 * 1024 + 1, ' ');
    check_refused(huge, "larger than 20971520 octets");
}

TEST_CASE("nesting deeper than the bound is 906") {
    std::string deep;
    for (int i = 0; i < 200; ++i) deep += "<section>";
    for (int i = 0; i < 200; ++i) deep += "</section>";
    std::string bio = cda_fixture("bio.xml");
    check_refused(replaced(bio, "<title>Biochimie</title>", deep), "deeper than 128");
    CHECK(read_cda_header(replaced(bio, "<title>Biochimie</title>", deep), XmlLimits{20 * 1024 * 1024, 1000}).ok());
}

TEST_CASE("a document that is not an HL7 v3 ClinicalDocument is 906") {
    check_refused(prolog + "<ClinicalDocument/>", "not a ClinicalDocument");
    check_refused(prolog + "<Other xmlns=\"urn:hl7-org:v3\"/>", "not a ClinicalDocument");
}
