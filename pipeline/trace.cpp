// Writes and filters Authentication-Results fields. Everything written from a certificate or a
// verdict is made inert first: no line breaks, no unbalanced parentheses, quoted where RFC 8601 wants.
#include "pipeline/trace.h"

#include <fmt/format.h>

#include <optional>
#include <tuple>
#include <utility>

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
bool is_fws(char c) { return is_wsp(c) || c == '\r' || c == '\n'; }

// RFC 2045 5.1 tspecials: they end a token.
bool is_tspecial(char c) { return std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos; }

// The offset after CFWS (RFC 5322 3.2.2) starting at i: folding white space and comments, nested, with
// quoted-pairs; nullopt when a comment never closes.
std::optional<std::size_t> after_cfws(std::string_view v, std::size_t i) {
    int depth = 0;
    for (; i < v.size(); ++i) {
        char c = v[i];
        if (depth > 0 && c == '\\') ++i;
        else if (c == '(') ++depth;
        else if (c == ')' && depth > 0) --depth;
        else if (depth == 0 && !is_fws(c)) return i;
    }
    if (depth > 0) return std::nullopt;
    return i;
}

// A quoted-string's content from the opening quote at i, quoted-pairs undone and folding removed; the
// offset after the closing quote. nullopt when it never closes.
std::optional<std::pair<std::string, std::size_t>> quoted_string(std::string_view v, std::size_t i) {
    std::string content;
    for (++i; i < v.size(); ++i) {
        char c = v[i];
        if (c == '"') return std::pair{std::move(content), i + 1};
        if (c == '\\' && i + 1 < v.size()) content += v[++i];
        else if (c != '\r' && c != '\n') content += c;
    }
    return std::nullopt;
}

// The authserv-id of an Authentication-Results value (RFC 8601 2.2: [CFWS] value, value = token /
// quoted-string, then CFWS, ";" or the end), in the form two spellings of one name share: lower case,
// no surrounding spaces, no trailing dots. nullopt when the value cannot be read that far.
std::optional<std::string> authserv_id_of(std::string_view value) {
    auto start = after_cfws(value, 0);
    if (!start || *start == value.size()) return std::nullopt;
    std::string id;
    std::size_t end = *start;
    if (value[end] == '"') {
        auto quoted = quoted_string(value, end);
        if (!quoted) return std::nullopt;
        std::tie(id, end) = std::move(*quoted);
    } else {
        while (end < value.size() && static_cast<unsigned char>(value[end]) > 0x20 && value[end] != 0x7f &&
               !is_tspecial(value[end]))
            ++end;
        id = value.substr(*start, end - *start);
    }
    if (end < value.size() && !is_fws(value[end]) && value[end] != '(' && value[end] != ';') return std::nullopt;
    auto last = id.find_last_not_of(" \t.");
    if (last == std::string::npos) return std::nullopt;
    auto first = id.find_first_not_of(" \t");
    return ascii_lower(std::string_view(id).substr(first, last + 1 - first));
}

// An Authentication-Results field (name case-insensitive, obs-syntax WSP before the colon) whose
// authserv-id is ours, or cannot be read: no reader could then be sure it is not ours.
bool is_ours(std::string_view field, std::string_view ours) {
    constexpr std::string_view kName = "authentication-results";
    if (field.size() <= kName.size() || ascii_lower(field.substr(0, kName.size())) != kName) return false;
    std::size_t i = kName.size();
    while (i < field.size() && is_wsp(field[i])) ++i;
    if (i == field.size() || field[i] != ':') return false;
    auto id = authserv_id_of(field.substr(i + 1));
    return !id || *id == ours;
}

std::size_t line_end(std::string_view text, std::size_t from) {
    auto lf = text.find('\n', from);
    return lf == std::string_view::npos ? text.size() : lf + 1;
}

// Calls field(text) for each header field (continuation lines included) until the header ends, and
// gives the offset where the rest (empty line and body) begins. Continuation lines before the first
// field belong to none: they are given alone, as a field, so that the caller can drop them.
template <class F>
std::size_t each_field(std::string_view message, F field) {
    std::size_t pos = 0;
    while (pos < message.size()) {
        std::size_t end = line_end(message, pos);
        std::string_view line = message.substr(pos, end - pos);
        if (line == "\r\n" || line == "\n") return pos;
        if (pos > 0 || !is_wsp(line.front()))
            while (end < message.size() && is_wsp(message[end])) end = line_end(message, end);
        field(message.substr(pos, end - pos));
        pos = end;
    }
    return pos;
}

// Dropped from what arrives: our fields, and lines that would fold into the fields we put on top.
bool is_dropped(std::string_view field, std::string_view ours) { return is_wsp(field.front()) || is_ours(field, ours); }

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
    std::string ours = ascii_lower(authserv_id.substr(0, authserv_id.find_last_not_of('.') + 1));
    bool found = false;
    each_field(message, [&](std::string_view field) { found = found || is_dropped(field, ours); });
    if (!found) return message;
    std::string out;
    out.reserve(message.size());
    std::size_t rest = each_field(message, [&](std::string_view field) {
        if (!is_dropped(field, ours)) out.append(field);
    });
    out.append(std::string_view(message).substr(rest));
    return out;
}

}  // namespace mss::pipeline
