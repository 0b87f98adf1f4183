// The client side of ITI-65, for a remote PDSm server taking the embedded DMP's place: a
// ProvideBundle written as the transaction Bundle parse_provide_bundle reads (List, contained
// Patient and Practitioner, DocumentReferences, Binaries), and the server's answer read back into
// receipts or the refusal's CI-SIS code. Pure; trusts nothing in the answer.
#pragma once
#include <string>
#include <string_view>

#include "dmp/dmp.h"
#include "dmp/pdsm_request.h"

namespace mss::dmp {

// The Bundle as JSON text (application/fhir+json).
std::string provide_bundle_json(const ProvideBundle& bundle);

// What the server answered to an ITI-65 of `documents` documents: receipts (201 created, 200 a
// duplicate), or the refusal an OperationOutcome carries (its CI-SIS code, 906 when it names none),
// or an Error for what is temporary (5xx, 429, an answer that cannot be read).
Result<DepositOutcome> read_provide_response(int status, std::string_view body, std::size_t documents);

}  // namespace mss::dmp
