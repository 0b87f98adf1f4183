// Unguessable names for things mssd makes: queue ids, Message-IDs, MIME boundaries, document ids.
// Trusts OpenSSL's RAND_bytes; a failing RNG aborts rather than hand out a predictable name.
#pragma once
#include <cstddef>
#include <string>

namespace mss {

// `bytes` random bytes as lowercase hexadecimal (2 characters a byte).
std::string random_hex(std::size_t bytes);

// A queue id in the form Postfix made familiar to postmasters: 12 uppercase hexadecimal digits.
std::string new_queue_id();

}  // namespace mss
