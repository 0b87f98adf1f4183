// CDA R2 header reading over the hardened parse of cda/xml.cpp. Pure.
#include "cda/header.h"

namespace mss::cda {
namespace {

constexpr std::string_view ns = kHl7Namespace;

InstanceId ii(const xmlNode* n) { return n ? InstanceId{attribute(n, "root"), attribute(n, "extension")} : InstanceId{}; }

CodedValue ce(const xmlNode* n) {
    return n ? CodedValue{attribute(n, "code"), attribute(n, "codeSystem"), attribute(n, "displayName")} : CodedValue{};
}

std::string value_of(const xmlNode* n) { return attribute(n, "value"); }

void read_name(const xmlNode* name, std::string& family, std::string& given) {
    family = text(child(name, ns, "family"));
    given = text(child(name, ns, "given"));
}

PatientIdentity patient_of(const xmlNode* record_target) {
    PatientIdentity p;
    const xmlNode* role = child(record_target, ns, "patientRole");
    for (const xmlNode* id : children(role, ns, "id")) p.ids.push_back(ii(id));
    const xmlNode* patient = child(role, ns, "patient");
    read_name(child(patient, ns, "name"), p.family, p.given);
    p.birth_date = value_of(child(patient, ns, "birthTime"));
    p.gender = attribute(child(patient, ns, "administrativeGenderCode"), "code");
    return p;
}

Person person_of(const xmlNode* assigned, std::string_view person_element) {
    Person p;
    p.id = ii(child(assigned, ns, "id"));
    read_name(path(assigned, ns, {person_element, "name"}), p.family, p.given);
    return p;
}

void read_body(const xmlNode* root, CdaHeader& h) {
    const xmlNode* component = child(root, ns, "component");
    if (child(component, ns, "structuredBody")) {
        h.body = BodyKind::Structured;
    } else if (const xmlNode* non_xml = child(component, ns, "nonXMLBody")) {
        h.body = BodyKind::NonXml;
        h.body_media_type = attribute(child(non_xml, ns, "text"), "mediaType");
    }
}

void read_participants(const xmlNode* root, CdaHeader& h) {
    auto targets = children(root, ns, "recordTarget");
    h.record_targets = targets.size();
    if (!targets.empty()) h.patient = patient_of(targets.front());
    for (const xmlNode* author : children(root, ns, "author")) {
        const xmlNode* assigned = child(author, ns, "assignedAuthor");
        h.authors.push_back(person_of(assigned, "assignedPerson"));
        if (h.practice_setting.empty())
            h.practice_setting = ce(path(assigned, ns, {"representedOrganization", "standardIndustryClassCode"}));
    }
    auto legal = children(root, ns, "legalAuthenticator");
    h.legal_authenticators = legal.size();
    if (!legal.empty()) h.legal_authenticator = person_of(child(legal.front(), ns, "assignedEntity"), "assignedPerson");
    const xmlNode* organisation =
        path(root, ns, {"custodian", "assignedCustodian", "representedCustodianOrganization"});
    h.custodian = ii(child(organisation, ns, "id"));
    h.custodian_name = text(child(organisation, ns, "name"));
}

void read_context(const xmlNode* root, CdaHeader& h) {
    h.documentation_ofs = children(root, ns, "documentationOf").size();
    auto components = children(root, ns, "componentOf");
    h.component_ofs = components.size();
    if (!components.empty())
        h.facility_type = ce(path(components.front(), ns,
                                  {"encompassingEncounter", "location", "healthCareFacility", "code"}));
    auto related = children(root, ns, "relatedDocument");
    h.related_documents = related.size();
    for (const xmlNode* r : related)
        if (attribute(r, "typeCode") == "RPLC") h.replaces = ii(path(r, ns, {"parentDocument", "id"}));
}

}  // namespace

Outcome<CdaHeader> read_cda_header(std::string_view xml, const XmlLimits& limits) {
    // Of the body only its kind is read: component, structuredBody or nonXMLBody, and nonXMLBody's
    // text with its mediaType, kept without its content. The rest is checked, not built.
    auto doc = parse_xml(xml, "the CDA document", limits, XmlKeep{"component", 3});
    if (!doc) return doc.refusal();
    const xmlNode* root = xmlDocGetRootElement(doc->get());
    if (!is_element(root, ns, "ClinicalDocument"))
        return refuse(AckCode::Other, "the root is not a ClinicalDocument in namespace urn:hl7-org:v3");
    CdaHeader h;
    h.realm_code = attribute(child(root, ns, "realmCode"), "code");
    h.type_id = ii(child(root, ns, "typeId"));
    for (const xmlNode* t : children(root, ns, "templateId")) h.template_ids.push_back(attribute(t, "root"));
    h.id = ii(child(root, ns, "id"));
    h.code = ce(child(root, ns, "code"));
    h.title = text(child(root, ns, "title"));
    h.effective_time = value_of(child(root, ns, "effectiveTime"));
    h.confidentiality = ce(child(root, ns, "confidentialityCode"));
    h.language_code = attribute(child(root, ns, "languageCode"), "code");
    h.set_id = ii(child(root, ns, "setId"));
    h.version_number = value_of(child(root, ns, "versionNumber"));
    read_participants(root, h);
    read_context(root, h);
    read_body(root, h);
    return h;
}

}  // namespace mss::cda
