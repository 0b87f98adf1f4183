// Private keys at rest: sealed with AES-256-GCM under a vault key kept in its own file, outside the
// database, so a copy of the database alone reveals no key. Trusts the vault file's owner (the
// operator, mode 0600); a sealed key that was altered or moved to another label fails to open.
#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::crypto {

class KeyVault {
public:
    // Reads the 32-byte vault key (base64, one line); creates it (0600) when missing and create is set.
    static Result<KeyVault> open(const std::filesystem::path& file, bool create);
    // "v1:" + base64(nonce(12) | ciphertext | tag(16)); label (e.g. "sign:dr@x.fr") is bound as
    // additional authenticated data, so a sealed key only opens for what it was sealed for.
    Result<std::string> seal(std::string_view secret, std::string_view label) const;
    Result<std::string> unseal(std::string_view sealed, std::string_view label) const;

private:
    explicit KeyVault(const std::array<unsigned char, 32>& key) : key_(key) {}
    std::array<unsigned char, 32> key_;
};

}  // namespace mss::crypto
