// JWK members to OpenSSL 3 public keys through EVP_PKEY_fromdata: RSA from n and e, EC from the
// uncompressed point 04 || x || y, which OpenSSL checks lies on P-256.
#include "auth/jwk.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "auth/jwt.h"

namespace mss::auth {
namespace {

struct ParamBuildFree {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamsFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::optional<std::string> member(const nlohmann::json& jwk, const char* name) {
    auto it = jwk.find(name);
    if (it == jwk.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

std::optional<std::string> decoded_member(const nlohmann::json& jwk, const char* name) {
    auto text = member(jwk, name);
    return text ? base64url_decode(*text) : std::nullopt;
}

std::shared_ptr<EVP_PKEY> from_params(const char* type, OSSL_PARAM_BLD* build) {
    std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(build));
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        return nullptr;
    return std::shared_ptr<EVP_PKEY>(key, PublicKeyFree{});
}

std::shared_ptr<EVP_PKEY> rsa_key(const nlohmann::json& jwk) {
    auto n = decoded_member(jwk, "n"), e = decoded_member(jwk, "e");
    if (!n || !e || n->empty() || e->empty() || e->size() > 8) return nullptr;
    Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), int(n->size()), nullptr));
    Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), int(e->size()), nullptr));
    std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree> build(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !build || BN_num_bits(bn_n.get()) < kMinRsaBits || BN_num_bits(bn_n.get()) > 16384 ||
        !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
        return nullptr;
    return from_params("RSA", build.get());
}

std::shared_ptr<EVP_PKEY> p256_key(const nlohmann::json& jwk) {
    auto crv = member(jwk, "crv");
    auto x = decoded_member(jwk, "x"), y = decoded_member(jwk, "y");
    if (crv != "P-256" || !x || !y || x->size() != 32 || y->size() != 32) return nullptr;
    std::string point = "\x04" + *x + *y;
    std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree> build(OSSL_PARAM_BLD_new());
    if (!build || !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
        return nullptr;
    auto key = from_params("EC", build.get());
    if (!key) return nullptr;
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
    return key;
}

std::optional<Jwk> signing_key(const nlohmann::json& jwk) {
    if (!jwk.is_object()) return std::nullopt;
    auto use = member(jwk, "use");
    if (use && *use != "sig") return std::nullopt;
    auto kty = member(jwk, "kty");
    Jwk out;
    out.kid = member(jwk, "kid").value_or("");
    out.alg = member(jwk, "alg").value_or("");
    out.rsa = kty == "RSA";
    if (kty == "RSA") out.key = rsa_key(jwk);
    else if (kty == "EC") out.key = p256_key(jwk);
    if (!out.key) return std::nullopt;
    return out;
}

}  // namespace

const Jwk* KeySet::find(std::string_view kid) const {
    if (kid.empty()) return keys.size() == 1 ? &keys.front() : nullptr;
    for (const auto& k : keys)
        if (k.kid == kid) return &k;
    return nullptr;
}

Result<KeySet> parse_jwks(std::string_view json) {
    if (json.size() > kMaxJwksSize) return fail(ErrorKind::Invalid, "key set too large");
    auto set = parse_json_object(json);
    if (!set) return fail(ErrorKind::Invalid, "the key set is not a JSON object");
    auto keys = set->find("keys");
    if (keys == set->end() || !keys->is_array()) return fail(ErrorKind::Invalid, "the key set has no keys array");
    if (keys->size() > kMaxKeys) return fail(ErrorKind::Invalid, "the key set holds too many keys");
    KeySet out;
    for (const auto& jwk : *keys)
        if (auto key = signing_key(jwk)) out.keys.push_back(std::move(*key));
    return out;
}

}  // namespace mss::auth
