// The DMP's PDSm (IHE MHD, FHIR R4) interface on the HTTP layer, under /dmp/fhir: ITI-65 Provide
// Document Bundle, ITI-67 Find Document References, ITI-68 retrieve, PATCH of securityLabel and
// status, Patient?identifier= (does a DMP exist), AuditEvent (the traces, for the médecin traitant).
// Who acts comes from the verified TLS client certificate: a personal (CPS) certificate of the test
// IGC is a professional (CN = PS_IdNat); any other verified certificate is a feeding system, which
// deposits and never reads. Trusts the HTTP layer's certificate verdict and the look-ups it is given.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmp/access.h"
#include "dmp/deposit.h"
#include "dmp/dmp.h"
#include "http/router.h"

namespace mss::dmp {

struct PdsmServices {
    Dmp& dmp;
    DmpDeposit& deposit;  // where ITI-65 bundles go (the embedded DMP, or a remote PDSm server)
    std::function<std::shared_ptr<const AccessMatrix>()> matrix;
    // The directory's profession codes of a PS_IdNat (app/mssd.cpp asks directory::Directory).
    std::function<std::vector<std::string>(std::string_view ps_idnat)> professions;
};

inline constexpr const char* kPdsmBase = "/dmp/fhir";

void add_pdsm_routes(http::Router& router, PdsmServices services);

// The actor a verified client certificate names (RFC 2253 subject and issuer), or nothing when none
// was verified. A professional only by a personal certificate: one a PERSONNES authority of the
// IGC issued (as IGC-Santé names them), whatever its subject says.
std::optional<Actor> actor_of_certificate(bool verified, std::string_view subject, std::string_view issuer);

}  // namespace mss::dmp
