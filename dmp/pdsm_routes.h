// The DMP's PDSm (IHE MHD, FHIR R4) interface on the HTTP layer, under /dmp/fhir: ITI-65 Provide
// Document Bundle, ITI-67 Find Document References, ITI-68 retrieve, PATCH of securityLabel and
// status, Patient?identifier= (does a DMP exist), AuditEvent (the traces, for the médecin traitant).
// Who acts: the professional a Pro Santé Connect bearer token names (RFC 6750, checked by the caller's
// token verifier), else the verified TLS client certificate: a personal (CPS) certificate of a
// professional authority is a professional (CN = PS_IdNat); any other verified certificate is a
// feeding system, which deposits and never reads. A refused token or certificate is a failed
// sign-in under the same lock-outs as IMAP and SMTP (SignInLimits): a client locked out gets 429 with
// Retry-After. Trusts the HTTP layer's certificate verdict, the token verifier, the lock-outs and
// the look-ups it is given.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmp/access.h"
#include "dmp/deposit.h"
#include "dmp/dmp.h"
#include "dmp/pdsm_identity.h"
#include "http/router.h"

namespace mss::dmp {

// What the token verifier said of a bearer token (app/mssd.cpp asks auth::TokenAuthority, as IMAP
// and SMTP do): the professional's PS_IdNat, or why not (never the token itself).
struct BearerVerdict {
    enum class Kind { Professional, Refused, Unavailable };
    Kind kind = Kind::Refused;
    std::string ps_idnat{};
    std::string reason{};
};

// A credential a request presents, before it is checked: a bearer token, or the PS_IdNat-shaped CN
// of a client certificate (verified or not). Untrusted: a key for the sign-in lock-outs only.
struct SignIn {
    std::string_view peer_ip;
    std::string_view token;           // "" for a certificate
    std::string_view certificate_cn;  // "" for a token
};

// The sign-in lock-outs (app/mssd.cpp wires auth::Guard, shared with IMAP and SMTP): how long this
// client must wait before its credential is checked (0: check it now), and each outcome counted.
struct SignInLimits {
    std::function<std::chrono::seconds(const SignIn&)> wait;
    std::function<void(const SignIn&, bool granted)> count;
};

struct PdsmServices {
    Dmp& dmp;
    DmpDeposit& deposit;  // where ITI-65 bundles go (the embedded DMP, or a remote PDSm server)
    std::function<std::shared_ptr<const AccessMatrix>()> matrix;
    // The directory's profession codes of a PS_IdNat (app/mssd.cpp asks directory::Directory).
    std::function<std::vector<std::string>(std::string_view ps_idnat)> professions;
    // The verdict on an "Authorization: Bearer" token, read at each request.
    std::function<BearerVerdict(std::string_view token)> bearer;
    // The professional authorities in force, read at each request (they follow SIGHUP).
    std::function<std::shared_ptr<const ProfessionalAuthorities>()> professional_authorities;
    // Refused tokens and certificates count as failed sign-ins; none counted when not set.
    SignInLimits sign_in_limits{};
};

inline constexpr const char* kPdsmBase = "/dmp/fhir";

void add_pdsm_routes(http::Router& router, PdsmServices services);

}  // namespace mss::dmp
