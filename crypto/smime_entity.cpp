// MIME framing for S/MIME: header fields, Content-Type, multipart/signed parts, base64 bodies and
// the From mailbox. Pure functions over the bytes given, linear in their size, no recursion beyond
// a fixed comment depth; every doubt is an Invalid error.
#include "crypto/smime_entity.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "core/text.h"

namespace mss::crypto::smime::entity {
namespace {

constexpr int kMaxCommentDepth = 8;

Error invalid(std::string message) { return fail(ErrorKind::Invalid, std::move(message)); }

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

// A line without its line break; next is where the following line starts.
struct Line {
    std::string_view text;
    std::size_t next;
};

Line line_at(std::string_view s, std::size_t pos) {
    auto nl = s.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? s.size() : nl;
    std::string_view text = s.substr(pos, end - pos);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return {text, nl == std::string_view::npos ? s.size() : nl + 1};
}

bool is_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) { return c > 32 && c < 127 && c != ':'; });
}

Status start_field(Entity& e, std::string_view text, std::size_t pos, const Line& line, std::size_t max_fields) {
    auto colon = line.text.find(':');
    if (colon == std::string_view::npos) return invalid(fmt::format("header line without a colon at octet {}", pos));
    std::string_view name = line.text.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // RFC 5322 obs-field allows "Name :"
    if (!is_field_name(name)) return invalid(fmt::format("bad header field name at octet {}", pos));
    if (e.fields.size() >= max_fields) return invalid(fmt::format("more than {} header fields", max_fields));
    e.fields.push_back({name, text.substr(pos, line.next - pos), std::string(line.text.substr(colon + 1))});
    return Ok{};
}

// ---- Content-Type syntax (RFC 2045 5.1, comments per RFC 5322 3.2.2) ----

bool is_tspecial(char c) { return std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr; }
bool is_token_char(unsigned char c) { return c > 32 && c < 127 && !is_tspecial(static_cast<char>(c)); }

struct Cursor {
    std::string_view s;
    std::size_t i = 0;
    bool at_end() const { return i >= s.size(); }
    char peek() const { return s[i]; }
};

// Skips white space and comments; false on an unterminated or too deeply nested comment.
bool skip_cfws(Cursor& c) {
    int depth = 0;
    for (; !c.at_end(); ++c.i) {
        char ch = c.peek();
        if (depth == 0 && (is_wsp(ch) || ch == '\r' || ch == '\n')) continue;
        if (ch == '(') {
            if (++depth > kMaxCommentDepth) return false;
        } else if (depth > 0 && ch == ')') {
            --depth;
        } else if (depth > 0 && ch == '\\') {
            ++c.i;
            if (c.at_end()) return false;
        } else if (depth == 0) {
            return true;
        }
    }
    return depth == 0;
}

std::string token(Cursor& c) {
    std::size_t start = c.i;
    while (!c.at_end() && is_token_char(static_cast<unsigned char>(c.peek()))) ++c.i;
    return std::string(c.s.substr(start, c.i - start));
}

std::optional<std::string> quoted_string(Cursor& c) {
    std::string out;
    for (++c.i; !c.at_end(); ++c.i) {
        char ch = c.peek();
        if (ch == '"') {
            ++c.i;
            return out;
        }
        if (ch == '\\') {
            if (++c.i == c.s.size()) return std::nullopt;
            ch = c.peek();
        }
        out += ch;
    }
    return std::nullopt;
}

Result<std::string> parameter_value(Cursor& c) {
    if (c.peek() == '"') {
        auto quoted = quoted_string(c);
        if (!quoted) return invalid("unterminated quoted string in Content-Type");
        return std::move(*quoted);
    }
    std::string value = token(c);
    if (value.empty()) return invalid("empty Content-Type parameter value");
    return value;
}

// name = value, the cursor on the name.
Status parse_parameter(Cursor& c, ContentType& ct) {
    std::string name = ascii_lower(token(c));
    if (name.empty() || !skip_cfws(c) || c.at_end() || c.peek() != '=') return invalid("malformed Content-Type parameter");
    ++c.i;
    if (!skip_cfws(c) || c.at_end()) return invalid(fmt::format("no value for Content-Type parameter {}", name));
    auto value = parameter_value(c);
    if (!value) return value.error();
    if (ct.param(name)) return invalid(fmt::format("Content-Type parameter {} given twice", name));
    ct.params.emplace_back(std::move(name), std::move(*value));
    return Ok{};
}

// ---- multipart/signed ----

struct Delimiter {
    std::size_t line_start;  // where "--boundary" begins
    std::size_t break_len;   // the line break before it (part of the delimiter), 0 at the body's start
    std::size_t next;        // where the following part begins
    bool close;
};

// The next delimiter line at or after from: "--boundary" at a line start, then "--" or white space and
// a line end. A longer line beginning the same way is body text, not a delimiter.
std::optional<Delimiter> find_delimiter(std::string_view body, std::string_view dash_boundary, std::size_t from) {
    for (std::size_t p = body.find(dash_boundary, from); p != std::string_view::npos;
         p = body.find(dash_boundary, p + 1)) {
        if (p != 0 && body[p - 1] != '\n') continue;
        std::size_t after = p + dash_boundary.size();
        bool close = body.substr(after, 2) == "--";
        if (close) after += 2;
        Line rest = line_at(body, after);
        if (!std::all_of(rest.text.begin(), rest.text.end(), is_wsp)) continue;
        std::size_t brk = p == 0 ? 0 : (p >= 2 && body[p - 2] == '\r' ? 2 : 1);
        return Delimiter{p, brk, rest.next, close};
    }
    return std::nullopt;
}

// The part between delimiter a and the next one b.
Result<std::string_view> part_between(std::string_view body, const Delimiter& a, const Delimiter& b) {
    if (b.line_start < a.next + b.break_len) return invalid("empty part in multipart/signed");
    return body.substr(a.next, b.line_start - b.break_len - a.next);
}

// ---- base64 (RFC 2045 6.8) ----

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kSpace = -2, kBad = -1;

constexpr std::array<int8_t, 256> make_decoding() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = kBad;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
    for (unsigned char c : {' ', '\t', '\r', '\n'}) t[c] = kSpace;
    return t;
}
constexpr auto kDecoding = make_decoding();

uint32_t octet(char c) { return static_cast<unsigned char>(c); }

// Line breaks and white space skipped; padding required and last; anything else refused.
std::optional<std::string> mime_base64_decode(std::string_view text) {
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t o = 0;
    uint32_t acc = 0;
    int n = 0, pad = 0;
    for (char ch : text) {
        int8_t v = kDecoding[octet(ch)];
        if (v == kSpace) continue;
        if (ch == '=') {
            if (++pad > 2) return std::nullopt;
            continue;
        }
        if (v == kBad || pad) return std::nullopt;
        acc = acc << 6 | static_cast<uint32_t>(v);
        if (++n == 4) {
            out[o++] = static_cast<char>(acc >> 16), out[o++] = static_cast<char>(acc >> 8), out[o++] = static_cast<char>(acc);
            n = 0, acc = 0;
        }
    }
    if (n == 2 && pad == 2) out[o++] = static_cast<char>(acc >> 4);
    else if (n == 3 && pad == 1) out[o++] = static_cast<char>(acc >> 10), out[o++] = static_cast<char>(acc >> 2);
    else if (n != 0 || pad != 0) return std::nullopt;
    out.resize(o);
    return out;
}

// ---- From ----

struct AddressScan {
    std::string outside;  // text outside comments and quotes, angle brackets excluded
    std::string angle;    // inside <>
    int angles = 0;
    bool after_angle_text = false;
};

Status scan_address_char(AddressScan& s, char ch, bool& in_angle) {
    if (ch == ',' && !in_angle) return invalid("From holds several mailboxes");
    if (ch == ':' && !in_angle) return invalid("From holds a group");
    if (ch == '<') {
        if (in_angle || ++s.angles > 1) return invalid("From holds several angle addresses");
        in_angle = true;
    } else if (ch == '>') {
        if (!in_angle) return invalid("unbalanced '>' in From");
        in_angle = false;
    } else if (in_angle) {
        s.angle += ch;
    } else {
        if (s.angles > 0 && !is_wsp(ch)) s.after_angle_text = true;
        s.outside += ch;
    }
    return Ok{};
}

Result<AddressScan> scan_address(std::string_view value) {
    AddressScan s;
    Cursor c{value};
    bool in_angle = false;
    while (!c.at_end()) {
        if (!in_angle && !skip_cfws(c)) return invalid("unterminated comment in From");
        if (c.at_end()) break;
        if (!in_angle && c.peek() == '"') {
            if (!quoted_string(c)) return invalid("unterminated quoted string in From");
            s.outside += ' ';
            continue;
        }
        if (auto st = scan_address_char(s, c.peek(), in_angle); !st) return st.error();
        ++c.i;
    }
    if (in_angle) return invalid("unterminated angle address in From");
    return s;
}

bool is_plain_address(std::string_view a) {
    auto at = a.find('@');
    return !a.empty() && at != 0 && at != std::string_view::npos && at + 1 < a.size() &&
           a.find('@', at + 1) == std::string_view::npos &&
           std::all_of(a.begin(), a.end(), [](unsigned char ch) { return ch > 32 && ch != 127 && ch != '<' && ch != '>'; });
}

}  // namespace

Result<Entity> split(std::string_view text, std::size_t max_fields) {
    Entity e;
    for (std::size_t pos = 0; pos < text.size();) {
        Line line = line_at(text, pos);
        if (line.text.empty()) {
            e.body = text.substr(line.next);
            return e;
        }
        if (is_wsp(line.text.front())) {
            if (e.fields.empty()) return invalid("header begins with a continuation line");
            Field& last = e.fields.back();
            last.value += line.text;
            last.raw = std::string_view(last.raw.data(), line.next - static_cast<std::size_t>(last.raw.data() - text.data()));
        } else if (auto st = start_field(e, text, pos, line, max_fields); !st) {
            return st.error();
        }
        pos = line.next;
    }
    return e;
}

Result<std::optional<std::string>> single_field(const Entity& e, std::string_view name) {
    std::optional<std::string> found;
    for (const auto& f : e.fields) {
        if (!iequals(f.name, name)) continue;
        if (found) return invalid(fmt::format("{} given twice", name));
        found = std::string(trim(f.value));
    }
    return found;
}

bool ContentType::is(std::string_view type_slash_subtype) const {
    return type_slash_subtype == type + "/" + subtype;
}

std::optional<std::string> ContentType::param(std::string_view name) const {
    for (const auto& [n, v] : params)
        if (n == name) return v;
    return std::nullopt;
}

Result<ContentType> parse_content_type(std::string_view value) {
    ContentType ct;
    Cursor c{value};
    if (!skip_cfws(c)) return invalid("malformed Content-Type");
    ct.type = ascii_lower(token(c));
    if (!skip_cfws(c) || c.at_end() || c.peek() != '/') return invalid("Content-Type without a subtype");
    ++c.i;
    if (!skip_cfws(c)) return invalid("malformed Content-Type");
    ct.subtype = ascii_lower(token(c));
    if (ct.type.empty() || ct.subtype.empty()) return invalid("Content-Type without a type or subtype");
    for (;;) {
        if (!skip_cfws(c)) return invalid("malformed Content-Type");
        if (c.at_end()) return ct;
        if (c.peek() != ';') return invalid("Content-Type parameters not separated by ';'");
        ++c.i;
        if (!skip_cfws(c)) return invalid("malformed Content-Type");
        if (c.at_end()) return ct;
        if (auto st = parse_parameter(c, ct); !st) return st.error();
    }
}

Result<ContentType> content_type_of(const Entity& e) {
    auto field = single_field(e, "Content-Type");
    if (!field) return field.error();
    if (!*field) return ContentType{"text", "plain", {{"charset", "us-ascii"}}};
    return parse_content_type(**field);
}

bool is_content_field(std::string_view name) {
    return iequals(name, "MIME-Version") || (name.size() > 8 && iequals(name.substr(0, 8), "Content-"));
}

namespace {
bool has_bare_lf(std::string_view text) {
    for (std::size_t i = text.find('\n'); i != std::string_view::npos; i = text.find('\n', i + 1))
        if (i == 0 || text[i - 1] != '\r') return true;
    return false;
}
}  // namespace

std::string_view canonical_view(std::string_view text, std::string& storage) {
    if (!has_bare_lf(text)) return text;
    storage = canonical_crlf(text);
    return storage;
}

std::string canonical_crlf(std::string_view text) {
    if (!has_bare_lf(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
        out += text[i];
    }
    return out;
}

namespace {
void append_field(std::string& out, std::string_view raw) {
    out += raw;
    if (raw.empty() || raw.back() != '\n') out += "\r\n";
}
}  // namespace

std::string mime_entity(const Entity& e) {
    std::string out;
    for (const auto& f : e.fields)
        if (is_content_field(f.name) && !iequals(f.name, "MIME-Version")) append_field(out, f.raw);
    out += "\r\n";
    out += e.body;
    return out;
}

std::string outer_fields(const Entity& e) { return outer_fields(e, Entity{}); }

std::string outer_fields(const Entity& e, const Entity& inner) {
    std::string out;
    for (const auto& f : e.fields) {
        bool shadowed = std::any_of(inner.fields.begin(), inner.fields.end(),
                                    [&](const Field& i) { return iequals(i.name, f.name); });
        if (!is_content_field(f.name) && !shadowed) append_field(out, f.raw);
    }
    return out;
}

Result<SignedBody> split_signed(std::string_view body, std::string_view boundary) {
    if (boundary.empty() || boundary.size() > 70) return invalid("multipart boundary missing or longer than 70");
    std::string dash = "--" + std::string(boundary);
    auto first = find_delimiter(body, dash, 0);
    if (!first || first->close) return invalid("multipart/signed without its first part");
    auto second = find_delimiter(body, dash, first->next);
    if (!second || second->close) return invalid("multipart/signed without a signature part");
    auto last = find_delimiter(body, dash, second->next);
    if (!last) return invalid("multipart/signed without its close delimiter");
    if (!last->close) return invalid("multipart/signed with more than two parts");
    auto content = part_between(body, *first, *second);
    if (!content) return content.error();
    auto signature = part_between(body, *second, *last);
    if (!signature) return signature.error();
    return SignedBody{*content, *signature};
}

Result<std::string> decoded_body(const Entity& e) {
    auto cte = single_field(e, "Content-Transfer-Encoding");
    if (!cte) return cte.error();
    std::string encoding = *cte ? ascii_lower(**cte) : "7bit";
    if (encoding == "7bit" || encoding == "8bit" || encoding == "binary") return std::string(e.body);
    if (encoding != "base64") return invalid(fmt::format("unsupported Content-Transfer-Encoding {}", encoding));
    auto bytes = mime_base64_decode(e.body);
    if (!bytes || bytes->empty()) return invalid("bad base64 body");
    return std::move(*bytes);
}

Result<std::string> single_address(std::string_view from_value) {
    auto scan = scan_address(from_value);
    if (!scan) return scan.error();
    if (scan->after_angle_text) return invalid("text after the angle address in From");
    std::string_view address = trim(scan->angles ? std::string_view(scan->angle) : std::string_view(scan->outside));
    if (!is_plain_address(address)) return invalid(fmt::format("no single address in From: {}", from_value));
    return std::string(address);
}

}  // namespace mss::crypto::smime::entity
