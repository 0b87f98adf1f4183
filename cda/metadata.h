// The CDA header mapped to the sharing metadata a DocumentReference / XDS document entry needs
// (domain.md section 9, "CDA header -> sharing metadata"), through the CI-SIS code tables kept as
// data (cda/data/*.tsv, embedded at build time), and the CI-SIS subject of the acknowledgement
// (domain.md section 3). Pure.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cda/ack.h"
#include "cda/header.h"

namespace mss::cda {

struct CodeTables {
    std::map<std::string, CodedValue> class_of_type;          // ASS_X04: typeCode -> classCode
    std::map<std::string, std::string> dmp_classes;           // JDV_J57: classCode -> displayName
    std::map<std::string, CodedValue> format_of_template;     // ASS_A11, structured bodies
    std::map<std::string, CodedValue> format_of_media_type;   // ASS_A11, template 1.3.6.1.4.1.19376.1.2.20
};

// Reads the three tables (tab-separated, '#' comments); a malformed line is an error naming it.
Outcome<CodeTables> parse_code_tables(std::string_view ass_x04, std::string_view jdv_j57, std::string_view ass_a11);
// The tables cda/data/ held at build time.
const CodeTables& builtin_code_tables();

struct SharingMetadata {
    std::string unique_id;  // "root^extension" (or root alone), as XDS writes a CDA's id
    std::string set_id;     // idem for setId
    std::string version, title, creation_time, language;
    CodedValue type_code, class_code, confidentiality, practice_setting, facility_type, format_code;
    std::string mime_type = "text/xml";
    std::string author_ps_idnat;            // the first author's PS_IdNat
    std::optional<std::string> replaces;    // the replaced document's unique id (relatedDocument RPLC)
};

// 906 when a value the metadata needs cannot be found: a type without class in ASS_X04, a class
// outside JDV_J57, no format in ASS_A11, no practice setting or facility type.
Outcome<SharingMetadata> sharing_metadata(const CdaHeader& header, const CodeTables& tables = builtin_code_tables());

// "XDM/1.0/DDM+<label> <FAMILY> <given> <DD/MM/YYYY>": label the document's displayName cut to 40
// characters, or "N documents"; the patient of the first document.
std::string acknowledgement_subject(const std::vector<const CdaHeader*>& documents);
// "[KO Intégration système !][<code>] <subject>"
std::string failure_subject(AckCode code, std::string_view subject);

}  // namespace mss::cda
