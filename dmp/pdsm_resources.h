// The FHIR R4 resources the PDSm interface answers with, built from the DMP's records:
// DocumentReference (PDSm comprehensive), Patient, AuditEvent, searchset and transaction-response
// Bundles, OperationOutcome carrying the CI-SIS acknowledgement code. Pure; trusts its records.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dmp/dmp.h"

namespace mss::dmp {

// The coding system of the acknowledgement code in OperationOutcome.issue.details.
inline constexpr const char* kAckSystem = "urn:mssd:ci-sis:acquittement";

// binary_base: the URL prefix of ITI-68 retrieves, e.g. "https://host:port/dmp/fhir/Binary/".
nlohmann::json document_reference(const Document& d, const Patient& p, const std::string& binary_base);
// An ITI-66 SubmissionSet (MHD List) listing only the documents given (those the caller may see).
nlohmann::json submission_set_list(const SubmissionSet& s, const Patient& p, const std::vector<std::string>& documents);
nlohmann::json patient_resource(const Patient& p);
// A Coding (its system as a URI, urn:oid: for an OID) and a CodeableConcept of that one Coding.
nlohmann::json fhir_coding(const Coding& c);
nlohmann::json codeable_concept(const Coding& c);
// The parts of a DocumentReference and a SubmissionSet List that the answers (ITI-67, ITI-66) and the
// ITI-65 client (pdsm_provide.h) write alike: a contained Practitioner named by its PS_IdNat, the
// securityLabel (confidentiality, then visibility), the context (period, facility, practice), the
// CDA setId and versionNumber extensions, and the List's ihe-sourceId and ihe-designationType.
nlohmann::json practitioner(const std::string& id, const std::string& ps_idnat);
nlohmann::json security_labels(const Document& d);
nlohmann::json document_context(const Document& d);
nlohmann::json cda_extensions(const Document& d);
nlohmann::json submission_set_extensions(const SubmissionSet& s);
nlohmann::json audit_event(const Trace& t, const Patient& p, int64_t seq);
nlohmann::json searchset(std::vector<nlohmann::json> resources, std::size_t total,
                         const std::string& self, const std::string& next);
// issue code: FHIR IssueType ("invalid", "forbidden", "not-found", "conflict", "processing"...).
nlohmann::json operation_outcome(std::string_view issue_code, std::string_view message, AckCode ack = AckCode::None);

std::string fhir_instant(int64_t unix_seconds);
// An OID as a URI ("urn:oid:1.2.3"); anything else as it is.
std::string as_uri(const std::string& system);

}  // namespace mss::dmp
