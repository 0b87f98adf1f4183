// A submitted message's CDA attachments turned into the ITI-65 deposit they make (issue 12): each
// IHE_XDM.ZIP or bare CDA read with cda/, the CI-SIS checks (INS, header rules, one patient,
// X-MSS-CODECDA / X-MSS-INS), the header mapped to sharing metadata, then one dmp::Deposit per
// document with the patient's traits for the DMP to compare. Pure; every refusal carries the
// acknowledgement code (903, 905, 906) the sender gets back.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cda/ack.h"
#include "dmp/pdsm_request.h"
#include "pipeline/cda_parts.h"

namespace mss::filing {

struct Documents {
    dmp::ProvideBundle bundle;
    std::string ins;      // the one patient's INS matricule
    std::string subject;  // "XDM/1.0/DDM+<label> <FAMILY> <given> <DD/MM/YYYY>" (CI-SIS)
};

// The X-MSS-CODECDA and X-MSS-INS values of the message (nullopt when absent).
struct MssHeaders {
    std::optional<std::string> code_cda, ins;
};

cda::Outcome<Documents> documents_of(const std::vector<pipeline::AttachedPart>& parts, const MssHeaders& headers,
                                     std::string_view submission_id);

// A CDA effectiveTime (YYYYMMDD[hhmm[ss]][+zzzz]) as a FHIR dateTime; as written when not so shaped.
std::string fhir_date_time(std::string_view cda_time);

}  // namespace mss::filing
