// Mailbox name encodings: IMAP's modified UTF-7 (RFC 3501 5.1.3) to and from UTF-8, and UTF-8
// validation (RFC 3629). Pure functions over bytes; trusts nothing about the input.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/text.h"

namespace mss::imap {

using mss::is_valid_utf8;

// Strict decoding: only printable US-ASCII; "&-" for "&"; base64 runs in canonical form (printable
// ASCII never encoded, zero padding bits, surrogates paired, no two runs back to back, "-"
// closing every run). Anything else is nullopt. Linear in the input.
std::optional<std::string> mutf7_decode(std::string_view mutf7);

// Encodes valid UTF-8 (invalid sequences are encoded as U+FFFD) in canonical modified UTF-7.
std::string mutf7_encode(std::string_view utf8);

}  // namespace mss::imap
