// Sharing metadata from the header through the shipped CI-SIS tables, the tables' own parsing,
// and the acknowledgement subject convention.
#include <doctest/doctest.h>

#include "cda/checks.h"
#include "cda/metadata.h"
#include "cda_fixture.h"

using namespace mss::cda;

namespace {

CdaHeader header_of(const std::string& xml) {
    auto h = read_cda_header(xml);
    REQUIRE(h.ok());
    return h.value();
}

}  // namespace

TEST_CASE("the shipped tables parse and hold the rows the filing relies on") {
    const auto& t = builtin_code_tables();
    CHECK(t.dmp_classes.size() == 11);
    CHECK(t.dmp_classes.at("10") == "Compte rendu");
    for (auto type : {"11490-0", "11502-2", "34112-3"}) CHECK(t.class_of_type.at(type).code == "10");
    CHECK(t.class_of_type.at("85895-1").code == "31");
    CHECK(t.format_of_template.at("1.2.250.1.213.1.1.1.55").code == "urn:ihe:lab:xd-lab:2008");
    CHECK(t.format_of_media_type.at("application/pdf").code == "urn:ihe:iti:xds-sd:pdf:2008");
    for (const auto& [type, cls] : t.class_of_type) CHECK_MESSAGE(t.dmp_classes.count(cls.code), type);
}

TEST_CASE("a biology report's sharing metadata") {
    auto m = sharing_metadata(header_of(cda_fixture("bio.xml")));
    REQUIRE_MESSAGE(m.ok(), m.refusal().reason);
    CHECK(m->unique_id == "1.2.250.1.213.1.1.9.99^CRBIO-2026-0001");
    CHECK(m->set_id == "1.2.250.1.213.1.1.9.99^SET-CRBIO-0001");
    CHECK(m->type_code.code == "11502-2");
    CHECK(m->class_code.code == "10");
    CHECK(m->class_code.code_system == "1.2.250.1.213.1.1.4.1");
    CHECK(m->class_code.display_name == "Compte rendu");
    CHECK(m->confidentiality.code == "N");
    CHECK(m->practice_setting.code == "ETABLISSEMENT");
    CHECK(m->facility_type.code == "SA01");
    CHECK(m->format_code.code == "urn:ihe:lab:xd-lab:2008");
    CHECK(m->author_ps_idnat == "810001234565");
    CHECK(m->creation_time == "20261206093000+0100");
    CHECK_FALSE(m->replaces);
}

TEST_CASE("a discharge letter takes the PDF format; a replacement names what it replaces") {
    auto letter = sharing_metadata(header_of(cda_fixture("discharge.xml")));
    REQUIRE(letter.ok());
    CHECK(letter->format_code.code == "urn:ihe:iti:xds-sd:pdf:2008");
    CHECK(letter->class_code.code == "10");
    auto v2 = sharing_metadata(header_of(cda_fixture("replacement.xml")));
    REQUIRE(v2.ok());
    REQUIRE(v2->replaces);
    CHECK(*v2->replaces == "1.2.250.1.213.1.1.9.99^CRBIO-2026-0001");
    CHECK(v2->version == "2");
}

TEST_CASE("what the tables cannot map is 906") {
    std::string bio = cda_fixture("bio.xml");
    auto unknown_type = sharing_metadata(header_of(replaced(bio, "code=\"11502-2\"", "code=\"99999-9\"")));
    REQUIRE_FALSE(unknown_type.ok());
    CHECK(unknown_type.refusal().code == AckCode::Other);
    CHECK(unknown_type.refusal().reason.find("ASS_X04") != std::string::npos);
    auto no_format = sharing_metadata(header_of(replaced(bio, "<templateId root=\"1.2.250.1.213.1.1.1.55\"/>", "")));
    REQUIRE_FALSE(no_format.ok());
    CHECK(no_format.refusal().reason.find("ASS_A11") != std::string::npos);
    auto tiff = header_of(cda_fixture("discharge.xml"));
    tiff.body_media_type = "application/x-unknown";
    CHECK_FALSE(sharing_metadata(tiff).ok());
    auto no_facility = header_of(bio);
    no_facility.facility_type = {};
    CHECK(sharing_metadata(no_facility).refusal().reason.find("healthCareFacility") != std::string::npos);
}

TEST_CASE("tables are data: parsed from text, a broken line named") {
    auto t = parse_code_tables("# c\n11502-2\t10\t1.2.250.1.213.1.1.4.1\n", "10\tCompte rendu\n",
                               "1.2.250.1.213.1.1.1.55\t-\turn:ihe:lab:xd-lab:2008\t1.3.6.1.4.1.19376.1.2.3\n");
    REQUIRE(t.ok());
    CHECK(t->class_of_type.at("11502-2").display_name == "Compte rendu");
    auto broken = parse_code_tables("11502-2\n", "", "");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.refusal().reason == "ASS_X04 line 1: 3 columns expected");
    CHECK_FALSE(parse_code_tables("", "", "1.2.3\tapplication/pdf\tx\ty\n").ok());
}

TEST_CASE("the acknowledgement subject: XDM/1.0/DDM+<label> <FAMILY> <given> <birth date>") {
    auto bio = header_of(cda_fixture("bio.xml")), letter = header_of(cda_fixture("discharge.xml"));
    CHECK(acknowledgement_subject({&bio}) == "XDM/1.0/DDM+CR d'examens biologiques DUPONT Marie 12/05/1980");
    CHECK(acknowledgement_subject({&bio, &letter}) == "XDM/1.0/DDM+2 documents DUPONT Marie 12/05/1980");
    // displayName cut to 40 characters, not octets: "Lettre de liaison à la sortie d'un établissement" has two
    // 2-octet characters.
    CHECK(acknowledgement_subject({&letter}) == "XDM/1.0/DDM+Lettre de liaison à la sortie d'un établ DUPONT Marie 12/05/1980");
    CHECK(failure_subject(AckCode::InsMissing, "XDM/1.0/DDM+x") == "[KO Intégration système !][903] XDM/1.0/DDM+x");
    CHECK(ack_label(AckCode::InsMissing) == "INS absent du document");
    CHECK(static_cast<int>(AckCode::WrongVersion) == 900);
    CHECK(static_cast<int>(AckCode::Other) == 906);
}
