// Signature checks with OpenSSL's EVP_DigestVerify (ES256's raw r || s re-encoded as the DER
// ECDSA-Sig-Value OpenSSL expects), then claims checks in the order RFC 7519 section 7.2 suggests.
#include "auth/token.h"

#include <fmt/format.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <algorithm>

namespace mss::auth {
namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

TokenVerdict refuse(TokenFault fault, std::string detail) { return {fault, std::move(detail), {}, 0}; }

// RFC 7518 section 3.4: the JWS signature is R and S, 32 octets each, big-endian.
std::optional<std::string> ecdsa_der(std::string_view raw) {
    if (raw.size() != 64) return std::nullopt;
    std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
    auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
        BN_free(r);
        BN_free(s);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    int length = i2d_ECDSA_SIG(sig.get(), &der);
    if (length <= 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), std::size_t(length));
    OPENSSL_free(der);
    return out;
}

bool verifies(const Jwk& key, std::string_view alg, std::string_view input, std::string_view signature) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.key.get()) != 1) return false;
    if (alg == "PS256" && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        return false;
    std::string der;
    if (alg == "ES256") {
        auto encoded = ecdsa_der(signature);
        if (!encoded) return false;
        der = std::move(*encoded);
        signature = der;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

// A NumericDate, clamped to +-2^62 so that adding a leeway never overflows.
std::optional<int64_t> time_claim(const nlohmann::json& claims, const char* name) {
    constexpr int64_t kBound = int64_t{1} << 62;
    auto it = claims.find(name);
    if (it == claims.end() || !it->is_number()) return std::nullopt;
    if (it->is_number_unsigned()) return int64_t(std::min<uint64_t>(it->get<uint64_t>(), kBound));
    if (it->is_number_integer()) return std::clamp<int64_t>(it->get<int64_t>(), -kBound, kBound);
    double d = it->get<double>();
    if (!(d > -double(kBound) && d < double(kBound))) return std::nullopt;  // NaN and huge values too
    return int64_t(d);
}

std::string string_claim(const nlohmann::json& claims, const char* name) {
    auto it = claims.find(name);
    return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool audience_matches(const nlohmann::json& claims, const std::vector<std::string>& accepted) {
    auto it = claims.find("aud");
    if (it == claims.end()) return false;
    auto accepted_one = [&](const nlohmann::json& a) {
        return a.is_string() && std::find(accepted.begin(), accepted.end(), a.get<std::string>()) != accepted.end();
    };
    if (it->is_array()) return std::any_of(it->begin(), it->end(), accepted_one);
    return accepted_one(*it);
}

// The rank of acr among the levels, lowest first; -1 when it is not one of them.
int assurance_rank(const std::string& acr, const std::vector<std::string>& levels) {
    auto it = std::find(levels.begin(), levels.end(), acr);
    return it == levels.end() ? -1 : int(it - levels.begin());
}

TokenVerdict check_times(const nlohmann::json& claims, int64_t leeway, int64_t now) {
    auto exp = time_claim(claims, "exp");
    if (!exp) return refuse(TokenFault::Expired, "no exp");
    if (now > *exp + leeway) return refuse(TokenFault::Expired, fmt::format("expired {} s ago", now - *exp));
    if (auto nbf = time_claim(claims, "nbf"); nbf && *nbf > now + leeway)
        return refuse(TokenFault::NotYetValid, fmt::format("not valid for {} s yet", *nbf - now));
    if (auto iat = time_claim(claims, "iat"); iat && *iat > now + leeway)
        return refuse(TokenFault::NotYetValid, fmt::format("issued {} s in the future", *iat - now));
    return {TokenFault::None, {}, {}, *exp};
}

}  // namespace

std::string_view to_string(TokenFault fault) {
    switch (fault) {
        case TokenFault::None: return "valid";
        case TokenFault::Malformed: return "malformed token";
        case TokenFault::Algorithm: return "algorithm refused";
        case TokenFault::UnknownKey: return "unknown key";
        case TokenFault::Signature: return "bad signature";
        case TokenFault::Issuer: return "wrong issuer";
        case TokenFault::Audience: return "wrong audience";
        case TokenFault::Expired: return "expired";
        case TokenFault::NotYetValid: return "not yet valid";
        case TokenFault::Assurance: return "eIDAS level too low";
        case TokenFault::NoProfessional: return "no professional identifier";
        case TokenFault::Inactive: return "inactive";
        case TokenFault::Unavailable: return "issuer unavailable";
    }
    return "?";
}

TokenVerdict check_signature(const Jws& jws, const KeySet& keys) {
    if (jws.alg != "RS256" && jws.alg != "PS256" && jws.alg != "ES256")
        return refuse(TokenFault::Algorithm, fmt::format("alg {}", jws.alg.substr(0, 16)));
    const Jwk* key = keys.find(jws.kid);
    if (!key) return refuse(TokenFault::UnknownKey, fmt::format("kid '{}'", jws.kid.substr(0, 64)));
    bool rsa_alg = jws.alg != "ES256";
    if (key->rsa != rsa_alg || (!key->alg.empty() && key->alg != jws.alg))
        return refuse(TokenFault::Algorithm, fmt::format("alg {} with key '{}'", jws.alg, key->kid.substr(0, 64)));
    if (!verifies(*key, jws.alg, jws.signing_input, jws.signature))
        return refuse(TokenFault::Signature, fmt::format("key '{}'", key->kid.substr(0, 64)));
    return {};
}

TokenVerdict check_claims(const nlohmann::json& claims, const OAuthConfig& policy, int64_t now) {
    if (string_claim(claims, "iss") != policy.issuer) return refuse(TokenFault::Issuer, "iss not the configured issuer");
    if (!audience_matches(claims, policy.audiences)) return refuse(TokenFault::Audience, "aud not ours");
    TokenVerdict verdict = check_times(claims, policy.leeway.count(), now);
    if (verdict.fault != TokenFault::None) return verdict;
    if (!policy.acr_minimum.empty()) {
        std::string acr = string_claim(claims, "acr");
        if (assurance_rank(acr, policy.acr_levels) < assurance_rank(policy.acr_minimum, policy.acr_levels))
            return refuse(TokenFault::Assurance, fmt::format("acr '{}'", acr.substr(0, 32)));
    }
    verdict.ps_idnat = string_claim(claims, "SubjectNameID");
    if (verdict.ps_idnat.empty()) verdict.ps_idnat = string_claim(claims, "preferred_username");
    if (verdict.ps_idnat.empty() || verdict.ps_idnat.size() > 64)
        return refuse(TokenFault::NoProfessional, "no SubjectNameID nor preferred_username");
    return verdict;
}

TokenVerdict verify_token(std::string_view token, const KeySet& keys, const OAuthConfig& policy, int64_t now) {
    auto jws = parse_jws(token);
    if (!jws) return refuse(TokenFault::Malformed, jws.error().message);
    TokenVerdict signed_by = check_signature(*jws, keys);
    if (signed_by.fault != TokenFault::None) return signed_by;
    return check_claims(jws->claims, policy, now);
}

}  // namespace mss::auth
