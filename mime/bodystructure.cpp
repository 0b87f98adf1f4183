// ENVELOPE / BODYSTRUCTURE rendering, BODY[section] octets and BINARY decoding over a Part tree.
// Everything here reads offsets parse_structure computed and the message they index; it checks
// part numbers and section names, and nothing else about the tree.
#include "mime/bodystructure.h"

#include <algorithm>

#include "core/text.h"

namespace mss::mime {
namespace {

constexpr std::size_t kMaxQuoted = 1000;  // longer strings go as literals

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

void append_nstring(std::string& out, const std::optional<std::string>& s) { out += s ? imap_string(*s) : "NIL"; }

void append_addresses(std::string& out, const std::vector<EnvelopeAddress>& list) {
    if (list.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    for (const auto& a : list) {
        out += '(';
        append_nstring(out, a.name);
        out += ' ';
        append_nstring(out, a.adl);
        out += ' ';
        append_nstring(out, a.mailbox);
        out += ' ';
        append_nstring(out, a.host);
        out += ')';
    }
    out += ')';
}

void append_params(std::string& out, const std::vector<Param>& params) {
    if (params.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (i) out += ' ';
        out += imap_string(params[i].name) + ' ' + imap_string(params[i].value);
    }
    out += ')';
}

// body-fld-dsp SP body-fld-lang SP body-fld-loc, after a space.
void append_disposition_language_location(std::string& out, const Part& p) {
    out += ' ';
    if (p.disposition) {
        out += '(' + imap_string(*p.disposition) + ' ';
        append_params(out, p.disposition_params);
        out += ')';
    } else {
        out += "NIL";
    }
    out += ' ';
    if (p.languages.empty()) {
        out += "NIL";
    } else {
        out += '(';
        for (std::size_t i = 0; i < p.languages.size(); ++i) out += (i ? " " : "") + imap_string(p.languages[i]);
        out += ')';
    }
    out += ' ';
    append_nstring(out, p.location);
}

void append_body(std::string& out, std::string_view message, const Part& p, bool extended);

void append_multipart(std::string& out, std::string_view message, const Part& p, bool extended) {
    for (const auto& child : p.children) append_body(out, message, child, extended);
    out += ' ' + imap_string(p.subtype);
    if (!extended) return;
    out += ' ';
    append_params(out, p.params);
    append_disposition_language_location(out, p);
}

void append_single(std::string& out, std::string_view message, const Part& p, bool extended) {
    out += imap_string(p.type) + ' ' + imap_string(p.subtype) + ' ';
    append_params(out, p.params);
    out += ' ';
    append_nstring(out, p.id);
    out += ' ';
    append_nstring(out, p.description);
    out += ' ' + imap_string(p.encoding.value_or("7bit")) + ' ' + std::to_string(p.body_size());
    if (p.kind == PartKind::Message) {
        const Part& inner = p.children.front();
        out += ' ' + envelope(message.substr(inner.header_start, inner.header_size())) + ' ';
        append_body(out, message, inner, extended);
        out += ' ' + std::to_string(p.lines);
    } else if (iequals(p.type, "text")) {
        out += ' ' + std::to_string(p.lines);
    }
    if (!extended) return;
    out += ' ';
    append_nstring(out, p.md5);
    append_disposition_language_location(out, p);
}

void append_body(std::string& out, std::string_view message, const Part& p, bool extended) {
    out += '(';
    if (p.kind == PartKind::Multipart) append_multipart(out, message, p, extended);
    else append_single(out, message, p, extended);
    out += ')';
}

// HEADER.FIELDS (.NOT): the matching fields with their continuation lines, then a blank line.
std::string header_fields(std::string_view header, const SectionSpec& spec) {
    bool keep_listed = spec.text == SectionText::HeaderFields;
    std::string out;
    bool keep = false;
    for (std::size_t p = 0; p < header.size();) {
        auto lf = header.find('\n', p);
        std::size_t next = lf == std::string_view::npos ? header.size() : lf + 1;
        std::string_view line = header.substr(p, next - p);
        p = next;
        if (line == "\r\n" || line == "\n") break;
        if (!is_wsp(line.front())) {
            auto colon = line.find(':');
            std::string_view name = line.substr(0, colon == std::string_view::npos ? 0 : colon);
            while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
            bool listed = std::any_of(spec.fields.begin(), spec.fields.end(), [&](const std::string& f) { return iequals(f, name); });
            keep = !name.empty() && listed == keep_listed;
        }
        if (!keep) continue;
        out += line;
        if (line.back() != '\n') out += "\r\n";
    }
    return out + "\r\n";
}

std::string message_text(std::string_view header, std::string_view body, const SectionSpec& spec) {
    switch (spec.text) {
        case SectionText::Header: return std::string(header);
        case SectionText::Text: return std::string(body);
        case SectionText::HeaderFields:
        case SectionText::HeaderFieldsNot: return header_fields(header, spec);
        case SectionText::None:
        case SectionText::Mime: break;
    }
    return {};
}

std::string_view header_of(std::string_view message, const Part& p) { return message.substr(p.header_start, p.header_size()); }
std::string_view body_of(std::string_view message, const Part& p) { return message.substr(p.body_start, p.body_size()); }

enum class Cte { Identity, Base64, QuotedPrintable, Unknown };

Cte cte_of(const Part& p) {
    if (!p.encoding) return Cte::Identity;
    std::string e = ascii_lower(*p.encoding);
    if (e == "7bit" || e == "8bit" || e == "binary") return Cte::Identity;
    if (e == "base64") return Cte::Base64;
    if (e == "quoted-printable") return Cte::QuotedPrintable;
    return Cte::Unknown;
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

void append_qp_line(std::string& out, std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        int hi = line[i] == '=' && i + 2 < line.size() ? hex_value(line[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(line[i + 2]) : -1;
        if (lo < 0) {
            out += line[i];
            continue;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
}

}  // namespace

std::string imap_string(std::string_view s) {
    std::string clean;
    clean.reserve(s.size());
    for (char c : s) clean += c == '\0' ? std::string_view("\xEF\xBF\xBD") : std::string_view(&c, 1);
    bool literal = clean.size() > kMaxQuoted || std::any_of(clean.begin(), clean.end(), [](char c) {
                       return c == '\r' || c == '\n' || static_cast<unsigned char>(c) >= 0x80;
                   });
    if (literal) return "{" + std::to_string(clean.size()) + "}\r\n" + clean;
    std::string out = "\"";
    for (char c : clean) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

std::string envelope(std::string_view header) {
    Envelope e = parse_envelope(header);
    std::string out = "(";
    append_nstring(out, e.date);
    out += ' ';
    append_nstring(out, e.subject);
    for (const auto* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) {
        out += ' ';
        append_addresses(out, *list);
    }
    out += ' ';
    append_nstring(out, e.in_reply_to);
    out += ' ';
    append_nstring(out, e.message_id);
    return out + ')';
}

std::string body_structure(std::string_view message, const Part& part, bool extended) {
    std::string out;
    append_body(out, message, part, extended);
    return out;
}

std::string message_section(std::string_view message, const SectionSpec& spec) {
    if (spec.text == SectionText::None) return std::string(message);
    std::size_t h = header_length(message);
    return message_text(message.substr(0, h), message.substr(h), spec);
}

std::string part_section(std::string_view message, const Part& root, const SectionSpec& spec) {
    if (spec.part.empty()) return message_section(message, spec);
    const Part* p = find_part(root, spec.part);
    if (!p) return {};
    if (spec.text == SectionText::None) return std::string(body_of(message, *p));
    if (spec.text == SectionText::Mime) return std::string(header_of(message, *p));
    if (p->kind != PartKind::Message) return {};
    const Part& inner = p->children.front();
    return message_text(header_of(message, inner), body_of(message, inner), spec);
}

bool binary_decodable(const Part& root, const std::vector<uint32_t>& path) {
    if (path.empty()) return true;
    const Part* p = find_part(root, path);
    return !p || cte_of(*p) != Cte::Unknown;
}

std::optional<std::string> binary_content(std::string_view message, const Part& root, const std::vector<uint32_t>& path) {
    if (path.empty()) return std::string(message);
    const Part* p = find_part(root, path);
    if (!p) return std::string();
    std::string_view body = body_of(message, *p);
    switch (cte_of(*p)) {
        case Cte::Identity: return std::string(body);
        case Cte::Base64: return decode_base64(body);
        case Cte::QuotedPrintable: return decode_quoted_printable(body);
        case Cte::Unknown: break;
    }
    return std::nullopt;
}

std::string decode_base64(std::string_view encoded) {
    std::string out;
    out.reserve(encoded.size() / 4 * 3);
    uint32_t bits = 0;
    int count = 0;
    for (char c : encoded) {
        if (c == '=') break;
        int v = base64_value(c);
        if (v < 0) continue;
        bits = ((bits << 6) | static_cast<uint32_t>(v)) & 0xFFFFFF;
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xFF);
        }
    }
    return out;
}

std::string decode_quoted_printable(std::string_view encoded) {
    std::string out;
    out.reserve(encoded.size());
    for (std::size_t p = 0; p < encoded.size();) {
        auto lf = encoded.find('\n', p);
        bool hard = lf != std::string_view::npos;
        std::string_view line = encoded.substr(p, hard ? lf - p : std::string_view::npos);
        p = hard ? lf + 1 : encoded.size();
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        while (!line.empty() && is_wsp(line.back())) line.remove_suffix(1);
        bool soft = !line.empty() && line.back() == '=';
        if (soft) line.remove_suffix(1);
        append_qp_line(out, line);
        if (hard && !soft) out += "\r\n";
    }
    return out;
}

}  // namespace mss::mime
