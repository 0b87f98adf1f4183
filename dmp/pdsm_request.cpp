// ITI-65 Bundle and JSON Patch reading (see pdsm_request.h): nlohmann-json without exceptions,
// every member checked for its type before use. Pure.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/json_depth.h"
#include "dmp/pdsm_request.h"

namespace mss::dmp {
namespace {

using nlohmann::json;
using Failure = BadRequest;

const json* member(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
}

// The member of an object that may be absent itself: nothing then.
const json* member(const json* j, const char* key) { return j ? member(*j, key) : nullptr; }

std::string text(const json* j) { return j && j->is_string() ? j->get<std::string>() : std::string(); }
std::string text(const json& j, const char* key) { return text(member(j, key)); }

const json& items(const json* j) {
    static const json empty = json::array();
    return j && j->is_array() ? *j : empty;
}

// "urn:oid:1.2.3" -> "1.2.3"; anything else as it is.
std::string without_urn_oid(std::string s) {
    if (s.rfind("urn:oid:", 0) == 0) s.erase(0, 8);
    return s;
}

Coding first_coding(const json* concept_) {
    for (const auto& c : items(member(concept_, "coding")))
        return Coding{without_urn_oid(text(c, "system")), text(c, "code"), text(c, "display")};
    return {};
}

// content.format is a Coding, not a CodeableConcept.
Coding coding_of(const json* c) {
    return c ? Coding{without_urn_oid(text(*c, "system")), text(*c, "code"), text(*c, "display")} : Coding{};
}

Failure bad(std::string message, AckCode ack = AckCode::Other, int status = 400) {
    return Failure{status, ack, std::move(message)};
}

// A resource referenced as "#id" among contained, or as a fullUrl among the Bundle's entries.
struct Resolver {
    const json& contained;
    const std::map<std::string, const json*>& entries;
    const json* find(const json* reference) const {
        auto ref = text(member(reference, "reference"));
        if (ref.empty()) return nullptr;
        if (ref[0] == '#') {
            for (const auto& r : items(&contained))
                if (text(r, "id") == ref.substr(1)) return &r;
            return nullptr;
        }
        auto it = entries.find(ref);
        return it == entries.end() ? nullptr : it->second;
    }
};

std::string ps_idnat_of(const json& resource) {
    for (const auto& id : items(member(resource, "identifier")))
        if (without_urn_oid(text(id, "system")) == kPsIdNatOid) return text(id, "value");
    return {};
}

// The PS_IdNat a Reference names: its own identifier, or the (contained) Practitioner or
// PractitionerRole's practitioner it points to; "" when none.
std::string ps_idnat_referenced(const json& reference, const Resolver& resolve) {
    if (auto* identifier = member(reference, "identifier"); identifier && without_urn_oid(text(*identifier, "system")) == kPsIdNatOid)
        return text(*identifier, "value");
    const json* r = resolve.find(&reference);
    if (!r) return {};
    if (auto id = ps_idnat_of(*r); !id.empty()) return id;
    if (text(*r, "resourceType") == "PractitionerRole")
        if (const json* p = resolve.find(member(*r, "practitioner"))) return ps_idnat_of(*p);
    return {};
}

std::string author_of(const json& doc, const Resolver& resolve) {
    for (const auto& a : items(member(doc, "author")))
        if (auto id = ps_idnat_referenced(a, resolve); !id.empty()) return id;
    return {};
}

// The patient's INS and traits: subject.identifier, or the referenced Patient's identifier.
std::optional<Failure> read_patient(const json& doc, const Resolver& resolve, Deposit& out) {
    const json* subject = member(doc, "subject");
    const json* patient = resolve.find(subject);
    if (!patient) patient = resolve.find(member(member(doc, "context"), "sourcePatientInfo"));
    std::string system, value;
    if (auto* id = subject ? member(*subject, "identifier") : nullptr) {
        system = text(*id, "system");
        value = text(*id, "value");
    } else if (patient) {
        // The INS among the patient's identifiers, else the first one (refused below as not an INS).
        for (const auto& id : items(member(*patient, "identifier"))) {
            if (value.empty() || is_ins_oid(without_urn_oid(text(id, "system")))) {
                system = text(id, "system");
                value = text(id, "value");
            }
        }
    }
    if (value.empty()) return bad("the document names no patient INS", AckCode::InsMissing, 422);
    if (!is_ins_oid(without_urn_oid(system)))
        return bad(fmt::format("{} is not an INS identifier system", system), AckCode::InsIncomplete, 422);
    if (!ins_well_formed(value)) return bad("the INS is incomplete or malformed", AckCode::InsIncomplete, 422);
    out.document.patient_ins = value;
    out.ins_oid = without_urn_oid(system);
    if (patient) {
        for (const auto& name : items(member(*patient, "name"))) {
            out.family = text(name, "family");
            for (const auto& g : items(member(name, "given"))) {
                out.given = text(&g);
                break;
            }
            break;
        }
        if (auto birth = text(*patient, "birthDate"); birth.size() == 10)
            out.birth_date = birth.substr(0, 4) + birth.substr(5, 2) + birth.substr(8, 2);
        auto gender = text(*patient, "gender");
        if (gender == "female") out.gender = "F";
        if (gender == "male") out.gender = "M";
    }
    return std::nullopt;
}

void read_labels(const json& doc, Document& d) {
    for (const auto& label : items(member(doc, "securityLabel"))) {
        for (const auto& c : items(member(label, "coding"))) {
            auto code = text(c, "code");
            if (is_visibility_code(code)) d.visibility.push_back(code);
            else if (!code.empty()) d.confidentiality = code;
        }
    }
}

std::optional<Failure> read_document(const json& doc, const Resolver& resolve,
                                     const std::map<std::string, const json*>& entries, Deposit& out) {
    Document& d = out.document;
    auto master = text(member(member(doc, "masterIdentifier"), "value"));
    d.unique_id = without_urn_oid(master);
    if (d.unique_id.empty()) return bad("DocumentReference.masterIdentifier (uniqueId) is missing");
    if (auto failure = read_patient(doc, resolve, out)) return failure;
    d.author = author_of(doc, resolve);
    if (d.author.empty()) return bad("DocumentReference.author names no PS_IdNat (" + std::string(kPsIdNatOid) + ")");
    d.type = first_coding(member(doc, "type"));
    for (const auto& c : items(member(doc, "category"))) {
        d.class_code = first_coding(&c);
        break;
    }
    if (d.type.code.empty() || d.class_code.code.empty()) return bad("DocumentReference.type and category are required");
    read_labels(doc, d);
    for (const auto& e : items(member(doc, "extension"))) {
        auto url = text(e, "url");
        if (url == "urn:mssd:cda:setId") d.set_id = without_urn_oid(text(member(member(e, "valueIdentifier"), "value")));
        if (url == "urn:mssd:cda:versionNumber") {
            const json* v = member(e, "valueInteger");
            if (v && v->is_number_integer() && v->get<int64_t>() > 0 && v->get<int64_t>() < 1000000)
                d.version = static_cast<int>(v->get<int64_t>());
        }
    }
    for (const auto& r : items(member(doc, "relatesTo"))) {
        if (text(r, "code") != "replaces") continue;
        const json* target = member(r, "target");
        auto ref = text(member(target, "reference"));
        if (ref.rfind("DocumentReference/", 0) == 0) out.replaces_ref = ref.substr(18);
        else if (auto* id = target ? member(*target, "identifier") : nullptr) out.replaces_ref = without_urn_oid(text(*id, "value"));
        if (out.replaces_ref.empty()) return bad("relatesTo.target names no document");
    }
    const json* context = member(doc, "context");
    if (context) {
        const json* period = member(*context, "period");
        d.service_start = text(member(period, "start"));
        d.service_end = text(member(period, "end"));
        d.facility_type = first_coding(member(*context, "facilityType"));
        d.practice_setting = first_coding(member(*context, "practiceSetting"));
    }
    const auto& contents = items(member(doc, "content"));
    if (contents.size() != 1) return bad("a DocumentReference carries exactly one content");
    const json& content = contents[0];
    d.format = coding_of(member(content, "format"));
    const json* attachment = member(content, "attachment");
    if (!attachment) return bad("content.attachment is missing");
    d.title = text(*attachment, "title");
    d.creation_time = text(*attachment, "creation");
    d.content_type = text(*attachment, "contentType");
    if (const json* data = member(*attachment, "data")) {
        auto bytes = base64_decode(text(data));
        if (!bytes) return bad("attachment.data is not base64");
        out.content = std::move(*bytes);
        return std::nullopt;
    }
    auto url = text(*attachment, "url");
    auto it = entries.find(url);
    if (it == entries.end() || text(*it->second, "resourceType") != "Binary")
        return bad(fmt::format("attachment.url {} names no Binary of the Bundle", url));
    auto bytes = base64_decode(text(*it->second, "data"));
    if (!bytes) return bad("Binary.data is not base64");
    out.content = std::move(*bytes);
    if (d.content_type.empty()) d.content_type = text(*it->second, "contentType");
    if (const json* size = member(*attachment, "size");
        size && size->is_number_unsigned() && size->get<uint64_t>() != out.content.size())
        return bad("attachment.size differs from the Binary's size");
    return std::nullopt;
}

// The SubmissionSet's metadata (MHD List: masterIdentifier, ihe-sourceId, ihe-designationType,
// date, title, author); the patient and the documents are the DMP's to set.
SubmissionSet read_submission_set(const json& list, const std::string& unique_id, const Resolver& resolve) {
    SubmissionSet out;
    out.unique_id = without_urn_oid(unique_id);
    out.date = text(list, "date");
    out.title = text(list, "title");
    for (const auto& e : items(member(list, "extension"))) {
        auto url = text(e, "url");
        if (url.ends_with("/ihe-sourceId")) out.source_id = without_urn_oid(text(member(member(e, "valueIdentifier"), "value")));
        if (url.ends_with("/ihe-designationType")) out.designation = first_coding(member(e, "valueCodeableConcept"));
    }
    // List.source: a Reference to the author (PDSm: a contained PractitionerRole).
    if (const json* source = member(list, "source")) out.author = ps_idnat_referenced(*source, resolve);
    return out;
}

std::optional<Failure> check_size_and_depth(std::string_view body, const RequestLimits& limits) {
    if (body.size() > limits.max_body) return bad("the request body is too large", AckCode::Other, 413);
    if (json_depth(body, limits.max_depth) > limits.max_depth) return bad("the JSON is nested too deeply");
    return std::nullopt;
}

}  // namespace

std::variant<ProvideBundle, BadRequest> parse_provide_bundle(std::string_view body, const RequestLimits& limits) {
    if (auto failure = check_size_and_depth(body, limits)) return *failure;
    json bundle = json::parse(body, nullptr, false);
    if (bundle.is_discarded()) return bad("the body is not JSON");
    if (text(bundle, "resourceType") != "Bundle" || text(bundle, "type") != "transaction")
        return bad("an ITI-65 request is a Bundle of type transaction");
    const json& entries = items(member(bundle, "entry"));
    if (entries.size() > limits.max_entries) return bad("the Bundle holds too many entries", AckCode::Other, 413);
    std::map<std::string, const json*> by_url;
    for (const auto& e : entries) {
        const json* r = member(e, "resource");
        if (!r || !r->is_object()) return bad("a Bundle entry holds no resource");
        if (auto url = text(e, "fullUrl"); !url.empty()) by_url[url] = r;
        if (auto id = text(*r, "id"); !id.empty()) by_url[text(*r, "resourceType") + "/" + id] = r;
    }
    ProvideBundle out;
    bool has_submission_set = false;
    for (const auto& e : entries) {
        const json& r = *member(e, "resource");
        auto type = text(r, "resourceType");
        if (type == "List") {
            if (has_submission_set) return bad("an ITI-65 Bundle holds one SubmissionSet List");
            has_submission_set = true;
            auto* master = member(r, "masterIdentifier");
            out.submission_set = master ? text(*master, "value") : text(r, "id");
            static const json no_contained = json::array();
            const json* contained = member(r, "contained");
            out.list = read_submission_set(r, out.submission_set, Resolver{contained ? *contained : no_contained, by_url});
        } else if (type == "DocumentReference") {
            if (out.deposits.size() == limits.max_documents) return bad("too many documents in one Bundle", AckCode::Other, 413);
            static const json no_contained = json::array();
            const json* contained = member(r, "contained");
            Resolver resolve{contained ? *contained : no_contained, by_url};
            Deposit d;
            if (auto failure = read_document(r, resolve, by_url, d)) return *failure;
            out.deposits.push_back(std::move(d));
            out.full_urls.push_back(text(e, "fullUrl"));
        } else if (type != "Binary" && type != "Patient" && type != "Practitioner" && type != "PractitionerRole") {
            return bad(fmt::format("unexpected {} in an ITI-65 Bundle", type.empty() ? "resource" : type));
        }
    }
    if (!has_submission_set) return bad("the Bundle holds no SubmissionSet List");
    if (out.deposits.empty()) return bad("the Bundle holds no DocumentReference");
    for (auto& d : out.deposits) d.submission = out.submission_set;
    return out;
}

std::variant<MetadataPatch, BadRequest> parse_metadata_patch(std::string_view body, const RequestLimits& limits) {
    if (auto failure = check_size_and_depth(body, limits)) return *failure;
    json ops = json::parse(body, nullptr, false);
    if (ops.is_discarded() || !ops.is_array()) return bad("a JSON Patch is an array of operations");
    if (ops.size() > limits.max_patch_operations) return bad("too many patch operations");
    if (ops.empty()) return bad("an empty JSON Patch changes nothing");
    MetadataPatch out;
    auto labels_of = [](const json& concept_, std::vector<std::string>& into) {
        for (const auto& c : items(member(concept_, "coding")))
            if (is_visibility_code(text(c, "code"))) into.push_back(text(c, "code"));
    };
    for (const auto& op : ops) {
        auto name = text(op, "op");
        auto path = text(op, "path");
        const json* value = member(op, "value");
        if ((name == "replace" || name == "add") && path == "/status") {
            if (text(value) != "superseded") return bad("status may only become superseded", AckCode::Other, 422);
            out.supersede = true;
        } else if ((name == "replace" || name == "add") && path == "/securityLabel") {
            if (!value || !value->is_array()) return bad("securityLabel is an array of CodeableConcept");
            std::vector<std::string> labels;
            for (const auto& c : *value) labels_of(c, labels);
            out.visibility = std::move(labels);
        } else if (name == "add" && path == "/securityLabel/-") {
            if (!value || !value->is_object()) return bad("the label added is a CodeableConcept");
            labels_of(*value, out.add_visibility);
        } else {
            return bad(fmt::format("unsupported patch: {} {} (securityLabel and status only)", name, path),
                       AckCode::Other, 422);
        }
    }
    return out;
}

}  // namespace mss::dmp
