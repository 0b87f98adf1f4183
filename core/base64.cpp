// Base64 by the alphabet of RFC 4648 section 4.
#include "core/base64.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace mss {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr auto kTable = make_table();

// Two characters for each 12-bit value, so that a group of three octets takes two lookups.
constexpr std::array<char, 8192> make_pairs() {
    std::array<char, 8192> t{};
    for (int v = 0; v < 4096; ++v) {
        t[2 * v] = kAlphabet[v >> 6];
        t[2 * v + 1] = kAlphabet[v & 63];
    }
    return t;
}
constexpr auto kPairs = make_pairs();

// Whole groups of three octets; returns past the last character written.
char* encode_groups(const unsigned char* in, std::size_t groups, char* out) {
    for (std::size_t g = 0; g < groups; ++g, in += 3, out += 4) {
        uint32_t v = uint32_t(in[0]) << 16 | uint32_t(in[1]) << 8 | in[2];
        std::memcpy(out, &kPairs[2 * (v >> 12)], 2);
        std::memcpy(out + 2, &kPairs[2 * (v & 4095)], 2);
    }
    return out;
}

// The last one or two octets with their padding; returns past the last written.
char* encode_tail(const unsigned char* in, std::size_t left, char* out) {
    if (left == 0) return out;
    uint32_t v = uint32_t(in[0]) << 16 | (left > 1 ? uint32_t(in[1]) << 8 : 0);
    out[0] = kAlphabet[v >> 18];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = left > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out[3] = '=';
    return out + 4;
}

const unsigned char* octets(std::string_view bytes) { return reinterpret_cast<const unsigned char*>(bytes.data()); }
}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out((bytes.size() + 2) / 3 * 4, '\0');
    char* end = encode_groups(octets(bytes), bytes.size() / 3, out.data());
    encode_tail(octets(bytes) + bytes.size() / 3 * 3, bytes.size() % 3, end);
    return out;
}

std::string base64_lines(std::string_view bytes) {
    constexpr std::size_t kLineOctets = 57;  // 76 characters
    std::size_t lines = (bytes.size() + kLineOctets - 1) / kLineOctets;
    std::string out((bytes.size() + 2) / 3 * 4 + 2 * lines, '\0');
    const unsigned char* in = octets(bytes);
    char* o = out.data();
    for (std::size_t left = bytes.size(); left > 0;) {
        std::size_t take = std::min(left, kLineOctets);
        o = encode_tail(in + take / 3 * 3, take % 3, encode_groups(in, take / 3, o));
        *o++ = '\r';
        *o++ = '\n';
        in += take;
        left -= take;
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        int pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
        if (pad && !last) return std::nullopt;
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            int8_t d = k >= 4 - pad ? 0 : kTable[static_cast<unsigned char>(text[i + k])];
            if (d < 0) return std::nullopt;
            v = (v << 6) | static_cast<uint32_t>(d);
        }
        out += static_cast<char>((v >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(v & 0xff);
    }
    return out;
}

}  // namespace mss
