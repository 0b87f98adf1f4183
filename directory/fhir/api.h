// The directory's FHIR R4 read-only API under /fhir/, shaped like the Annuaire Santé's: search and
// read of Practitioner, PractitionerRole and Organization, _include/_revinclude, paging with
// Bundle links, and /fhir/metadata. A plain handler (run on the blocking pool once the HTTP layer
// has let the caller in); what is on the liste rouge never leaves it. Trusts the directory and
// the certificate look-up; the request is the client's.
#pragma once
#include <string_view>

#include "directory/directory.h"
#include "directory/fhir/resources.h"
#include "http/message.h"

namespace mss::directory::fhir {

struct ApiLimits {
    std::size_t default_count = 50;
    std::size_t max_count = 200;      // a larger _count is lowered to this (FHIR lets the server)
    std::size_t max_offset = 10000;   // deeper pages: 400 (narrow the search instead)
};

class Api {
public:
    Api(Directory& directory, CertificateLookup certificate, ApiLimits limits = {})
        : directory_(directory), certificate_(std::move(certificate)), limits_(limits) {}

    // GET /fhir/<Type>?<query>, GET /fhir/<Type>/<id>.
    http::Response handle(const http::Request& request) const;
    // GET /fhir/metadata: the CapabilityStatement.
    static http::Response capability_statement();

private:
    Directory& directory_;
    CertificateLookup certificate_;
    ApiLimits limits_;
};

// An OperationOutcome answer with that HTTP status.
http::Response outcome_response(int status, std::string_view code, std::string_view diagnostics);

}  // namespace mss::directory::fhir
