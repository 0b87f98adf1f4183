// Modified UTF-7 (RFC 3501 5.1.3) and UTF-8 checks for mailbox names. Decoding is strict: a name
// is accepted only if re-encoding gives back the same bytes, so every name has one spelling.
#include "imap/parse/mutf7.h"

#include "core/text.h"

#include <cstdint>
#include <vector>

namespace mss::imap {

namespace {

// Decodes one UTF-8 sequence at text[i]; returns the code point or -1, and advances i.
int32_t next_code_point(std::string_view text, std::size_t& i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = b(i);
    if (c < 0x80) {
        ++i;
        return c;
    }
    int len;
    int32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        ++i;
        return -1;
    }
    if (i + len > text.size()) {
        ++i;
        return -1;
    }
    for (int k = 1; k < len; ++k) {
        unsigned char cc = b(i + k);
        if ((cc & 0xC0) != 0x80) {
            ++i;
            return -1;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlongs, surrogates and code points past U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return -1;
    }
    i += len;
    return cp;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

void flush_run(std::string& out, std::vector<uint16_t>& units) {
    if (units.empty()) return;
    out += '&';
    uint32_t bits = 0;
    int nbits = 0;
    for (uint16_t u : units) {
        bits = (bits << 16) | u;
        nbits += 16;
        while (nbits >= 6) {
            nbits -= 6;
            out += kBase64[(bits >> nbits) & 0x3F];
        }
        bits &= (1u << nbits) - 1;
    }
    if (nbits > 0) out += kBase64[(bits << (6 - nbits)) & 0x3F];
    out += '-';
    units.clear();
}

}  // namespace

std::string mutf7_encode(std::string_view utf8) {
    std::string out;
    std::vector<uint16_t> units;
    std::size_t i = 0;
    while (i < utf8.size()) {
        int32_t cp = next_code_point(utf8, i);
        if (cp < 0) cp = 0xFFFD;
        if (cp >= 0x20 && cp <= 0x7E) {
            flush_run(out, units);
            out += static_cast<char>(cp);
            if (cp == '&') out += '-';
        } else if (cp >= 0x10000) {
            uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
            units.push_back(static_cast<uint16_t>(0xD800 | (v >> 10)));
            units.push_back(static_cast<uint16_t>(0xDC00 | (v & 0x3FF)));
        } else {
            units.push_back(static_cast<uint16_t>(cp));
        }
    }
    flush_run(out, units);
    return out;
}

std::optional<std::string> mutf7_decode(std::string_view in) {
    std::string out;
    std::size_t i = 0;
    while (i < in.size()) {
        char c = in[i];
        if (c < 0x20 || c > 0x7E) return std::nullopt;
        if (c != '&') {
            out += c;
            ++i;
            continue;
        }
        ++i;
        if (i < in.size() && in[i] == '-') {
            out += '&';
            ++i;
            continue;
        }
        uint32_t bits = 0;
        int nbits = 0;
        uint32_t high = 0;  // pending high surrogate
        bool closed = false;
        while (i < in.size()) {
            char d = in[i++];
            if (d == '-') {
                closed = true;
                break;
            }
            int v = base64_value(d);
            if (v < 0) return std::nullopt;
            bits = (bits << 6) | static_cast<uint32_t>(v);
            nbits += 6;
            if (nbits >= 16) {
                nbits -= 16;
                uint32_t unit = (bits >> nbits) & 0xFFFF;
                bits &= (1u << nbits) - 1;
                if (high) {
                    if (unit < 0xDC00 || unit > 0xDFFF) return std::nullopt;
                    append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
                    high = 0;
                } else if (unit >= 0xD800 && unit <= 0xDBFF) {
                    high = unit;
                } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    return std::nullopt;
                } else {
                    append_utf8(out, unit);
                }
            }
        }
        if (!closed || high) return std::nullopt;
    }
    // Canonical form only: one spelling per name (catches encoded ASCII, padding, split runs).
    if (mutf7_encode(out) != in) return std::nullopt;
    return out;
}

}  // namespace mss::imap
