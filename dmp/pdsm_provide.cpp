// ITI-65 as a client writes it and reads its answer (see pdsm_provide.h). Pure.
#include "dmp/pdsm_provide.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "dmp/pdsm_resources.h"

namespace mss::dmp {
namespace {

using nlohmann::json;

json ins_identifier(const Deposit& d) { return {{"system", as_uri(d.ins_oid)}, {"value", d.document.patient_ins}}; }

// The patient as the sender knows it: its INS and the traits the DMP compares (904).
json patient(const Deposit& d) {
    json p = {{"resourceType", "Patient"}, {"id", "patient"}, {"identifier", json::array({ins_identifier(d)})}};
    json name = json::object();
    if (d.family) name["family"] = *d.family;
    if (d.given) name["given"] = json::array({*d.given});
    if (!name.empty()) p["name"] = json::array({std::move(name)});
    if (d.birth_date && d.birth_date->size() == 8)
        p["birthDate"] = fmt::format("{}-{}-{}", d.birth_date->substr(0, 4), d.birth_date->substr(4, 2), d.birth_date->substr(6, 2));
    if (d.gender) p["gender"] = *d.gender == "F" ? "female" : "male";
    return p;
}

json document_reference(const Deposit& d, const std::string& binary_url) {
    const Document& doc = d.document;
    json attachment = {{"contentType", doc.content_type}, {"url", binary_url}, {"size", d.content.size()}};
    if (!doc.title.empty()) attachment["title"] = doc.title;
    if (!doc.creation_time.empty()) attachment["creation"] = doc.creation_time;
    json content = {{"attachment", std::move(attachment)}};
    if (!doc.format.code.empty()) content["format"] = fhir_coding(doc.format);
    json context = document_context(doc);
    json out = {{"resourceType", "DocumentReference"},
                {"contained", json::array({patient(d), practitioner("author", doc.author)})},
                {"masterIdentifier", {{"system", "urn:ietf:rfc:3986"}, {"value", as_uri(doc.unique_id)}}},
                {"status", "current"},
                {"type", codeable_concept(doc.type)},
                {"category", json::array({codeable_concept(doc.class_code)})},
                {"subject", {{"reference", "#patient"}, {"identifier", ins_identifier(d)}}},
                {"author", json::array({{{"reference", "#author"}}})},
                {"securityLabel", security_labels(doc)},
                {"content", json::array({std::move(content)})},
                {"extension", cda_extensions(doc)}};
    if (!context.empty()) out["context"] = std::move(context);
    if (!d.replaces_ref.empty())
        out["relatesTo"] = json::array({{{"code", "replaces"}, {"target", {{"identifier", {{"value", as_uri(d.replaces_ref)}}}}}}});
    return out;
}

json submission_set(const ProvideBundle& b) {
    const SubmissionSet& s = b.list;
    json list = {{"resourceType", "List"},
                 {"masterIdentifier", {{"system", "urn:ietf:rfc:3986"}, {"value", b.submission_set}}},
                 {"status", "current"},
                 {"mode", "working"},
                 {"code", codeable_concept({"https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset", ""})}};
    if (!s.date.empty()) list["date"] = s.date;
    if (!s.title.empty()) list["title"] = s.title;
    if (json extensions = submission_set_extensions(s); !extensions.empty()) list["extension"] = std::move(extensions);
    if (!s.author.empty()) {
        list["contained"] = json::array({practitioner("source", s.author)});
        list["source"] = {{"reference", "#source"}};
    }
    return list;
}

json entry(std::string full_url, json resource) {
    std::string type = resource["resourceType"];
    return {{"fullUrl", std::move(full_url)}, {"resource", std::move(resource)}, {"request", {{"method", "POST"}, {"url", type}}}};
}

// The CI-SIS code an OperationOutcome carries (details.coding under kAckSystem), or 906.
AckCode ack_of(const json& outcome) {
    if (!outcome.is_object() || !outcome.contains("issue") || !outcome["issue"].is_array()) return AckCode::Other;
    for (const auto& issue : outcome["issue"]) {
        if (!issue.is_object() || !issue.contains("details") || !issue["details"].is_object()) continue;
        const auto& codings = issue["details"].value("coding", json::array());
        for (const auto& c : codings) {
            if (!c.is_object() || c.value("system", "") != kAckSystem) continue;
            std::string code = c.value("code", "");
            for (AckCode known : {AckCode::WrongVersion, AckCode::NotTheAuthor, AckCode::NoDmp, AckCode::InsMissing,
                                  AckCode::TraitsDiffer, AckCode::InsIncomplete, AckCode::Other})
                if (code == std::to_string(static_cast<int>(known))) return known;
        }
    }
    return AckCode::Other;
}

std::string diagnostics_of(const json& outcome) {
    if (outcome.is_object() && outcome.contains("issue") && outcome["issue"].is_array())
        for (const auto& issue : outcome["issue"])
            if (issue.is_object() && issue.contains("diagnostics") && issue["diagnostics"].is_string())
                return issue["diagnostics"].get<std::string>();
    return "refused by the DMP";
}

}  // namespace

std::string provide_bundle_json(const ProvideBundle& bundle) {
    json entries = json::array({entry("urn:uuid:submission-set", submission_set(bundle))});
    for (std::size_t i = 0; i < bundle.deposits.size(); ++i) {
        const Deposit& d = bundle.deposits[i];
        std::string binary_url = fmt::format("urn:uuid:binary-{}", i);
        std::string doc_url = i < bundle.full_urls.size() && !bundle.full_urls[i].empty() ? bundle.full_urls[i]
                                                                                          : fmt::format("urn:uuid:document-{}", i);
        entries.push_back(entry(std::move(doc_url), document_reference(d, binary_url)));
        entries.push_back(entry(binary_url, {{"resourceType", "Binary"},
                                             {"contentType", d.document.content_type},
                                             {"data", base64_encode(d.content)}}));
    }
    json out = {{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", std::move(entries)}};
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<DepositOutcome> read_provide_response(int status, std::string_view body, std::size_t documents) {
    json answer = json::parse(body, nullptr, false);
    if (status >= 500 || status == 429 || status == 401 || status == 408)
        return fail(ErrorKind::Io, fmt::format("the DMP answered {}: {}", status,
                                               answer.is_discarded() ? "" : diagnostics_of(answer)));
    if (answer.is_discarded() || !answer.is_object())
        return fail(ErrorKind::Io, fmt::format("the DMP answered {} with no JSON", status));
    if (status != 200)
        return DepositOutcome{Refusal{ack_of(answer), diagnostics_of(answer)}};
    if (answer.value("resourceType", "") != "Bundle" || answer.value("type", "") != "transaction-response" ||
        !answer.contains("entry") || !answer["entry"].is_array())
        return fail(ErrorKind::Io, "the DMP's answer is not a transaction-response Bundle");
    std::vector<DepositReceipt> receipts;
    for (const auto& e : answer["entry"]) {
        if (!e.is_object() || !e.contains("response") || !e["response"].is_object()) continue;
        const auto& r = e["response"];
        std::string location = r.value("location", ""), code = r.value("status", "");
        constexpr std::string_view kDoc = "DocumentReference/";
        if (location.rfind(kDoc, 0) != 0) continue;
        receipts.push_back({.id = location.substr(kDoc.size()), .duplicate = code.rfind("200", 0) == 0});
    }
    if (receipts.size() != documents)
        return fail(ErrorKind::Io, fmt::format("the DMP acknowledged {} documents of {}", receipts.size(), documents));
    return DepositOutcome{std::move(receipts)};
}

}  // namespace mss::dmp
