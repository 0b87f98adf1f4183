// The CI-SIS rules a CDA header must follow before it is filed (domain.md section 7, "structuration
// minimale"), the one-patient rule, and the X-MSS-CODECDA / X-MSS-INS headers of the message
// checked against the documents it carries (domain.md section 3). Pure; errors carry their
// acknowledgement code (cda/ack.h).
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "cda/ack.h"
#include "cda/header.h"
#include "cda/ins.h"

namespace mss::cda {

inline constexpr std::string_view kPsIdNatOid = "1.2.250.1.71.4.2.1";

// Every structural rule the header breaks, in document order, each a 906.
std::vector<Refusal> header_rule_breaches(const CdaHeader& header);

// The document as the filing takes it: its INS first (903, 905), then the first rule broken (906).
Outcome<Ins> check_document(const CdaHeader& header);

// 906 when the documents do not all name the same INS (matricule and OID); the INS otherwise.
// Each document must have passed check_document.
Outcome<Ins> one_patient(const std::vector<const CdaHeader*>& documents);

// X-MSS-CODECDA (comma-separated codes) and X-MSS-INS (O or N), as the message carries them
// (nullopt when absent), against the CDA documents found in it. A header present without
// documents, a code list that is not exactly the documents' codes (in any order), or a value other
// than O/N is 906; X-MSS-INS: O when a document has no qualified INS gives that document's
// 903/905; X-MSS-INS: N when every document has a qualified INS is 906. Absent headers are not
// refused (older sending software): the documents are checked for themselves.
std::optional<Refusal> check_mss_headers(std::optional<std::string_view> code_cda, std::optional<std::string_view> ins,
                                         const std::vector<const CdaHeader*>& documents);

}  // namespace mss::cda
