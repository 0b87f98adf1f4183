// Entries to resources. Identifier systems and code systems are the Annuaire's (docs/directory.md,
// "FHIR look-ups"); a field the extraction leaves empty is left out, never sent empty.
#include "directory/fhir/resources.h"

#include <fmt/format.h>

namespace mss::directory::fhir {
namespace {

constexpr std::string_view kIdentifierTypeSystem = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203";
constexpr std::string_view kEmailTypeUrl = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type";
constexpr std::string_view kMessagingTypeSystem =
    "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie";
constexpr std::string_view kProfessionSystem = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante";
constexpr std::string_view kModeSystem = "https://mos.esante.gouv.fr/NOS/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice";
constexpr std::string_view kSpecialtySystem =
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale";

Json meta(std::string_view profile) { return {{"profile", Json::array({fmt::format("{}{}", kIgBase, profile)})}}; }

Json identifier(std::string_view type, std::string_view system, std::string_view value) {
    return {{"use", "official"},
            {"type", {{"coding", Json::array({{{"system", kIdentifierTypeSystem}, {"code", type}}})}}},
            {"system", system},
            {"value", value}};
}

Json coding(std::string_view system, const std::string& code, const std::string& display) {
    Json c = {{"system", system}, {"code", code}};
    if (!display.empty()) c["display"] = display;
    return {{"coding", Json::array({c})}};
}

void put(Json& j, const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
}

Json human_name(const std::string& civility, const std::string& family, const std::string& given) {
    Json n = {{"use", "usual"}};
    put(n, "family", family);
    if (!given.empty()) n["given"] = Json::array({given});
    if (!civility.empty()) n["prefix"] = Json::array({civility});
    return n;
}

Json telecoms(const std::vector<MailboxEntry>& mailboxes, const CertificateLookup& certificate,
              const std::function<bool(const MailboxEntry&)>& keep) {
    Json out = Json::array();
    for (const auto& m : mailboxes)
        if (!m.liste_rouge && keep(m)) out.push_back(mailbox_telecom(m, certificate));
    return out;
}

// The national structure id: 1 + FINESS (site), or 3 + SIRET.
std::string structure_national_id(const ActivityEntry& a) {
    if (!a.finess_site.empty()) return "1" + a.finess_site;
    if (!a.siret.empty()) return "3" + a.siret;
    return {};
}

}  // namespace

std::string role_id(const ActivityEntry& e) {
    uint64_t h = 1469598103934665603ull;
    for (const std::string* f : {&e.ps_idnat, &e.structure_id, &e.profession_code, &e.mode_code, &e.specialty_code}) {
        for (unsigned char c : *f) h = (h ^ c) * 1099511628211ull;
        h = (h ^ '|') * 1099511628211ull;
    }
    return fmt::format("{}-{:016x}", e.ps_idnat, h);
}

Json mailbox_telecom(const MailboxEntry& m, const CertificateLookup& certificate) {
    Json metadata = Json::array({{{"url", "type"}, {"valueCodeableConcept", coding(kMailboxTypeSystem, std::string(to_string(m.type)), "")}}});
    if (!m.service.empty()) metadata.push_back({{"url", "service"}, {"valueString", m.service}});
    if (!m.structure_name.empty() && m.type != MailboxType::Per)
        metadata.push_back({{"url", "description"}, {"valueString", m.structure_name}});
    metadata.push_back({{"url", "listeRouge"}, {"valueBoolean", m.liste_rouge}});
    Json extensions = Json::array({
        {{"url", kEmailTypeUrl}, {"valueCoding", {{"system", kMessagingTypeSystem}, {"code", "MSSANTE"}}}},
        {{"url", kMailboxMetadataUrl}, {"extension", metadata}},
    });
    if (certificate)
        if (auto pem = certificate(m.address))
            extensions.push_back({{"url", kSmimeCertificateUrl},
                                  {"extension", Json::array({{{"url", "use"}, {"valueCode", "encryption"}},
                                                             {{"url", "certificateStandard"}, {"valueCode", "x.509v3"}},
                                                             {{"url", "certificate"}, {"valueString", *pem}}})}});
    return {{"extension", extensions}, {"system", "email"}, {"value", m.address}, {"use", "work"}};
}

std::optional<Json> practitioner(std::string_view ps_idnat, const std::vector<ActivityEntry>& activities,
                                 const std::vector<MailboxEntry>& mailboxes, const CertificateLookup& certificate) {
    Json telecom = telecoms(mailboxes, certificate, [](const MailboxEntry& m) {
        return m.type == MailboxType::Per || m.type == MailboxType::Cab;
    });
    if (activities.empty() && telecom.empty()) return std::nullopt;
    Json ids = Json::array({identifier("IDNPS", kPsIdNatSystem, ps_idnat)});
    if (ps_idnat.size() == 12 && ps_idnat.front() == '8') ids.push_back(identifier("RPPS", kRppsSystem, ps_idnat.substr(1)));
    else if (ps_idnat.size() == 10 && ps_idnat.front() == '0') ids.push_back(identifier("ADELI", "urn:oid:1.2.250.1.71.4.2.1", ps_idnat.substr(1)));
    Json p = {{"resourceType", "Practitioner"}, {"id", ps_idnat}, {"meta", meta("as-practitioner")},
              {"identifier", ids}, {"active", true}};
    if (!activities.empty()) {
        const auto& a = activities.front();
        p["name"] = Json::array({human_name(a.civility, a.family, a.given)});
    } else {
        const MailboxEntry* m = nullptr;
        for (const auto& candidate : mailboxes)
            if (!m && !candidate.liste_rouge && (candidate.type == MailboxType::Per || candidate.type == MailboxType::Cab))
                m = &candidate;
        p["name"] = Json::array({human_name(m->civility, m->family, m->given)});
    }
    if (!telecom.empty()) p["telecom"] = telecom;
    return p;
}

Json practitioner_role(const ActivityEntry& a, const std::vector<MailboxEntry>& mailboxes,
                       const CertificateLookup& certificate) {
    Json r = {{"resourceType", "PractitionerRole"}, {"id", role_id(a)}, {"meta", meta("as-practitionerrole")},
              {"active", true}, {"practitioner", {{"reference", "Practitioner/" + a.ps_idnat}}}};
    if (!a.structure_id.empty()) r["organization"] = {{"reference", "Organization/" + a.structure_id}};
    Json code = Json::array();
    if (!a.profession_code.empty()) code.push_back(coding(kProfessionSystem, a.profession_code, a.profession));
    if (!a.mode_code.empty()) code.push_back(coding(kModeSystem, a.mode_code, ""));
    if (!code.empty()) r["code"] = code;
    if (!a.specialty_code.empty()) r["specialty"] = Json::array({coding(kSpecialtySystem, a.specialty_code, a.specialty)});
    Json telecom = telecoms(mailboxes, certificate, [&](const MailboxEntry& m) {
        return (m.type == MailboxType::Per || m.type == MailboxType::Cab) && m.ps_idnat == a.ps_idnat &&
               !m.structure_id.empty() && m.structure_id == a.structure_id;
    });
    if (!telecom.empty()) r["telecom"] = telecom;
    return r;
}

std::optional<Json> organization(std::string_view structure_id, const std::vector<ActivityEntry>& activities,
                                 const std::vector<MailboxEntry>& mailboxes, const CertificateLookup& certificate) {
    Json telecom = telecoms(mailboxes, certificate, [&](const MailboxEntry& m) {
        return (m.type == MailboxType::Org || m.type == MailboxType::App) && m.structure_id == structure_id;
    });
    if (activities.empty() && telecom.empty()) return std::nullopt;
    Json o = {{"resourceType", "Organization"}, {"id", structure_id}, {"meta", meta("as-organization")}, {"active", true}};
    Json ids = Json::array();
    std::string name, postcode, city;
    if (!activities.empty()) {
        const auto& a = activities.front();
        if (auto national = structure_national_id(a); !national.empty()) ids.push_back(identifier("IDNST", kStructureSystem, national));
        if (!a.finess_site.empty()) ids.push_back(identifier("FINEG", kFinessSystem, a.finess_site));
        if (!a.finess_ej.empty()) ids.push_back(identifier("FINEJ", kFinessSystem, a.finess_ej));
        if (!a.siret.empty()) ids.push_back(identifier("SIRET", kSiretSystem, a.siret));
        name = a.structure_name, postcode = a.postcode, city = a.city;
    } else {
        ids.push_back(identifier("IDNST", kStructureSystem, structure_id));
        for (const auto& m : mailboxes)
            if (m.structure_id == structure_id && !m.liste_rouge && name.empty())
                name = m.structure_name, postcode = m.postcode, city = m.city;
    }
    if (!ids.empty()) o["identifier"] = ids;
    put(o, "name", name);
    Json address = Json::object();
    put(address, "postalCode", postcode);
    put(address, "city", city);
    if (!address.empty()) o["address"] = Json::array({address});
    if (!telecom.empty()) o["telecom"] = telecom;
    return o;
}

Json operation_outcome(std::string_view severity, std::string_view code, std::string_view diagnostics) {
    return {{"resourceType", "OperationOutcome"},
            {"issue", Json::array({{{"severity", severity}, {"code", code}, {"diagnostics", diagnostics}}})}};
}

}  // namespace mss::directory::fhir
