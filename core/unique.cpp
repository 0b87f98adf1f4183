// Random names from OpenSSL's generator (see unique.h).
#include "core/unique.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

namespace mss {
namespace {

std::string hex_of_random(std::size_t bytes, const char* digits) {
    std::vector<unsigned char> raw(bytes);
    if (bytes > 0 && RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) std::abort();
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 0x0F];
    }
    return out;
}

}  // namespace

std::string random_hex(std::size_t bytes) { return hex_of_random(bytes, "0123456789abcdef"); }

std::string new_queue_id() { return hex_of_random(6, "0123456789ABCDEF"); }

}  // namespace mss
