// JWS compact serialization (RFC 7515 section 7.1) of a JWT (RFC 7519): the pure, bounded parser
// that splits a bearer token into its header, claims and signature. It checks form only; the
// signature and the claims are checked by auth/token.h. Trusts nothing in the token.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::auth {

// Longer tokens are refused before any decoding (Pro Santé Connect's are some 1.5 KiB).
constexpr std::size_t kMaxTokenSize = 8192;
// JSON nesting deeper than this is refused (a JWT's header and claims are flat or nearly so).
constexpr std::size_t kMaxJsonDepth = 16;

// RFC 7515 section 2 base64url without padding; nullopt for any other character, a length of
// 4n+1, or non-zero bits left over at the end (so each text decodes from one encoding only).
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

// A JSON text that is an object, no deeper than kMaxJsonDepth; nullopt otherwise.
std::optional<nlohmann::json> parse_json_object(std::string_view text);

struct Jws {
    std::string alg;             // header "alg", as written ("RS256", "ES256", "none"...)
    std::string kid;             // header "kid", "" when absent
    nlohmann::json claims;       // the payload, a JSON object
    std::string signing_input;   // ASCII(BASE64URL(header) . BASE64URL(payload)), as received
    std::string signature;       // decoded
};

// Invalid with the reason when the token is not three base64url parts of a JSON header and JSON
// claims, when "alg" is missing, or when the header has "crit" (no extension is understood here).
Result<Jws> parse_jws(std::string_view token);

}  // namespace mss::auth
