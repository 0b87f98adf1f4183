// Sealing and opening private keys with the vault key: AES-256-GCM, a fresh random nonce per seal,
// the label as additional authenticated data. Any failure to open says only "cannot unseal".
#include "crypto/key_vault.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "core/base64.h"
#include "crypto/files.h"

namespace mss::crypto {
namespace {

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;
constexpr std::string_view kPrefix = "v1:";
constexpr std::size_t kMaxSecret = 64 * 1024;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() { return {EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free}; }

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<KeyVault> KeyVault::open(const std::filesystem::path& file, bool create) {
    auto present = files::present(file);
    if (!present) return present.error();
    std::array<unsigned char, 32> key{};
    if (!*present) {
        if (!create) return fail(ErrorKind::NotFound, fmt::format("{}: no vault key (run mssctl init)", file.string()));
        if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
            return fail(ErrorKind::Io, "no randomness for the vault key");
        std::string text = base64_encode({reinterpret_cast<const char*>(key.data()), key.size()}) + "\n";
        if (auto s = files::write_atomic(file, text); !s) return s.error();
        return KeyVault(key);
    }
    auto text = files::read_text(file, 1024);
    if (!text) return text.error();
    std::string_view line = *text;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    auto raw = base64_decode(line);
    if (!raw || raw->size() != key.size())
        return fail(ErrorKind::Invalid, fmt::format("{}: not a 32-byte base64 vault key", file.string()));
    std::copy(raw->begin(), raw->end(), key.begin());
    return KeyVault(key);
}

Result<std::string> KeyVault::seal(std::string_view secret, std::string_view label) const {
    if (secret.size() > kMaxSecret) return fail(ErrorKind::Invalid, "secret too large to seal");
    std::string out(kNonce + secret.size() + kTag, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (RAND_bytes(o, kNonce) != 1) return fail(ErrorKind::Io, "no randomness for a nonce");
    auto ctx = new_ctx();
    int len = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), o) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(label), static_cast<int>(label.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), o + kNonce, &len, bytes(secret), static_cast<int>(secret.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), o + kNonce + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, o + kNonce + secret.size()) != 1)
        return fail(ErrorKind::Io, "sealing failed");
    return std::string(kPrefix) + base64_encode(out);
}

Result<std::string> KeyVault::unseal(std::string_view sealed, std::string_view label) const {
    auto cannot = fail(ErrorKind::Invalid, fmt::format("cannot unseal the key for {}", label));
    if (!sealed.starts_with(kPrefix)) return cannot;
    auto raw = base64_decode(sealed.substr(kPrefix.size()));
    if (!raw || raw->size() < kNonce + kTag || raw->size() > kNonce + kTag + kMaxSecret) return cannot;
    std::size_t n = raw->size() - kNonce - kTag;
    std::string out(n, '\0');
    auto* in = bytes(*raw);
    auto ctx = new_ctx();
    int len = 0;
    std::array<unsigned char, kTag> tag{};
    std::copy(in + kNonce + n, in + kNonce + n + kTag, tag.begin());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), in) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(label), static_cast<int>(label.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in + kNonce,
                          static_cast<int>(n)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) != 1)
        return cannot;
    return out;
}

}  // namespace mss::crypto
