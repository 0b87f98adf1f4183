// Who a PDSm request names, from what the HTTP layer hands over: a verified client certificate's
// subject and issuer (RFC 2253 text), and the Authorization field's bearer token (RFC 6750). Pure
// readers of untrusted text; the certificate's verdict and the token's check are the callers'.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmp/model.h"

namespace mss::dmp {

// The authorities whose certificates name professionals: the issuer of a personal certificate, in
// the RFC 2253 form tls::PeerCertificate gives ([dmp] professional_cas, core/config_dmp.h).
using ProfessionalAuthorities = std::vector<std::string>;

// The actor a verified client certificate names, or nothing when none was verified. A professional
// only by a personal certificate: one an authority of `authorities` issued (the PERSONNES CAs the
// operator trusts to name professionals), with OU=IGC-SANTE TEST and a CN shaped as a PS_IdNat,
// whatever else its subject says; any other verified certificate is a feeding system.
std::optional<Actor> actor_of_certificate(bool verified, std::string_view subject, std::string_view issuer,
                                          const ProfessionalAuthorities& authorities);

// The CN of an RFC 2253 subject (its first), "" when it has none; the certificate need not be verified.
std::string common_name(std::string_view subject);

// The token of an "Authorization: Bearer <token>" value (RFC 6750 section 2.1, scheme in any case),
// or nothing for another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace mss::dmp
