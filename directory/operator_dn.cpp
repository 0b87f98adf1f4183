// Splits a DN on unescaped ',' (or ';' or '+', RFC 4514 multi-valued parts count as parts too), then
// each part on its first unescaped '='.
#include "directory/operator_dn.h"

#include <algorithm>
#include <cctype>

namespace mss::directory {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// A value with escapes undone ("\," or "\2C"), trimmed, inner runs of spaces made one, lower case.
std::optional<std::string> normal_value(std::string_view raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '\\') {
            if (i + 1 >= raw.size()) return std::nullopt;
            int hi = hex_value(raw[i + 1]);
            int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                c = static_cast<char>(hi * 16 + lo);
                i += 2;
            } else {
                c = raw[++i];
            }
        }
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::optional<std::pair<std::string, std::string>> attribute(std::string_view part) {
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string type;
    for (char c : part.substr(0, eq))
        if (c != ' ') type += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (type.empty()) return std::nullopt;
    auto value = normal_value(part.substr(eq + 1));
    if (!value) return std::nullopt;
    return std::pair{std::move(type), std::move(*value)};
}

}  // namespace

std::optional<DnAttributes> parse_dn(std::string_view text) {
    if (text.empty() || text.size() > kMaxDnLength) return std::nullopt;
    DnAttributes out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] == '\\') {
            if (++i == text.size()) return std::nullopt;  // a dangling escape
            continue;
        }
        if (i < text.size() && text[i] != ',' && text[i] != ';' && text[i] != '+') continue;
        auto pair = attribute(text.substr(start, std::min(i, text.size()) - start));
        if (!pair || out.size() == kMaxDnAttributes) return std::nullopt;
        out.push_back(std::move(*pair));
        start = i + 1;
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool same_operator_dn(std::string_view listed, std::string_view presented) {
    auto a = parse_dn(listed);
    auto b = parse_dn(presented);
    return a && b && *a == *b;
}

}  // namespace mss::directory
