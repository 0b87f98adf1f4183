// Field decoding, first addresses and dates through libetpan's RFC 5322 parsers (given only fields
// whose comment nesting is bounded); text parts found by our own bounded MIME walk and decoded with
// libetpan's transfer decoders and charset converter. Every libetpan allocation is released here.
#include "mime/text.h"

#include "mime/bodystructure.h"

#include <libetpan/libetpan.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "core/text.h"

namespace mss::mime {
namespace {

std::string collapse_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
        if (!space) out += c;
        else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

std::string to_utf8(std::string_view bytes, const char* charset) {
    char* converted = nullptr;
    size_t length = 0;
    if (charconv_buffer("utf-8", charset, bytes.data(), bytes.size(), &converted, &length) != MAIL_CHARCONV_NO_ERROR)
        return std::string(bytes);
    std::string out(converted, length);
    charconv_buffer_free(converted);
    return out;
}

Address address_of(const struct mailimf_mailbox* mailbox) {
    Address out;
    if (mailbox->mb_display_name) out.display_name = decode_field(mailbox->mb_display_name);
    std::string_view spec = mailbox->mb_addr_spec ? mailbox->mb_addr_spec : "";
    auto at = spec.rfind('@');
    out.mailbox = std::string(spec.substr(0, at));
    if (at != std::string_view::npos) out.host = std::string(spec.substr(at + 1));
    return out;
}

Address address_of(const struct mailimf_address* address) {
    if (address->ad_type == MAILIMF_ADDRESS_MAILBOX) return address_of(address->ad_data.ad_mailbox);
    return Address{{}, decode_field(address->ad_data.ad_group->grp_display_name), {}};
}

// RFC 5322 4.3: a two-digit year is 2000 + y below 50, 1900 + y otherwise; three digits, 1900 + y.
int full_year(int year) {
    if (year < 50) return year + 2000;
    if (year < 1000) return year + 1900;
    return year;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// RFC 5322 writes the zone as +hhmm in four digits (libetpan gives it as the integer hhmm, any length).
std::optional<int64_t> zone_offset_seconds(int zone) {
    if (zone < -9959 || zone > 9959) return std::nullopt;
    int hhmm = std::abs(zone);
    if (hhmm % 100 > 59) return std::nullopt;
    int64_t magnitude = (hhmm / 100 * 60 + hhmm % 100) * 60;
    return zone < 0 ? -magnitude : magnitude;
}

// Four-digit years: IMAP's date-year and every real message; larger ones are not dates of this world.
constexpr int kMaxYear = 9999;

// Days from 1970-01-01 to the given proleptic Gregorian date.
int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// libetpan's RFC 5322 parsers recurse once per nested comment: deeper fields are not given to them.
constexpr int kMaxCommentNesting = 32;

bool comments_within_bounds(std::string_view raw) {
    int depth = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\') ++i;
        else if (raw[i] == '(' && ++depth > kMaxCommentNesting) return false;
        else if (raw[i] == ')' && depth > 0) --depth;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// An entity's header and body: the header ends at the first empty line (none: all header).
std::pair<std::string_view, std::string_view> split_entity(std::string_view entity) {
    for (std::size_t p = 0; p < entity.size();) {
        std::size_t lf = entity.find('\n', p);
        if (lf == std::string_view::npos) break;
        std::string_view line = entity.substr(p, lf - p);
        if (line.empty() || line == "\r") return {entity.substr(0, p), entity.substr(lf + 1)};
        p = lf + 1;
    }
    return {entity, {}};
}

// Content-Type (RFC 2045 5.1) as far as text extraction needs it; names and type lower-cased.
struct PartType {
    std::string type = "text";
    std::string subtype = "plain";
    std::string charset = "us-ascii";
    std::string boundary;
};

// name=value parameters after the type; quoted values unquoted.
void read_parameters(std::string_view rest, PartType& out) {
    while (!rest.empty()) {
        auto semicolon = rest.find(';');
        if (semicolon == std::string_view::npos) return;
        rest.remove_prefix(semicolon + 1);
        auto equals = rest.find('=');
        if (equals == std::string_view::npos) return;
        std::string name = ascii_lower(trim(rest.substr(0, equals)));
        rest = trim(rest.substr(equals + 1));
        std::string value;
        if (!rest.empty() && rest.front() == '"') {
            std::size_t i = 1;
            for (; i < rest.size() && rest[i] != '"'; ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
                value += rest[i];
            }
            rest.remove_prefix(std::min(rest.size(), i + 1));
        } else {
            std::size_t end = rest.find_first_of("; \t(");
            value = std::string(rest.substr(0, end));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
        }
        if (name == "charset") out.charset = ascii_lower(value);
        else if (name == "boundary") out.boundary = value;
    }
}

PartType content_type(std::string_view value, PartType fallback) {
    std::string_view media = trim(value.substr(0, value.find(';')));
    auto slash = media.find('/');
    if (slash == std::string_view::npos) return fallback;  // RFC 2045 5.2: unreadable, the default
    PartType out;
    out.type = ascii_lower(trim(media.substr(0, slash)));
    out.subtype = ascii_lower(trim(media.substr(slash + 1)));
    read_parameters(value, out);
    return out;
}

// Content-Transfer-Encoding removed with the decoders BINARY uses (libetpan's quoted-printable
// decoder reads past the end of a body ending in a cut escape such as "=E": not used).
std::string transfer_decoded(std::string_view body, std::string_view transfer_encoding) {
    std::string name = ascii_lower(trim(transfer_encoding));
    if (name == "base64") return decode_base64(body);
    if (name == "quoted-printable") return decode_quoted_printable(body);
    return std::string(body);
}

// The parts of a multipart body between its boundary delimiter lines (RFC 2046 5.1.1); the
// preamble and epilogue are left out; a last part without a close delimiter runs to the end.
std::vector<std::string_view> body_parts(std::string_view body, std::string_view boundary) {
    std::vector<std::string_view> parts;
    std::optional<std::size_t> open;
    for (std::size_t p = 0; p < body.size();) {
        std::size_t lf = body.find('\n', p);
        std::size_t next = lf == std::string_view::npos ? body.size() : lf + 1;
        std::string_view line = trim(body.substr(p, next - p - (lf == std::string_view::npos ? 0 : 1)));
        if (!line.empty() && line.back() == '\r') line = trim(line.substr(0, line.size() - 1));
        bool delimiter = line.size() >= boundary.size() + 2 && line.substr(0, 2) == "--" &&
                         line.substr(2, boundary.size()) == boundary;
        std::string_view after = delimiter ? line.substr(boundary.size() + 2) : std::string_view();
        if (delimiter && (after.empty() || after == "--")) {
            if (open) {  // the line break before a delimiter is part of it
                std::size_t end = p;
                if (end > *open && body[end - 1] == '\n') --end;
                if (end > *open && body[end - 1] == '\r') --end;
                parts.push_back(body.substr(*open, end - *open));
            }
            if (after == "--") return parts;
            open = next;
        }
        p = next;
    }
    if (open) parts.push_back(body.substr(*open));
    return parts;
}

// Collects the decoded text parts, depth first, with our own bounded walk: libetpan's
// mailmime_parse recurses once per nesting level before any limit could apply.
struct TextWalk {
    const MessageLimits& limits;
    std::string text;
    std::size_t parts = 0;

    bool entity(std::string_view bytes, int depth, const PartType& fallback) {
        if (depth > limits.max_depth) return false;
        auto [header, body] = split_entity(bytes);
        PartType type = fallback;
        std::string encoding;
        for (const HeaderField& f : header_fields(header)) {
            std::string name = ascii_lower(f.name);
            if (name == "content-type") type = content_type(f.value, fallback);
            else if (name == "content-transfer-encoding") encoding = f.value;
        }
        if (type.type == "multipart" && !type.boundary.empty()) return multipart(body, type, depth);
        if (type.type == "message" && (type.subtype == "rfc822" || type.subtype == "global"))
            return entity(body, depth + 1, PartType{});
        if (++parts > limits.max_parts) return false;
        if (type.type == "text") append(transfer_decoded(body, encoding), type.charset);
        return true;
    }

    bool multipart(std::string_view body, const PartType& type, int depth) {
        PartType inner;  // RFC 2046 5.1.5: in a digest, parts are messages by default
        if (type.subtype == "digest") inner.type = "message", inner.subtype = "rfc822";
        for (std::string_view part : body_parts(body, type.boundary))
            if (!entity(part, depth + 1, inner)) return false;
        return true;
    }

    void append(const std::string& bytes, const std::string& charset) {
        if (!text.empty()) text += "\r\n";
        if (charset == "utf-8" || charset == "us-ascii" || is_ascii(bytes)) text += bytes;
        else text += to_utf8(bytes, charset.c_str());
    }
};

}  // namespace

std::string decode_field(std::string_view raw) {
    // Plain ASCII without '=' or line breaks holds no encoded word: libetpan would give it back with
    // its spaces collapsed (a differential run over 200,000 such strings agreed), after setting up
    // iconv for every word. SEARCH decodes many such fields.
    if (is_ascii(raw) && raw.find_first_of("=\r\n") == std::string_view::npos) return collapse_spaces(raw);
    std::string input(raw);
    const char* default_charset = is_ascii(raw) || is_valid_utf8(raw) ? "utf-8" : "iso-8859-1";
    size_t index = 0;
    char* decoded = nullptr;
    if (mailmime_encoded_phrase_parse(default_charset, input.c_str(), input.size(), &index, "utf-8", &decoded) !=
            MAILIMF_NO_ERROR ||
        !decoded)
        return collapse_spaces(input);
    std::string out = collapse_spaces(decoded);
    std::free(decoded);
    return out;
}

std::optional<Address> first_address(std::string_view raw) {
    if (!comments_within_bounds(raw)) return std::nullopt;
    std::string input(raw);
    size_t index = 0;
    struct mailimf_address_list* list = nullptr;
    if (mailimf_address_list_parse(input.c_str(), input.size(), &index, &list) != MAILIMF_NO_ERROR || !list)
        return std::nullopt;
    std::optional<Address> out;
    if (clistiter* it = clist_begin(list->ad_list))
        out = address_of(static_cast<const struct mailimf_address*>(clist_content(it)));
    mailimf_address_list_free(list);
    return out;
}

namespace {

// RFC 5322 3.2.3 atext, and 8-bit octets (RFC 6532 addresses).
bool is_atext(unsigned char c) {
    return std::isalnum(c) || c >= 0x80 || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                                               std::string_view::npos;
}

// local@domain, both dot-atoms: what libetpan gives for anything else (two addresses run together,
// a quoted local part, a route, an unclosed angle) is not taken as an address.
bool is_plain_addr_spec(std::string_view spec) {
    auto at = spec.find('@');
    if (at == std::string_view::npos || spec.find('@', at + 1) != std::string_view::npos) return false;
    auto dot_atom = [](std::string_view s) {
        if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
        return std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || is_atext(static_cast<unsigned char>(c)); });
    };
    return dot_atom(spec.substr(0, at)) && dot_atom(spec.substr(at + 1));
}

}  // namespace

std::optional<std::vector<Address>> mailbox_list(std::string_view raw) {
    if (!comments_within_bounds(raw)) return std::nullopt;
    std::string input(raw);
    size_t index = 0;
    struct mailimf_mailbox_list* list = nullptr;
    if (mailimf_mailbox_list_parse(input.c_str(), input.size(), &index, &list) != MAILIMF_NO_ERROR || !list)
        return std::nullopt;
    std::vector<Address> out;
    bool plain = true;
    for (clistiter* it = clist_begin(list->mb_list); it; it = clist_next(it)) {
        auto* mailbox = static_cast<const struct mailimf_mailbox*>(clist_content(it));
        plain = plain && mailbox->mb_addr_spec && is_plain_addr_spec(mailbox->mb_addr_spec);
        if (plain) out.push_back(address_of(mailbox));
    }
    mailimf_mailbox_list_free(list);
    mailimf_cfws_parse(input.c_str(), input.size(), &index);  // a comment after the last mailbox
    if (!plain || out.empty() || input.find_first_not_of(" \t\r\n", index) != std::string::npos)
        return std::nullopt;
    return out;
}

std::optional<SentDate> parse_date(std::string_view raw) {
    if (!comments_within_bounds(raw)) return std::nullopt;
    std::string input(raw);
    size_t index = 0;
    struct mailimf_date_time* parsed = nullptr;
    if (mailimf_date_time_parse(input.c_str(), input.size(), &index, &parsed) != MAILIMF_NO_ERROR || !parsed)
        return std::nullopt;
    struct mailimf_date_time dt = *parsed;
    mailimf_date_time_free(parsed);
    SentDate out{full_year(dt.dt_year), dt.dt_month, dt.dt_day, 0};
    if (out.year > kMaxYear || out.month < 1 || out.month > 12 || out.day < 1 ||
        out.day > days_in_month(out.year, out.month) || dt.dt_hour < 0 || dt.dt_hour > 23 || dt.dt_min < 0 ||
        dt.dt_min > 59 || dt.dt_sec < 0 || dt.dt_sec > 60)
        return std::nullopt;
    auto zone_seconds = zone_offset_seconds(dt.dt_zone);
    if (!zone_seconds) return std::nullopt;
    out.utc = days_from_civil(out.year, out.month, out.day) * 86400 + dt.dt_hour * 3600 + dt.dt_min * 60 + dt.dt_sec -
              *zone_seconds;
    return out;
}

Result<std::string> body_text(std::string_view message, const MessageLimits& limits) {
    if (message.size() > limits.max_size) return fail(ErrorKind::Invalid, "message over the size limit");
    TextWalk walk{limits, {}, 0};
    if (!walk.entity(message, 0, PartType{}))
        return fail(ErrorKind::Invalid, "MIME structure over the depth or part limits");
    return std::move(walk.text);
}

}  // namespace mss::mime
