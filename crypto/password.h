// Password hashing with scrypt (memory-hard, OpenSSL 3's EVP_KDF), encoded with its parameters so
// costs can rise without invalidating stored hashes. Trusts nothing: verification is constant-time.
#pragma once
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::crypto {

// "$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt base64>$<hash base64>", 16-byte random salt, 32-byte hash.
Result<std::string> hash_password(std::string_view password, int log_n = 17);
// False for a wrong password and for a malformed or unknown encoding (never throws).
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace mss::crypto
