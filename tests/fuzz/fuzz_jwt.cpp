// libFuzzer target: the bearer-token path before any account is looked at: a token parsed
// (auth/jwt.h), its signature checked against a key set parsed from the same input (auth/jwk.h), its
// claims checked (auth/token.h), and the SASL OAUTHBEARER/XOAUTH2 messages that carry it. Nothing may
// crash; a token longer than the limit is always refused; base64url round-trips.
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "auth/sasl.h"
#include "auth/token.h"
#include "core/base64.h"

using namespace mss::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // Input: token, then optionally "\n" and a JWKS.
    auto newline = input.find('\n');
    std::string_view token = input.substr(0, newline);
    std::string_view jwks = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

    auto jws = parse_jws(token);
    if (token.size() > kMaxTokenSize && jws.ok()) __builtin_trap();
    auto set = parse_jwks(jwks);
    mss::OAuthConfig policy;
    policy.issuer = "https://psc.example";
    policy.audiences = {"mssd"};
    if (jws.ok()) {
        if (set.ok()) (void)check_signature(*jws, *set);
        TokenVerdict v = check_claims(jws->claims, policy, 1'800'000'000);
        if (v.fault == TokenFault::None && v.ps_idnat.empty()) __builtin_trap();
    }
    if (auto decoded = base64url_decode(token); decoded && base64url_encode(*decoded) != token) __builtin_trap();

    const std::string encoded = mss::base64_encode(input);
    for (const char* mechanism : {"OAUTHBEARER", "XOAUTH2"}) {
        SaslExchange x(mechanism, encoded);
        if (x.challenge()) __builtin_trap();  // an initial response always ends the exchange
        if (x.result().failure == SaslFailure::None && x.result().token.empty()) __builtin_trap();
        if (x.result().token.size() > kMaxTokenSize) __builtin_trap();
    }
    return 0;
}
