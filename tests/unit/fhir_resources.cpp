// Entries to Annuaire-shaped resources: identifiers, names, mailbox telecoms with their metadata
// extension and our certificate extension, and what is never published.
#include <doctest/doctest.h>

#include "directory/fhir/resources.h"

using namespace mss::directory;
using namespace mss::directory::fhir;

namespace {

ActivityEntry activity() {
    ActivityEntry a;
    a.ps_idnat = "810001045367";
    a.civility = "DR";
    a.family = "DUPONT";
    a.given = "Hélène";
    a.profession_code = "10";
    a.profession = "Médecin";
    a.specialty_code = "SM26";
    a.specialty = "Qualifié en Médecine Générale";
    a.mode_code = "S";
    a.finess_site = "750000016";
    a.structure_id = "S00000042";
    a.structure_name = "Centre hospitalier";
    a.postcode = "75013";
    a.city = "Paris";
    return a;
}

MailboxEntry mailbox(std::string address, MailboxType type) {
    MailboxEntry m;
    m.address = std::move(address);
    m.type = type;
    m.ps_idnat = type == MailboxType::Per ? "810001045367" : "";
    m.family = "DUPONT";
    m.structure_id = "S00000042";
    m.structure_name = "Centre hospitalier";
    return m;
}

const Json* extension(const Json& element, std::string_view url) {
    for (const auto& e : element["extension"])
        if (e["url"] == url) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("a practitioner carries its national and RPPS identifiers, its name and its PER mailboxes") {
    auto boxes = std::vector{mailbox("helene.dupont@chu.mssante.fr", MailboxType::Per)};
    auto p = practitioner("810001045367", {activity()}, boxes, {});
    REQUIRE(p);
    CHECK((*p)["meta"]["profile"][0] == "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-practitioner");
    CHECK((*p)["identifier"][0]["system"] == "urn:oid:1.2.250.1.71.4.2.1");
    CHECK((*p)["identifier"][0]["value"] == "810001045367");
    CHECK((*p)["identifier"][1]["system"] == "https://rpps.esante.gouv.fr");
    CHECK((*p)["identifier"][1]["value"] == "10001045367");
    CHECK((*p)["name"][0]["family"] == "DUPONT");
    CHECK((*p)["name"][0]["given"][0] == "Hélène");
    CHECK((*p)["name"][0]["prefix"][0] == "DR");
    const Json& telecom = (*p)["telecom"][0];
    CHECK(telecom["system"] == "email");
    CHECK(telecom["value"] == "helene.dupont@chu.mssante.fr");
    const Json* metadata = extension(telecom, kMailboxMetadataUrl);
    REQUIRE(metadata);
    CHECK((*metadata)["extension"][0]["url"] == "type");
    CHECK((*metadata)["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "PER");
    CHECK(extension(telecom, kSmimeCertificateUrl) == nullptr);
}

TEST_CASE("nothing is published of a professional known only by a mailbox on the liste rouge") {
    auto hidden = mailbox("secret@chu.mssante.fr", MailboxType::Per);
    hidden.liste_rouge = true;
    CHECK_FALSE(practitioner("810001045367", {}, {hidden}, {}));
    auto p = practitioner("810001045367", {activity()}, {hidden}, {});
    REQUIRE(p);
    CHECK_FALSE(p->contains("telecom"));
}

TEST_CASE("a mailbox with a certificate carries it in our extension") {
    CertificateLookup lookup = [](std::string_view address) -> std::optional<std::string> {
        if (address == "helene.dupont@chu.mssante.fr") return std::string("-----BEGIN CERTIFICATE-----\n...");
        return std::nullopt;
    };
    Json t = mailbox_telecom(mailbox("helene.dupont@chu.mssante.fr", MailboxType::Per), lookup);
    const Json* cert = extension(t, kSmimeCertificateUrl);
    REQUIRE(cert);
    CHECK((*cert)["extension"][0]["valueCode"] == "encryption");
    CHECK((*cert)["extension"][2]["valueString"].get<std::string>().starts_with("-----BEGIN CERTIFICATE-----"));
}

TEST_CASE("a role references its practitioner and organisation, with profession, mode and specialty") {
    auto boxes = std::vector{mailbox("helene.dupont@chu.mssante.fr", MailboxType::Per)};
    Json r = practitioner_role(activity(), boxes, {});
    CHECK(r["id"].get<std::string>().starts_with("810001045367-"));
    CHECK(r["id"].get<std::string>().size() == 12 + 1 + 16);
    CHECK(r["practitioner"]["reference"] == "Practitioner/810001045367");
    CHECK(r["organization"]["reference"] == "Organization/S00000042");
    CHECK(r["code"][0]["coding"][0]["code"] == "10");
    CHECK(r["code"][1]["coding"][0]["code"] == "S");
    CHECK(r["specialty"][0]["coding"][0]["code"] == "SM26");
    CHECK(r["telecom"][0]["value"] == "helene.dupont@chu.mssante.fr");
    CHECK(role_id(activity()) == r["id"]);
}

TEST_CASE("an organisation carries its national id, FINESS and ORG/APP mailboxes") {
    auto boxes = std::vector{mailbox("secretariat@chu.mssante.fr", MailboxType::Org),
                             mailbox("labo@chu.mssante.fr", MailboxType::App)};
    auto o = organization("S00000042", {activity()}, boxes, {});
    REQUIRE(o);
    CHECK((*o)["identifier"][0]["system"] == "urn:oid:1.2.250.1.71.4.2.2");
    CHECK((*o)["identifier"][0]["value"] == "1750000016");
    CHECK((*o)["identifier"][1]["value"] == "750000016");
    CHECK((*o)["name"] == "Centre hospitalier");
    CHECK((*o)["address"][0]["postalCode"] == "75013");
    CHECK((*o)["telecom"].size() == 2);
    CHECK_FALSE(organization("S00000099", {}, {}, {}));
}

TEST_CASE("an OperationOutcome names its issue") {
    Json o = operation_outcome("error", "invalid", "why");
    CHECK(o["resourceType"] == "OperationOutcome");
    CHECK(o["issue"][0]["code"] == "invalid");
    CHECK(o["issue"][0]["diagnostics"] == "why");
}
