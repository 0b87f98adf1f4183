// The JWT verifier (auth/jwt.h, auth/jwk.h, auth/token.h) on RFC 7515's own examples (appendix A.2,
// RS256; A.3, ES256) and on claims built here: what is accepted and why everything else is refused.
#include <doctest/doctest.h>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "auth/token.h"

using namespace mss;
using namespace mss::auth;

namespace {

// RFC 7515 appendix A.2: RS256 over {"iss":"joe", "exp":1300819380, "http://example.com/is_root":true}.
const char* kA2Token =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1"
    "dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwu"
    "sC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const char* kA2Jwks =
    R"({"keys":[{"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrc)"
    R"(S2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYU)"
    R"(sLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2e)"
    R"(thFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}]})";

// RFC 7515 appendix A.3: ES256 over the same claims.
const char* kA3Token =
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const char* kA3Jwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

KeySet keys(const char* jwks) {
    auto set = parse_jwks(jwks);
    REQUIRE(set.ok());
    REQUIRE(set->keys.size() == 1);
    return set.value();
}

TokenFault signature_fault(std::string_view token, const KeySet& set) {
    auto jws = parse_jws(token);
    REQUIRE(jws.ok());
    return check_signature(*jws, set).fault;
}

OAuthConfig policy() {
    OAuthConfig p;
    p.issuer = "https://psc.example/realms/esante-wallet";
    p.audiences = {"mssd"};
    return p;
}

constexpr int64_t kNow = 1'800'000'000;

nlohmann::json good_claims() {
    return {{"iss", "https://psc.example/realms/esante-wallet"}, {"aud", {"account", "mssd"}},
            {"exp", kNow + 300}, {"iat", kNow - 10}, {"nbf", kNow - 10}, {"acr", "eidas1"},
            {"SubjectNameID", "899700218896"}, {"preferred_username", "899700218896"}};
}

TokenFault claims_fault(const nlohmann::json& claims, const OAuthConfig& p = policy()) {
    return check_claims(claims, p, kNow).fault;
}

}  // namespace

TEST_CASE("RFC 7515 A.2 (RS256) and A.3 (ES256) verify with their published keys") {
    CHECK(signature_fault(kA2Token, keys(kA2Jwks)) == TokenFault::None);
    CHECK(signature_fault(kA3Token, keys(kA3Jwks)) == TokenFault::None);
}

TEST_CASE("a key of the other type, or a set without the kid, does not verify") {
    CHECK(signature_fault(kA2Token, keys(kA3Jwks)) == TokenFault::Algorithm);
    CHECK(signature_fault(kA3Token, keys(kA2Jwks)) == TokenFault::Algorithm);
    auto two = parse_jwks(R"({"keys":[)" + std::string(kA2Jwks).substr(9, std::string(kA2Jwks).size() - 11) + "," +
                          std::string(kA3Jwks).substr(9, std::string(kA3Jwks).size() - 11) + "]}");
    REQUIRE(two.ok());
    CHECK(two->keys.size() == 2);
    CHECK(signature_fault(kA2Token, *two) == TokenFault::UnknownKey);  // no kid, several keys: none chosen
}

TEST_CASE("a tampered payload, signature or header is refused") {
    std::string token = kA2Token;
    std::string is_root_false = base64url_encode(R"({"iss":"joe","exp":1300819380,"http://example.com/is_root":false})");
    std::string tampered = token.substr(0, token.find('.') + 1) + is_root_false + token.substr(token.rfind('.'));
    CHECK(signature_fault(tampered, keys(kA2Jwks)) == TokenFault::Signature);
    std::string flipped_signature = token;
    flipped_signature[token.size() - 5] = flipped_signature[token.size() - 5] == 'A' ? 'B' : 'A';
    CHECK(signature_fault(flipped_signature, keys(kA2Jwks)) == TokenFault::Signature);
    // PS256 in the header over an RS256 signature: the alg is signed too.
    std::string ps = base64url_encode(R"({"alg":"PS256"})") + token.substr(token.find('.'));
    CHECK(signature_fault(ps, keys(kA2Jwks)) == TokenFault::Signature);
    std::string es = kA3Token;
    es[es.size() - 3] = es[es.size() - 3] == 'A' ? 'B' : 'A';
    CHECK(signature_fault(es, keys(kA3Jwks)) == TokenFault::Signature);
}

TEST_CASE("alg none and HMAC algorithms are refused whatever the signature") {
    std::string claims = std::string(kA2Token).substr(std::string(kA2Token).find('.'));
    claims = claims.substr(0, claims.rfind('.'));
    for (const char* header : {R"({"alg":"none"})", R"({"alg":"HS256"})", R"({"alg":"None"})", R"({"alg":"RS512"})"}) {
        std::string token = base64url_encode(header) + claims + ".";
        CHECK(signature_fault(token, keys(kA2Jwks)) == TokenFault::Algorithm);
        CHECK(signature_fault(token + "c2ln", keys(kA2Jwks)) == TokenFault::Algorithm);
    }
}

TEST_CASE("a JWK's alg restricts the key to that algorithm") {
    std::string jwks = kA2Jwks;
    jwks.insert(jwks.find("\"e\""), R"("alg":"PS256",)");
    CHECK(signature_fault(kA2Token, keys(jwks.c_str())) == TokenFault::Algorithm);
}

TEST_CASE("malformed tokens are refused by the parser") {
    CHECK_FALSE(parse_jws("").ok());
    CHECK_FALSE(parse_jws("a.b").ok());
    CHECK_FALSE(parse_jws("a.b.c.d").ok());
    CHECK_FALSE(parse_jws("eyJhbGciOiJSUzI1NiJ9.e30=.c2ln").ok());             // padding
    CHECK_FALSE(parse_jws("eyJhbGciOiJSUzI1NiJ9.W10.c2ln").ok());              // claims not an object ([])
    CHECK_FALSE(parse_jws(base64url_encode("{}") + ".e30.c2ln").ok());         // no alg
    CHECK_FALSE(parse_jws(base64url_encode(R"({"alg":"RS256","crit":["x"]})") + ".e30.c2ln").ok());
    CHECK_FALSE(parse_jws(base64url_encode(R"({"alg":"RS256","kid":7})") + ".e30.c2ln").ok());
    std::string deep(100, '[');
    CHECK_FALSE(parse_jws(base64url_encode(R"({"alg":"RS256"})") + "." + base64url_encode(deep) + ".c2ln").ok());
    CHECK_FALSE(parse_jws(std::string(kMaxTokenSize + 1, 'a')).ok());
    CHECK(parse_jws(base64url_encode(R"({"alg":"RS256","kid":"k"})") + ".e30.").ok());
}

TEST_CASE("base64url: no padding, URL alphabet, canonical trailing bits") {
    CHECK(base64url_decode("") == std::string());
    CHECK(base64url_decode("Zm9v") == std::string("foo"));
    CHECK(base64url_decode("Zm8") == std::string("fo"));
    CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
    CHECK_FALSE(base64url_decode("Zm8=").has_value());
    CHECK_FALSE(base64url_decode("Zm9").has_value());   // non-zero leftover bits
    CHECK_FALSE(base64url_decode("Z").has_value());     // 4n+1
    CHECK_FALSE(base64url_decode("+/8").has_value());   // standard alphabet
    CHECK(base64url_encode("\xfb\xff") == "-_8");
}

TEST_CASE("key sets: unusable keys are left out") {
    auto set = parse_jwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},)"
                          R"({"kty":"RSA","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-384","x":"AA","y":"AA"},)"
                          R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                          R"("y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]})");
    REQUIRE(set.ok());
    CHECK(set->keys.empty());  // a symmetric key, an encryption key, a 17-bit modulus, P-384, a point off the curve
    CHECK_FALSE(parse_jwks("[]").ok());
    CHECK_FALSE(parse_jwks(R"({"keys":{}})").ok());
}

TEST_CASE("claims: the good ones name the professional") {
    TokenVerdict v = check_claims(good_claims(), policy(), kNow);
    CHECK(v.fault == TokenFault::None);
    CHECK(v.ps_idnat == "899700218896");
    CHECK(v.expires_at == kNow + 300);
    auto single = good_claims();
    single["aud"] = "mssd";
    CHECK(claims_fault(single) == TokenFault::None);
    auto fallback = good_claims();
    fallback.erase("SubjectNameID");
    CHECK(check_claims(fallback, policy(), kNow).ps_idnat == "899700218896");
}

TEST_CASE("claims: issuer, audience, times, eIDAS level, professional") {
    auto with = [](const char* name, nlohmann::json value) {
        auto c = good_claims();
        if (value.is_null()) c.erase(name);
        else c[name] = value;
        return c;
    };
    CHECK(claims_fault(with("iss", "https://evil.example")) == TokenFault::Issuer);
    CHECK(claims_fault(with("iss", nullptr)) == TokenFault::Issuer);
    CHECK(claims_fault(with("aud", "account")) == TokenFault::Audience);
    CHECK(claims_fault(with("aud", {"account", 7})) == TokenFault::Audience);
    CHECK(claims_fault(with("aud", nullptr)) == TokenFault::Audience);
    CHECK(claims_fault(with("exp", nullptr)) == TokenFault::Expired);
    CHECK(claims_fault(with("exp", kNow - 61)) == TokenFault::Expired);   // beyond the 60 s leeway
    CHECK(claims_fault(with("exp", kNow - 59)) == TokenFault::None);      // within it
    CHECK(claims_fault(with("exp", "soon")) == TokenFault::Expired);
    CHECK(claims_fault(with("exp", 1e300)) == TokenFault::Expired);       // not a usable NumericDate
    CHECK(claims_fault(with("nbf", kNow + 61)) == TokenFault::NotYetValid);
    CHECK(claims_fault(with("iat", kNow + 3600)) == TokenFault::NotYetValid);
    CHECK(claims_fault(with("acr", nullptr)) == TokenFault::Assurance);
    CHECK(claims_fault(with("acr", "eidas0")) == TokenFault::Assurance);
    CHECK(claims_fault(with("acr", "eidas3")) == TokenFault::None);
    auto strict = policy();
    strict.acr_minimum = "eidas2";
    CHECK(claims_fault(good_claims(), strict) == TokenFault::Assurance);
    auto lax = policy();
    lax.acr_minimum = "";
    CHECK(claims_fault(with("acr", nullptr), lax) == TokenFault::None);
    auto nobody = with("SubjectNameID", nullptr);
    nobody.erase("preferred_username");
    CHECK(claims_fault(nobody) == TokenFault::NoProfessional);
    CHECK(claims_fault(with("SubjectNameID", 899700218896)) == TokenFault::None);  // number: falls back
}

TEST_CASE("verify_token: a token good in form but for another audience is refused after its signature") {
    OAuthConfig joe;
    joe.issuer = "joe";
    joe.audiences = {"mssd"};
    CHECK(verify_token(kA2Token, keys(kA2Jwks), joe, 1300819000).fault == TokenFault::Audience);
    CHECK(verify_token("x.y", keys(kA2Jwks), joe, 1300819000).fault == TokenFault::Malformed);
}
