// JSON Web Key Sets (RFC 7517): the issuer's published signing keys, RSA (RFC 7518 section 6.3)
// and EC P-256 (section 6.2), turned into OpenSSL public keys. Pure and bounded like auth/jwt.h;
// trusts nothing in the set: a key that is not a usable signing key is left out, not guessed at.
#pragma once
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::auth {

// Sets larger than this are refused (a realm publishes a handful of keys).
constexpr std::size_t kMaxJwksSize = 256 * 1024;
constexpr std::size_t kMaxKeys = 64;
constexpr int kMinRsaBits = 2048;

struct PublicKeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

struct Jwk {
    std::string kid;                // "" when the set does not name it
    std::string alg;                // "" when the set does not restrict it
    bool rsa = false;               // RSA, else EC P-256
    std::shared_ptr<EVP_PKEY> key;  // public only
};

struct KeySet {
    std::vector<Jwk> keys;
    // The key a token's kid names; with no kid, the only key of the set if there is exactly one.
    const Jwk* find(std::string_view kid) const;
};

// Invalid when the text is not a JSON object with a "keys" array; keys for encryption ("use":
// "enc"), of other types or curves, RSA under kMinRsaBits, or malformed are skipped.
Result<KeySet> parse_jwks(std::string_view json);

}  // namespace mss::auth
