// Whether a Pro Santé Connect access token is good, and whose it is: the JWS signature against the
// issuer's keys (RS256, PS256, ES256 only: never "none", never an HMAC), then the claims (iss, aud,
// exp/nbf/iat with a leeway, the eIDAS level in acr) and the professional's PS_IdNat (SubjectNameID,
// else preferred_username). Pure: the keys, the policy and the time come from the caller.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "core/config.h"

namespace mss::auth {

enum class TokenFault {
    None,
    Malformed,         // not a JWS of JSON (auth/jwt.h)
    Algorithm,         // alg not RS256/PS256/ES256, or not the key's
    UnknownKey,        // no key in the set for the token's kid: the set may need reloading
    Signature,         // the signature does not verify
    Issuer,
    Audience,
    Expired,
    NotYetValid,       // nbf, or iat, in the future beyond the leeway
    Assurance,         // acr missing or below the configured minimum
    NoProfessional,    // neither SubjectNameID nor preferred_username
    Inactive,          // introspection said active: false (auth/bearer.h)
    Unavailable,       // keys or introspection could not be had: a temporary failure
};

struct TokenVerdict {
    TokenFault fault = TokenFault::None;
    std::string detail;     // for the log; never holds the token
    std::string ps_idnat;   // when fault is None
    int64_t expires_at = 0; // exp, unix seconds
};

std::string_view to_string(TokenFault fault);

// The signature of jws by keys; fault None, UnknownKey, Algorithm or Signature.
TokenVerdict check_signature(const Jws& jws, const KeySet& keys);

// The claims of a verified token (or of an introspection answer) against the policy at now.
TokenVerdict check_claims(const nlohmann::json& claims, const OAuthConfig& policy, int64_t now);

// parse_jws, check_signature, check_claims.
TokenVerdict verify_token(std::string_view token, const KeySet& keys, const OAuthConfig& policy, int64_t now);

}  // namespace mss::auth
