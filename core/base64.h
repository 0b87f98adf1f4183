// Strict base64 (RFC 4648 section 4, padding required) for SASL exchanges, encoded secrets and
// MIME bodies.
// Decoding refuses anything else: characters outside the alphabet, bad padding, embedded space.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mss {

std::string base64_encode(std::string_view bytes);
// RFC 2045 6.8 body encoding: lines of 76 characters, each ended by CRLF (the last may be shorter).
std::string base64_lines(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mss
