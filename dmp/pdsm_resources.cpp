// FHIR R4 JSON for the DMP's records (see pdsm_resources.h). Pure.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "core/base64.h"
#include "dmp/pdsm_resources.h"

namespace mss::dmp {
namespace {

using nlohmann::json;

std::string hex_to_bytes(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

std::string fhir_date(const std::string& yyyymmdd) {
    if (yyyymmdd.size() != 8) return yyyymmdd;
    return yyyymmdd.substr(0, 4) + "-" + yyyymmdd.substr(4, 2) + "-" + yyyymmdd.substr(6, 2);
}

json ins_identifier(const Patient& p) { return {{"system", as_uri(p.ins_oid)}, {"value", p.ins}}; }

// DICOM audit event types and FHIR actions of the DMP's trace actions.
std::pair<const char*, const char*> event_of(const std::string& action) {
    if (action == "deposit") return {"ITI-65", "C"};
    if (action == "search") return {"ITI-67", "E"};
    if (action == "search-lists") return {"ITI-66", "E"};
    if (action == "read") return {"ITI-68", "R"};
    if (action == "mask" || action == "unmask" || action == "visibility") return {"PATCH-securityLabel", "U"};
    if (action == "delete") return {"PATCH-status", "D"};
    return {"DMP", "E"};
}

}  // namespace

std::string as_uri(const std::string& system) {
    bool oid = !system.empty() && system.find_first_not_of("0123456789.") == std::string::npos;
    return oid ? "urn:oid:" + system : system;
}

json fhir_coding(const Coding& c) {
    json coding = {{"system", as_uri(c.system)}, {"code", c.code}};
    if (!c.display.empty()) coding["display"] = c.display;
    return coding;
}

json codeable_concept(const Coding& c) { return {{"coding", json::array({fhir_coding(c)})}}; }

std::string fhir_instant(int64_t unix_seconds) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

json practitioner(const std::string& id, const std::string& ps_idnat) {
    return {{"resourceType", "Practitioner"},
            {"id", id},
            {"identifier", json::array({{{"system", as_uri(kPsIdNatOid)}, {"value", ps_idnat}}})}};
}

json security_labels(const Document& d) {
    json labels = json::array({{{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"},
                                                          {"code", d.confidentiality}}})}}});
    for (const auto& v : d.visibility)
        labels.push_back({{"coding", json::array({{{"system", as_uri(kVisibilityOid)}, {"code", v}}})}});
    return labels;
}

json document_context(const Document& d) {
    json context = json::object();
    if (!d.service_start.empty()) {
        context["period"] = {{"start", d.service_start}};
        if (!d.service_end.empty()) context["period"]["end"] = d.service_end;
    }
    if (!d.facility_type.code.empty()) context["facilityType"] = codeable_concept(d.facility_type);
    if (!d.practice_setting.code.empty()) context["practiceSetting"] = codeable_concept(d.practice_setting);
    return context;
}

json cda_extensions(const Document& d) {
    json extensions = json::array();
    if (!d.set_id.empty())
        extensions.push_back({{"url", "urn:mssd:cda:setId"}, {"valueIdentifier", {{"value", "urn:oid:" + d.set_id}}}});
    extensions.push_back({{"url", "urn:mssd:cda:versionNumber"}, {"valueInteger", d.version}});
    return extensions;
}

json submission_set_extensions(const SubmissionSet& s) {
    constexpr const char* kMhd = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/";
    json extensions = json::array();
    if (!s.source_id.empty())
        extensions.push_back({{"url", fmt::format("{}ihe-sourceId", kMhd)}, {"valueIdentifier", {{"value", as_uri(s.source_id)}}}});
    if (!s.designation.code.empty())
        extensions.push_back({{"url", fmt::format("{}ihe-designationType", kMhd)},
                              {"valueCodeableConcept", codeable_concept(s.designation)}});
    return extensions;
}

json document_reference(const Document& d, const Patient& p, const std::string& binary_base) {
    json attachment = {{"contentType", d.content_type},
                       {"url", binary_base + d.id},
                       {"size", d.size},
                       {"hash", base64_encode(hex_to_bytes(d.sha1_hex))},
                       {"title", d.title}};
    if (!d.creation_time.empty()) attachment["creation"] = d.creation_time;
    json content = {{"attachment", std::move(attachment)}};
    if (!d.format.code.empty()) content["format"] = {{"system", as_uri(d.format.system)}, {"code", d.format.code}};
    json out = {
        {"resourceType", "DocumentReference"},
        {"id", d.id},
        {"meta", {{"profile", json::array({"https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-document-reference"})}}},
        {"contained", json::array({practitioner("author", d.author)})},
        {"masterIdentifier", {{"system", "urn:ietf:rfc:3986"}, {"value", "urn:oid:" + d.unique_id}}},
        {"identifier", json::array({{{"use", "official"}, {"system", "urn:ietf:rfc:3986"}, {"value", "urn:uuid:" + d.id}}})},
        {"status", d.status},
        {"type", codeable_concept(d.type)},
        {"category", json::array({codeable_concept(d.class_code)})},
        {"subject", {{"reference", "Patient/" + p.ins}, {"identifier", ins_identifier(p)}}},
        {"date", fhir_instant(d.deposited_at)},
        {"author", json::array({{{"reference", "#author"}}})},
        {"securityLabel", security_labels(d)},
        {"content", json::array({std::move(content)})},
        {"context", document_context(d)},
        {"extension", cda_extensions(d)},
    };
    if (!d.replaces.empty())
        out["relatesTo"] = json::array({{{"code", "replaces"}, {"target", {{"reference", "DocumentReference/" + d.replaces}}}}});
    return out;
}

json submission_set_list(const SubmissionSet& s, const Patient& p, const std::vector<std::string>& documents) {
    constexpr const char* kMhd = "https://profiles.ihe.net/ITI/MHD/";
    json entries = json::array();
    for (const auto& id : documents) entries.push_back({{"item", {{"reference", "DocumentReference/" + id}}}});
    json out = {
        {"resourceType", "List"},
        {"id", s.id},
        {"meta", {{"profile", json::array({fmt::format("{}StructureDefinition/IHE.MHD.Minimal.SubmissionSet", kMhd)})}}},
        {"identifier", json::array({{{"use", "usual"}, {"system", "urn:ietf:rfc:3986"}, {"value", as_uri(s.unique_id)}},
                                    {{"use", "official"}, {"system", "urn:ietf:rfc:3986"}, {"value", "urn:uuid:" + s.id}}})},
        {"status", s.status},
        {"mode", "working"},
        {"code", {{"coding", json::array({{{"system", fmt::format("{}CodeSystem/MHDlistTypes", kMhd)}, {"code", "submissionset"}}})}}},
        {"subject", {{"reference", "Patient/" + p.ins}, {"identifier", ins_identifier(p)}}},
        {"date", s.date},
        {"entry", entries},
    };
    if (!s.title.empty()) out["title"] = s.title;
    if (!s.author.empty()) out["source"] = {{"identifier", {{"system", as_uri(kPsIdNatOid)}, {"value", s.author}}}};
    if (json extensions = submission_set_extensions(s); !extensions.empty()) out["extension"] = std::move(extensions);
    return out;
}

json patient_resource(const Patient& p) {
    return {{"resourceType", "Patient"},
            {"id", p.ins},
            {"identifier", json::array({ins_identifier(p)})},
            {"active", p.consent},
            {"name", json::array({{{"family", p.family}, {"given", json::array({p.given})}}})},
            {"gender", p.gender == "F" ? "female" : "male"},
            {"birthDate", fhir_date(p.birth_date)}};
}

json audit_event(const Trace& t, const Patient& p, int64_t seq) {
    auto [subtype, action] = event_of(t.action);
    json who = t.actor_kind == "professional"
                   ? json{{"identifier", {{"system", as_uri(kPsIdNatOid)}, {"value", t.actor}}}}
                   : json{{"display", t.actor}};
    json entities = json::array({{{"what", {{"reference", "Patient/" + p.ins}, {"identifier", ins_identifier(p)}}},
                                  {"type", {{"system", "http://terminology.hl7.org/CodeSystem/audit-entity-type"}, {"code", "1"}}}}});
    if (!t.document.empty())
        entities.push_back({{"what", {{"reference", "DocumentReference/" + t.document}}},
                            {"type", {{"system", "http://terminology.hl7.org/CodeSystem/audit-entity-type"}, {"code", "2"}}}});
    json out = {{"resourceType", "AuditEvent"},
                {"id", std::to_string(seq)},
                {"type", {{"system", "http://dicom.nema.org/resources/ontology/DCM"}, {"code", "110110"}, {"display", "Patient Record"}}},
                {"subtype", json::array({{{"system", "urn:mssd:dmp:action"}, {"code", t.action}, {"display", subtype}}})},
                {"action", action},
                {"recorded", fhir_instant(t.at)},
                {"outcome", t.action.find("refused") != std::string::npos ? "4" : "0"},
                {"agent", json::array({{{"who", who}, {"requestor", true}, {"name", t.actor_kind}}})},
                {"source", {{"observer", {{"display", "mssd DMP"}}}}},
                {"entity", entities}};
    if (!t.detail.empty()) out["outcomeDesc"] = t.detail;
    if (t.emergency)
        out["purposeOfEvent"] = json::array({{{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActReason"},
                                                                      {"code", "ETREAT"}, {"display", "bris de glace"}}})},
                                              {"text", t.detail}}});
    return out;
}

json searchset(std::vector<json> resources, std::size_t total, const std::string& self, const std::string& next) {
    json links = json::array({{{"relation", "self"}, {"url", self}}});
    if (!next.empty()) links.push_back({{"relation", "next"}, {"url", next}});
    json entries = json::array();
    entries.get_ref<json::array_t&>().reserve(resources.size());
    for (auto& r : resources) {  // moved, not copied: a page of 50 DocumentReferences is ~86 KB
        json entry = {{"search", {{"mode", "match"}}}};
        entry["resource"] = std::move(r);
        entries.push_back(std::move(entry));
    }
    return {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", total}, {"link", std::move(links)},
            {"entry", std::move(entries)}};
}

json operation_outcome(std::string_view issue_code, std::string_view message, AckCode ack) {
    json issue = {{"severity", "error"}, {"code", issue_code}, {"diagnostics", message}};
    if (ack != AckCode::None)
        issue["details"] = {{"coding", json::array({{{"system", kAckSystem}, {"code", std::to_string(static_cast<int>(ack))}}})},
                            {"text", message}};
    return {{"resourceType", "OperationOutcome"}, {"issue", json::array({issue})}};
}

}  // namespace mss::dmp
