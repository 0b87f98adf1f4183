// RFC 4515/4514 escaping and RFC 2849 value lines. Pure and bounded by the value's length.
#include "ldap/escape.h"

#include "core/base64.h"

namespace mss::ldap {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr std::size_t kLdifWidth = 76;

void put_hex(std::string& out, unsigned char c) {
    out += '\\';
    out += kHex[c >> 4];
    out += kHex[c & 15];
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool printable(unsigned char c) { return c >= 0x20 && c < 0x7f; }

}  // namespace

std::string escape_filter_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) {
        if (!printable(c) || c == '*' || c == '(' || c == ')' || c == '\\') put_hex(out, c);
        else out += static_cast<char>(c);
    }
    return out;
}

std::optional<std::string> unescape_filter_value(std::string_view escaped) {
    std::string out;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        char c = escaped[i];
        if (c == '*' || c == '(' || c == ')' || c == '\0') return std::nullopt;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i + 2 >= escaped.size()) return std::nullopt;
        int hi = hex_digit(escaped[i + 1]), lo = hex_digit(escaped[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
    }
    return out;
}

std::string escape_dn_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(value[i]);
        bool edge_space = c == ' ' && (i == 0 || i + 1 == value.size());
        if (!printable(c)) put_hex(out, c);
        else if (edge_space || (c == '#' && i == 0) || std::string_view("\"+,;<=>\\").find(static_cast<char>(c)) !=
                                                             std::string_view::npos) {
            out += '\\';
            out += static_cast<char>(c);
        } else out += static_cast<char>(c);
    }
    return out;
}

bool ldif_safe(std::string_view value) {
    if (value.empty()) return true;
    unsigned char first = static_cast<unsigned char>(value.front());
    if (first == ' ' || first == ':' || first == '<') return false;
    if (value.back() == ' ') return false;
    for (unsigned char c : value)
        if (c == 0 || c == '\n' || c == '\r' || c > 0x7f) return false;
    return true;
}

std::string ldif_line(std::string_view type, std::string_view value) {
    std::string line(type);
    if (ldif_safe(value)) {
        line += value.empty() ? ":" : ": ";
        line += value;
    } else {
        line += ":: ";
        line += base64_encode(value);
    }
    std::string out;
    out.reserve(line.size() + line.size() / kLdifWidth * 2 + 1);
    for (std::size_t i = 0; i < line.size();) {
        std::size_t width = i == 0 ? kLdifWidth : kLdifWidth - 1;
        if (i) out += "\n ";
        out.append(line, i, width);
        i += width;
    }
    out += '\n';
    return out;
}

}  // namespace mss::ldap
