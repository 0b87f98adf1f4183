// The INS of a CDA (OIDs, key, traits), the CI-SIS header rules, the one-patient rule and the
// X-MSS-CODECDA / X-MSS-INS headers: each broken rule gives its exact acknowledgement code.
#include <doctest/doctest.h>

#include "cda/checks.h"
#include "cda_fixture.h"

using namespace mss::cda;

namespace {

CdaHeader header_of(const std::string& xml) {
    auto h = read_cda_header(xml);
    REQUIRE_MESSAGE(h.ok(), h.refusal().reason);
    return h.value();
}

AckCode code_of(const std::string& xml) {
    auto ins = check_document(header_of(xml));
    return ins ? AckCode{0} : ins.refusal().code;
}

const std::string kIns = "280057512345674";
const std::string kInsId = "<id root=\"1.2.250.1.213.1.4.8\" extension=\"280057512345674\"/>";

}  // namespace

TEST_CASE("the three generated documents pass every check") {
    for (auto name : {"bio.xml", "discharge.xml", "replacement.xml"}) {
        auto h = header_of(cda_fixture(name));
        CHECK_MESSAGE(header_rule_breaches(h).empty(), name);
        auto ins = check_document(h);
        REQUIRE(ins.ok());
        CHECK(ins->matricule == kIns);
        CHECK(ins->kind == InsKind::Nir);
    }
}

TEST_CASE("INS OIDs: NIR, NIA, test and demo are INS; INS-C and others are not") {
    CHECK(ins_kind("1.2.250.1.213.1.4.8") == InsKind::Nir);
    CHECK(ins_kind("1.2.250.1.213.1.4.9") == InsKind::Nia);
    CHECK(ins_kind("1.2.250.1.213.1.4.10") == InsKind::NirTest);
    CHECK(ins_kind("1.2.250.1.213.1.4.11") == InsKind::NirDemo);
    CHECK_FALSE(ins_kind("1.2.250.1.213.1.4.2"));
    CHECK_FALSE(ins_kind("1.2.250.1.213.1.4.80"));
    CHECK_FALSE(ins_kind(""));
}

TEST_CASE("no INS: 903; an INS-C alone: 903; a test INS is accepted") {
    std::string bio = cda_fixture("bio.xml");
    CHECK(code_of(replaced(bio, kInsId, "")) == AckCode::InsMissing);
    CHECK(code_of(replaced(bio, kInsId, "<id root=\"1.2.250.1.213.1.4.2\" extension=\"" + kIns + "\"/>")) ==
          AckCode::InsMissing);
    CHECK(code_of(replaced(bio, kInsId, "<id root=\"1.2.250.1.71.4.2.7\" extension=\"IPP123\"/>")) ==
          AckCode::InsMissing);
    auto no_target = header_of(bio);
    no_target.record_targets = 0;
    CHECK(check_document(no_target).refusal().code == AckCode::InsMissing);
    CHECK(check_document(header_of(replaced(bio, "1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10"))).ok());
    // An INS-C beside a real INS: the INS is taken.
    auto both = header_of(replaced(bio, kInsId, "<id root=\"1.2.250.1.213.1.4.2\" extension=\"X\"/>" + kInsId));
    auto ins = check_document(both);
    REQUIRE(ins.ok());
    CHECK(ins->matricule == kIns);
}

TEST_CASE("a wrong key, a malformed matricule or a missing trait: 905") {
    std::string bio = cda_fixture("bio.xml");
    CHECK(code_of(replaced(bio, kIns, "280057512345675")) == AckCode::InsIncomplete);
    CHECK(code_of(replaced(bio, kIns, "2800575123456")) == AckCode::InsIncomplete);
    CHECK(code_of(replaced(bio, kIns, "28005751234567X")) == AckCode::InsIncomplete);
    CHECK(code_of(replaced(bio, "<birthTime value=\"19800512\"/>", "")) == AckCode::InsIncomplete);
    CHECK(code_of(replaced(bio, "<given qualifier=\"BR\">Marie</given>", "")) == AckCode::InsIncomplete);
    CHECK(code_of(replaced(bio, "<family qualifier=\"BR\">DUPONT</family>", "")) == AckCode::InsIncomplete);
    CHECK(code_of(replaced(bio, "administrativeGenderCode code=\"F\"", "administrativeGenderCode code=\"X\"")) ==
          AckCode::InsIncomplete);
}

TEST_CASE("the Corsica rule of the INS key (through directory's one ins_valid)") {
    std::string bio = cda_fixture("bio.xml");
    CHECK(check_document(header_of(replaced(bio, kIns, "184122A10804288"))).ok());
    CHECK(code_of(replaced(bio, kIns, "184122A10804218")) == AckCode::InsIncomplete);
    CHECK(check_document(header_of(replaced(bio, kIns, "184122B10804218"))).ok());
}

TEST_CASE("each CI-SIS header rule broken is 906 and named") {
    std::string bio = cda_fixture("bio.xml");
    struct Case {
        std::string from, to, reason;
    } cases[] = {
        {"<realmCode code=\"FR\"/>", "<realmCode code=\"US\"/>", "realmCode"},
        {"extension=\"POCD_HD000040\"", "extension=\"POCD_HD000041\"", "typeId"},
        {"<templateId root=\"1.2.250.1.213.1.1.1.1\"/>", "", "1.2.250.1.213.1.1.1.1"},
        {"<templateId root=\"2.16.840.1.113883.2.8.2.1\"/>", "", "2.16.840.1.113883.2.8.2.1"},
        {"<title>Compte rendu d'examens biologiques</title>", "", "title"},
        {"displayName=\"CR d'examens biologiques\"", "", "displayName"},
        {"<effectiveTime value=\"20261206093000+0100\"/>\n  <confidentialityCode", "<confidentialityCode", "effectiveTime"},
        {"<confidentialityCode code=\"N\"", "<confidentialityCode code=\"X\"", "confidentialityCode"},
        {"<languageCode code=\"fr-FR\"/>", "<languageCode code=\"en-US\"/>", "languageCode"},
        {"<versionNumber value=\"1\"/>", "<versionNumber value=\"0\"/>", "versionNumber"},
        {"<setId root=\"1.2.250.1.213.1.1.9.99\" extension=\"SET-CRBIO-0001\"/>", "", "setId"},
        {"<assignedAuthor>\n      <id root=\"1.2.250.1.71.4.2.1\" extension=\"810001234565\"/>",
         "<assignedAuthor>\n      <id root=\"1.2.250.1.71.4.2.1\" extension=\"810001234566\"/>", "author"},
        {"<assignedAuthor>\n      <id root=\"1.2.250.1.71.4.2.1\"", "<assignedAuthor>\n      <id root=\"1.2.250.1.71.4.2.2\"",
         "author"},
        {"<legalAuthenticator>", "<legalAuthenticatorX>", "not well-formed"},
        {"<documentationOf>", "<documentationOf/><documentationOfX>", "not well-formed"},
    };
    for (const auto& c : cases) {
        std::string xml = replaced(bio, c.from, c.to);
        auto h = read_cda_header(xml);
        if (!h) {
            CHECK_MESSAGE(h.refusal().reason.find(c.reason) != std::string::npos, c.reason);
            continue;
        }
        auto result = check_document(h.value());
        REQUIRE_MESSAGE(!result.ok(), c.reason);
        CHECK(result.refusal().code == AckCode::Other);
        CHECK_MESSAGE(result.refusal().reason.find(c.reason) != std::string::npos, result.refusal().reason);
    }
}

TEST_CASE("counts: one legalAuthenticator, one componentOf, documentationOf present, a body") {
    std::string bio = cda_fixture("bio.xml");
    auto h = header_of(bio);
    h.legal_authenticators = 0;
    CHECK(header_rule_breaches(h).front().reason.find("legalAuthenticator") != std::string::npos);
    h = header_of(bio);
    h.component_ofs = 2;
    CHECK(header_rule_breaches(h).front().reason.find("componentOf") != std::string::npos);
    h = header_of(bio);
    h.documentation_ofs = 0;
    CHECK(header_rule_breaches(h).front().reason.find("documentationOf") != std::string::npos);
    h = header_of(bio);
    h.body = BodyKind::None;
    CHECK(header_rule_breaches(h).front().reason.find("nonXMLBody") != std::string::npos);
    auto letter = header_of(cda_fixture("discharge.xml"));
    letter.template_ids.pop_back();
    CHECK(header_rule_breaches(letter).front().reason.find("1.3.6.1.4.1.19376.1.2.20") != std::string::npos);
}

TEST_CASE("two patients in one message: 906") {
    auto a = header_of(cda_fixture("bio.xml")), b = header_of(cda_fixture("discharge.xml"));
    auto one = one_patient({&a, &b});
    REQUIRE(one.ok());
    CHECK(one->matricule == kIns);
    auto other = header_of(replaced(cda_fixture("discharge.xml"), kIns, "175069912345628"));
    auto two = one_patient({&a, &other});
    REQUIRE_FALSE(two.ok());
    CHECK(two.refusal().code == AckCode::Other);
    CHECK(two.refusal().reason.find("two patients") != std::string::npos);
}

TEST_CASE("X-MSS-CODECDA and X-MSS-INS against the documents") {
    auto a = header_of(cda_fixture("bio.xml")), b = header_of(cda_fixture("discharge.xml"));
    std::vector<const CdaHeader*> docs{&a, &b};
    CHECK_FALSE(check_mss_headers("11502-2,11490-0", "O", docs));
    CHECK_FALSE(check_mss_headers(" 11490-0 , 11502-2", " O", docs));
    CHECK_FALSE(check_mss_headers(std::nullopt, std::nullopt, docs));
    CHECK_FALSE(check_mss_headers(std::nullopt, std::nullopt, {}));
    CHECK(check_mss_headers("11502-2", "O", docs)->code == AckCode::Other);
    CHECK(check_mss_headers("11502-2,11490-0,34112-3", "O", docs)->code == AckCode::Other);
    CHECK(check_mss_headers("11502-2,11490-0", "Y", docs)->code == AckCode::Other);
    CHECK(check_mss_headers("11502-2,11490-0", "N", docs)->code == AckCode::Other);
    CHECK(check_mss_headers("11502-2", std::nullopt, {})->code == AckCode::Other);
    auto no_ins = header_of(replaced(cda_fixture("discharge.xml"), kInsId, ""));
    std::vector<const CdaHeader*> without{&a, &no_ins};
    CHECK(check_mss_headers("11502-2,11490-0", "O", without)->code == AckCode::InsMissing);
    CHECK_FALSE(check_mss_headers("11502-2,11490-0", "N", without));
}
