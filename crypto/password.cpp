// scrypt password hashes through OpenSSL 3's EVP_KDF, encoded with their parameters.
#include "crypto/password.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include "core/base64.h"

namespace mss::crypto {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

struct Params {
    int log_n = 17;
    int r = 8;
    int p = 1;
};

bool scrypt(std::string_view password, std::string_view salt, const Params& prm, unsigned char* out) {
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr), EVP_KDF_free);
    if (!kdf) return false;
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
    if (!ctx) return false;
    uint64_t n = uint64_t{1} << prm.log_n;
    uint32_t r = static_cast<uint32_t>(prm.r), p = static_cast<uint32_t>(prm.p);
    uint64_t maxmem = 2 * 128 * n * r * p + (1u << 20);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()), password.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end()};
    return EVP_KDF_derive(ctx.get(), out, kHashBytes, params) == 1;
}

std::optional<int> number(std::string_view text, std::string_view key, int min, int max) {
    if (text.substr(0, key.size()) != key) return std::nullopt;
    text.remove_prefix(key.size());
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return std::nullopt;
    return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t p = 0;;) {
        auto e = s.find(sep, p);
        out.push_back(s.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p));
        if (e == std::string_view::npos) return out;
        p = e + 1;
    }
}

}  // namespace

Result<std::string> hash_password(std::string_view password, int log_n) {
    if (log_n < 10 || log_n > 22) return fail(ErrorKind::Invalid, "scrypt cost out of range");
    unsigned char salt[kSaltBytes];
    if (RAND_bytes(salt, sizeof salt) != 1) return fail(ErrorKind::Io, "no randomness for the salt");
    unsigned char hash[kHashBytes];
    std::string_view salt_view(reinterpret_cast<char*>(salt), sizeof salt);
    if (!scrypt(password, salt_view, {log_n, 8, 1}, hash)) return fail(ErrorKind::Io, "scrypt failed");
    return fmt::format("$scrypt$ln={},r=8,p=1${}${}", log_n, base64_encode(salt_view),
                       base64_encode(std::string_view(reinterpret_cast<char*>(hash), sizeof hash)));
}

bool verify_password(std::string_view password, std::string_view encoded) {
    auto parts = split(encoded, '$');  // "", "scrypt", params, salt, hash
    if (parts.size() != 5 || !parts[0].empty() || parts[1] != "scrypt") return false;
    auto prm = split(parts[2], ',');
    if (prm.size() != 3) return false;
    auto ln = number(prm[0], "ln=", 10, 22), r = number(prm[1], "r=", 1, 32), p = number(prm[2], "p=", 1, 16);
    if (!ln || !r || !p) return false;
    auto salt = base64_decode(parts[3]);
    auto expected = base64_decode(parts[4]);
    if (!salt || salt->size() < 8 || salt->size() > 64 || !expected || expected->size() != kHashBytes) return false;
    unsigned char hash[kHashBytes];
    if (!scrypt(password, *salt, {*ln, *r, *p}, hash)) return false;
    return CRYPTO_memcmp(hash, expected->data(), kHashBytes) == 0;
}

}  // namespace mss::crypto
