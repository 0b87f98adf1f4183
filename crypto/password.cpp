// scrypt password hashes through OpenSSL 3's EVP_KDF, encoded as "$scrypt$ln=,r=,p=$salt$hash" in
// padded base64. Trusts neither the password nor the stored encoding: both are parsed and bounded
// here, and any malformed encoding simply fails to verify.
#include "crypto/password.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "core/base64.h"

namespace mss::crypto {
namespace {

constexpr std::size_t kSaltBytes = 16;  // issued; verification accepts 8..64 (RFC 7914's vectors)
constexpr std::size_t kMinSaltBytes = 8, kMaxSaltBytes = 64;
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMaxEncoded = 200;  // ours are under 100 characters
constexpr int kMinLogN = 10, kMaxLogN = 22;
constexpr int kIssuedR = 8, kIssuedP = 1;
// OpenSSL needs 128*r*(N+2) + 128*r*p bytes: 4 GiB and a little for N=2^22, r=8. A stored encoding
// asking for more than this fails to verify instead of exhausting memory.
constexpr uint64_t kMaxMemory = (uint64_t{1} << 32) + (uint64_t{1} << 24);

struct Cost {
    int log_n = 17;
    int r = kIssuedR;
    int p = kIssuedP;
};

using Kdf = std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)>;
using Hash = std::array<unsigned char, kHashBytes>;

std::string openssl_error() {
    char buf[256] = "unknown OpenSSL error";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

std::string_view bytes_view(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

Result<Hash> scrypt(std::string_view password, std::string_view salt, const Cost& cost) {
    Kdf kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr), EVP_KDF_free);
    if (!kdf) return fail(ErrorKind::Io, "scrypt unavailable: " + openssl_error());
    KdfCtx ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
    if (!ctx) return fail(ErrorKind::Io, "scrypt context: " + openssl_error());
    uint64_t n = uint64_t{1} << cost.log_n, maxmem = kMaxMemory;
    uint32_t r = static_cast<uint32_t>(cost.r), p = static_cast<uint32_t>(cost.p);
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                          password.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end()};
    Hash out{};
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
        return fail(ErrorKind::Io, "scrypt: " + openssl_error());
    return out;
}

// Splits text at sep into exactly N fields; false for any other number of fields.
template <std::size_t N>
bool split_exact(std::string_view text, char sep, std::array<std::string_view, N>& fields) {
    for (std::size_t i = 0; i + 1 < N; ++i) {
        auto end = text.find(sep);
        if (end == std::string_view::npos) return false;
        fields[i] = text.substr(0, end);
        text.remove_prefix(end + 1);
    }
    fields[N - 1] = text;
    return text.find(sep) == std::string_view::npos;
}

// "<key><decimal>" with no sign, no leading zero and a value in [min, max].
std::optional<int> parameter(std::string_view text, std::string_view key, int min, int max) {
    if (!text.starts_with(key)) return std::nullopt;
    text.remove_prefix(key.size());
    if (text.empty() || text.size() > 2 || text[0] == '0') return std::nullopt;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value < min || value > max) return std::nullopt;
    return value;
}

std::optional<Cost> parse_cost(std::string_view text) {
    std::array<std::string_view, 3> f;
    if (!split_exact(text, ',', f)) return std::nullopt;
    auto ln = parameter(f[0], "ln=", kMinLogN, kMaxLogN), r = parameter(f[1], "r=", 1, 32),
         p = parameter(f[2], "p=", 1, 16);
    if (!ln || !r || !p) return std::nullopt;
    return Cost{*ln, *r, *p};
}

// Decodes only the canonical encoding, so no two strings verify as the same stored hash.
std::optional<std::string> decode_exact(std::string_view text, std::size_t min, std::size_t max) {
    auto decoded = base64_decode(text);
    if (!decoded || decoded->size() < min || decoded->size() > max || base64_encode(*decoded) != text)
        return std::nullopt;
    return decoded;
}

struct Parsed {
    Cost cost;
    std::string salt;
    std::string hash;
};

// "$scrypt$<cost>$<salt>$<hash>": five '$'-separated fields, the first empty.
std::optional<Parsed> parse(std::string_view encoded) {
    std::array<std::string_view, 5> f;
    if (encoded.size() > kMaxEncoded || !split_exact(encoded, '$', f) || !f[0].empty() || f[1] != "scrypt")
        return std::nullopt;
    auto cost = parse_cost(f[2]);
    auto salt = decode_exact(f[3], kMinSaltBytes, kMaxSaltBytes);
    auto hash = decode_exact(f[4], kHashBytes, kHashBytes);
    if (!cost || !salt || !hash) return std::nullopt;
    return Parsed{*cost, std::move(*salt), std::move(*hash)};
}

}  // namespace

Result<std::string> hash_password(std::string_view password, int log_n) {
    if (log_n < kMinLogN || log_n > kMaxLogN)
        return fail(ErrorKind::Invalid, fmt::format("scrypt cost ln={} outside {}..{}", log_n, kMinLogN, kMaxLogN));
    std::array<unsigned char, kSaltBytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
        return fail(ErrorKind::Io, "no randomness for the salt: " + openssl_error());
    std::string_view salt_bytes = bytes_view(salt.data(), salt.size());
    auto hash = scrypt(password, salt_bytes, {log_n, kIssuedR, kIssuedP});
    if (!hash) return hash.error();
    return fmt::format("$scrypt$ln={},r={},p={}${}${}", log_n, kIssuedR, kIssuedP, base64_encode(salt_bytes),
                       base64_encode(bytes_view(hash->data(), hash->size())));
}

bool verify_password(std::string_view password, std::string_view encoded) {
    auto parsed = parse(encoded);
    if (!parsed) return false;
    auto hash = scrypt(password, parsed->salt, parsed->cost);
    if (!hash) return false;
    return CRYPTO_memcmp(hash->data(), parsed->hash.data(), kHashBytes) == 0;
}

}  // namespace mss::crypto
