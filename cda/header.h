// The CDA R2 header as the CI-SIS reads it (domain.md section 7): what the filing, the checks and
// the sharing metadata need, read from the bytes of one ClinicalDocument. The reader is pure and
// bounded (cda/xml.h); it reads, it does not judge: the rules live in cda/checks.h.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cda/ack.h"
#include "cda/xml.h"

namespace mss::cda {

struct InstanceId {  // an II: root OID and optional extension
    std::string root, extension;
    bool empty() const { return root.empty() && extension.empty(); }
    bool operator==(const InstanceId&) const = default;
};

struct CodedValue {  // a CE/CV
    std::string code, code_system, display_name;
    bool empty() const { return code.empty(); }
};

struct PatientIdentity {
    std::vector<InstanceId> ids;  // every patientRole/id, in order
    std::string family, given;    // first family and given names (birth names when qualified BR)
    std::string birth_date;       // birthTime/@value as written (YYYYMMDD...)
    std::string gender;           // administrativeGenderCode/@code: F, M, U
};

struct Person {  // an author or legal authenticator
    InstanceId id;  // assignedAuthor/id or assignedEntity/id
    std::string family, given;
};

enum class BodyKind { None, Structured, NonXml };

struct CdaHeader {
    std::string realm_code;
    InstanceId type_id;
    std::vector<std::string> template_ids;
    InstanceId id, set_id;
    std::string version_number;
    CodedValue code;
    std::string title, effective_time;
    CodedValue confidentiality;
    std::string language_code;
    std::size_t record_targets = 0;
    PatientIdentity patient;
    std::vector<Person> authors;
    std::size_t legal_authenticators = 0;
    Person legal_authenticator;
    InstanceId custodian;
    std::string custodian_name;
    std::size_t documentation_ofs = 0, component_ofs = 0, related_documents = 0;
    std::optional<InstanceId> replaces;  // relatedDocument[@typeCode=RPLC]/parentDocument/id
    BodyKind body = BodyKind::None;
    std::string body_media_type;          // nonXMLBody/text/@mediaType
    CodedValue practice_setting;          // author/assignedAuthor/representedOrganization/standardIndustryClassCode
    CodedValue facility_type;             // componentOf/encompassingEncounter/location/healthCareFacility/code
};

inline constexpr std::string_view kHl7Namespace = "urn:hl7-org:v3";

// Refusals are 906 (size, DOCTYPE, depth, not XML, not a ClinicalDocument in urn:hl7-org:v3).
Outcome<CdaHeader> read_cda_header(std::string_view xml, const XmlLimits& limits = {});

}  // namespace mss::cda
