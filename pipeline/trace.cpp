// Writes and filters Authentication-Results fields. Everything written from a certificate or a
// verdict is made inert first: no line breaks, no unbalanced parentheses, quoted where RFC 8601 wants.
#include "pipeline/trace.h"

#include <fmt/format.h>

#include "core/text.h"

namespace mss::pipeline {
namespace {

constexpr std::size_t kMaxValue = 200;

// Printable ASCII only, without the characters that would end or nest a comment or a quoted string.
std::string inert(std::string_view text, std::string_view also_drop) {
    std::string out;
    for (char c : text) {
        if (out.size() == kMaxValue) break;
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e || also_drop.find(c) != std::string_view::npos) out += '?';
        else out += c;
    }
    return out;
}

std::string quoted(std::string_view text) { return "\"" + inert(text, "\"\\") + "\""; }

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// The first token of an Authentication-Results value (the authserv-id), after comments and spaces.
std::string_view authserv_id_of(std::string_view value) {
    std::size_t i = 0;
    int depth = 0;
    while (i < value.size()) {
        char c = value[i];
        if (c == '(') ++depth;
        else if (c == ')' && depth > 0) --depth;
        else if (depth == 0 && !is_wsp(c) && c != '\r' && c != '\n') break;
        ++i;
    }
    std::size_t start = i;
    while (i < value.size() && value[i] != ';' && value[i] != '(' && !is_wsp(value[i]) && value[i] != '\r' &&
           value[i] != '\n')
        ++i;
    return value.substr(start, i - start);
}

bool is_ours(std::string_view field, std::string_view authserv_id) {
    constexpr std::string_view kName = "authentication-results";
    if (field.size() <= kName.size() || ascii_lower(field.substr(0, kName.size())) != kName) return false;
    std::size_t i = kName.size();
    while (i < field.size() && is_wsp(field[i])) ++i;
    if (i == field.size() || field[i] != ':') return false;
    return ascii_lower(authserv_id_of(field.substr(i + 1))) == ascii_lower(authserv_id);
}

std::size_t line_end(std::string_view text, std::size_t from) {
    auto lf = text.find('\n', from);
    return lf == std::string_view::npos ? text.size() : lf + 1;
}

// Calls field(text) for each header field (continuation lines included) until the header ends, and
// gives the offset where the rest (empty line, body, or a stray continuation) begins.
template <class F>
std::size_t each_field(std::string_view message, F field) {
    std::size_t pos = 0;
    while (pos < message.size()) {
        std::size_t end = line_end(message, pos);
        std::string_view line = message.substr(pos, end - pos);
        if (line == "\r\n" || line == "\n" || is_wsp(line.front())) return pos;
        while (end < message.size() && is_wsp(message[end])) end = line_end(message, end);
        field(message.substr(pos, end - pos));
        pos = end;
    }
    return pos;
}

}  // namespace

std::string authentication_results(std::string_view authserv_id, const SmimeResult& r) {
    std::string field = fmt::format("Authentication-Results: {};\r\n\tsmime={}", inert(authserv_id, "();\""),
                                    inert(r.result, "()\" ;"));
    if (!r.comment.empty()) field += fmt::format(" ({})", inert(r.comment, "()\\"));
    if (!r.identifier.empty()) field += fmt::format("\r\n\tbody.smime-identifier={}", quoted(r.identifier));
    if (!r.serial.empty()) field += fmt::format("\r\n\tbody.smime-serial={}", quoted(r.serial));
    if (!r.issuer.empty()) field += fmt::format("\r\n\tbody.smime-issuer={}", quoted(r.issuer));
    return field + "\r\n";
}

std::string without_our_results(std::string message, std::string_view authserv_id) {
    bool found = false;
    each_field(message, [&](std::string_view field) { found = found || is_ours(field, authserv_id); });
    if (!found) return message;
    std::string out;
    out.reserve(message.size());
    std::size_t rest = each_field(message, [&](std::string_view field) {
        if (!is_ours(field, authserv_id)) out.append(field);
    });
    out.append(std::string_view(message).substr(rest));
    return out;
}

}  // namespace mss::pipeline
