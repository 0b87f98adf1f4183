// Strict base64 (RFC 4648 section 4, padding required) for SASL exchanges and encoded secrets.
// Decoding refuses anything else: characters outside the alphabet, bad padding, embedded space.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mss {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mss
