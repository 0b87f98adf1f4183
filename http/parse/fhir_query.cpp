// FHIR search query reading: `&`-separated pairs, `+` and %XX decoded (form encoding), then the
// value's comma list split on unescaped commas and FHIR's escapes (\, \$ \| \\) removed.
#include "http/parse/fhir_query.h"

#include <fmt/format.h>

namespace mss::http {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string> form_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') c = ' ';
        else if (c == '%') {
            int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
            if (lo < 0) return fail(ErrorKind::Invalid, "a malformed percent escape");
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') return fail(ErrorKind::Invalid, "a NUL in the query");
        out += c;
    }
    return out;
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

// "a\,b,c" -> {"a,b", "c"}; a backslash before anything else than , $ | \ is kept as it is.
Result<std::vector<std::string>> split_values(const std::string& value, const QueryLimits& limits) {
    std::vector<std::string> out(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '\\' && i + 1 < value.size() &&
            (value[i + 1] == ',' || value[i + 1] == '$' || value[i + 1] == '|' || value[i + 1] == '\\')) {
            out.back() += value[++i];
        } else if (c == ',') {
            if (out.size() == limits.max_values)
                return fail(ErrorKind::Invalid, fmt::format("more than {} values in one list", limits.max_values));
            out.emplace_back();
        } else {
            out.back() += c;
        }
        if (out.back().size() > limits.max_value)
            return fail(ErrorKind::Invalid, fmt::format("a value longer than {} octets", limits.max_value));
    }
    return out;
}

Result<SearchParam> parse_pair(std::string_view pair, const QueryLimits& limits) {
    auto eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name) return name.error();
    auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return value.error();
    SearchParam p;
    auto colon = name->find(':');
    p.name = name->substr(0, colon);
    if (colon != std::string::npos) p.modifier = name->substr(colon + 1);
    if (p.name.empty()) return fail(ErrorKind::Invalid, "a parameter without a name");
    for (const std::string* part : {&p.name, &p.modifier})
        for (char c : *part)
            if (!name_char(c)) return fail(ErrorKind::Invalid, "a parameter name or modifier outside [A-Za-z0-9_.-]");
    auto values = split_values(*value, limits);
    if (!values) return values.error();
    p.values = std::move(values).value();
    return p;
}

}  // namespace

Result<std::vector<SearchParam>> parse_search_query(std::string_view raw, const QueryLimits& limits) {
    if (raw.size() > limits.max_length)
        return fail(ErrorKind::Invalid, fmt::format("a query longer than {} octets", limits.max_length));
    std::vector<SearchParam> out;
    while (!raw.empty()) {
        auto amp = raw.find('&');
        std::string_view pair = raw.substr(0, amp);
        raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
        if (pair.empty()) continue;  // "a=1&&b=2"
        if (out.size() == limits.max_params)
            return fail(ErrorKind::Invalid, fmt::format("more than {} parameters", limits.max_params));
        auto p = parse_pair(pair, limits);
        if (!p) return fail(ErrorKind::Invalid, fmt::format("parameter {}: {}", out.size() + 1, p.error().message));
        out.push_back(std::move(p).value());
    }
    return out;
}

}  // namespace mss::http
