// Our own bounded MIME scanner and field parsers, not libetpan's. Checked on Debian's libetpan 1.9.4:
// mailmime_parse recurses without a depth bound before we could apply ours, and its field parsers
// lose what IMAP clients need ("text" alone becomes text/unknown, "Dr Martin" becomes the address
// "DrMartin", source routes are mangled, a list stops at its first empty element). One pass here:
// lines are matched against the boundaries of every enclosing multipart, innermost first (RFC 2046
// 5.1.1), so each part's header, body and end are exact octet offsets. Trusts nothing in the bytes.
#include "mime/structure.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace mss::mime {
namespace {

constexpr auto npos = std::string_view::npos;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

std::optional<std::string> nonempty(std::string_view s) {
    if (s.empty()) return std::nullopt;
    return std::string(s);
}

// Calls f(name, value) for each field of a header block: value unfolded (line breaks removed, the
// white space kept) with its leading white space skipped. Lines without a colon are ignored.
template <class F>
void for_each_field(std::string_view header, F&& f) {
    std::string name, value;
    bool open = false;
    auto emit = [&] {
        f(std::string_view(name), std::string_view(value).substr(std::min(value.size(), value.find_first_not_of(" \t"))));
    };
    for (std::size_t p = 0; p < header.size();) {
        std::size_t lf = header.find('\n', p);
        std::string_view line = header.substr(p, lf == npos ? npos : lf - p);
        p = lf == npos ? header.size() : lf + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (is_wsp(line.front())) {
            if (open) value += line;
            continue;
        }
        if (open) emit();
        auto colon = line.find(':');
        open = colon != npos && colon != 0;
        if (!open) continue;
        std::string_view n = line.substr(0, colon);
        while (!n.empty() && is_wsp(n.back())) n.remove_suffix(1);
        name.assign(n);
        value.assign(line.substr(colon + 1));
    }
    if (open) emit();
}

// RFC 5322 / RFC 2045 lexical tokens. Comments and white space separate words; both are noted on the
// next token so a phrase can be rebuilt with single spaces.
enum class Tok { Word, Quoted, Comment, Literal, Special };

struct Token {
    Tok kind;
    std::string text;  // unquoted / unescaped; a Literal keeps its brackets; a Special is one octet
    bool space_before = false;
    bool broken = false;  // unterminated quoted string, comment or literal
};

constexpr std::string_view kAddressSpecials = "()<>[]:;@\\,.\"";
constexpr std::string_view kMimeSpecials = "()<>@,;:\\\"/[]?=";

bool control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
}

// Reads a quoted string or a comment starting at v[i] (the opening octet); returns the index after it.
std::size_t read_delimited(std::string_view v, std::size_t i, Token& t) {
    char open = v[i];
    char close = open == '"' ? '"' : open == '(' ? ')' : ']';
    int nesting = 1;
    if (open == '[') t.text += '[';
    for (++i; i < v.size(); ++i) {
        char c = v[i];
        if (c == '\\' && i + 1 < v.size()) {
            t.text += v[++i];
            continue;
        }
        if (c == '\r' || c == '\n') continue;
        if (open == '(' && c == '(') ++nesting;
        if (c == close && --nesting == 0) {
            if (open == '[') t.text += ']';
            return i + 1;
        }
        t.text += c;
    }
    t.broken = true;
    return i;
}

// A structured field is read up to its kMaxTokens-th token: this bounds the work and the answer
// for a field of any size (65,536 tokens are some 10,000 addresses).
constexpr std::size_t kMaxTokens = 65536;

std::vector<Token> tokenize(std::string_view v, std::string_view specials, bool domain_literals) {
    std::vector<Token> out;
    bool space = false;
    for (std::size_t i = 0; i < v.size() && out.size() < kMaxTokens;) {
        char c = v[i];
        if (is_wsp(c) || c == '\r' || c == '\n') {
            space = true;
            ++i;
            continue;
        }
        Token t{Tok::Special, {}, space};
        if (c == '"' || c == '(' || (c == '[' && domain_literals)) {
            t.kind = c == '"' ? Tok::Quoted : c == '(' ? Tok::Comment : Tok::Literal;
            i = read_delimited(v, i, t);
        } else if (specials.find(c) != npos || control(c)) {
            t.text = std::string(1, c);
            ++i;
        } else {
            t.kind = Tok::Word;
            std::size_t start = i;
            while (i < v.size() && !is_wsp(v[i]) && v[i] != '\r' && v[i] != '\n' && specials.find(v[i]) == npos &&
                   !control(v[i]))
                ++i;
            t.text = std::string(v.substr(start, i - start));
        }
        space = t.kind == Tok::Comment;
        out.push_back(std::move(t));
    }
    return out;
}

bool is_special(const std::vector<Token>& t, std::size_t i, char c) {
    return i < t.size() && t[i].kind == Tok::Special && t[i].text[0] == c;
}

std::vector<Token> without_comments(std::vector<Token> tokens) {
    std::erase_if(tokens, [](const Token& t) { return t.kind == Tok::Comment; });
    return tokens;
}

// RFC 2231 section 3: "name*0", "name*1*" ... are segments of one parameter. Joined segments come
// after the plain parameters; the name ends in "*" when a segment is charset/percent encoded.
struct Segment {
    std::string base;
    unsigned index = 0;
    bool extended = false;
};

std::optional<Segment> segment_of(std::string_view name) {
    Segment s;
    if (!name.empty() && name.back() == '*') {
        s.extended = true;
        name.remove_suffix(1);
    }
    auto star = name.rfind('*');
    if (star == npos || star == 0) return std::nullopt;
    std::string_view digits = name.substr(star + 1);
    if (digits.empty() || digits.size() > 6 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    s.base = std::string(name.substr(0, star));
    s.index = static_cast<unsigned>(std::stoul(std::string(digits)));
    return s;
}

std::string percent_encoded(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        bool plain = std::isalnum(u) || std::string_view("!#$&+-.^_`|~").find(c) != npos;
        if (plain) out += c;
        else out += {'%', kHex[u >> 4], kHex[u & 15]};
    }
    return out;
}

std::vector<Param> join_continuations(const std::vector<Param>& raw) {
    std::vector<Param> plain;
    std::vector<std::vector<std::pair<Segment, std::string>>> groups;
    for (const auto& p : raw) {
        auto seg = segment_of(p.name);
        if (!seg) {
            plain.push_back(p);
            continue;
        }
        auto group = std::find_if(groups.begin(), groups.end(), [&](auto& g) { return iequals(g.front().first.base, seg->base); });
        if (group == groups.end()) groups.emplace_back().emplace_back(std::move(*seg), p.value);
        else group->emplace_back(std::move(*seg), p.value);
    }
    for (auto& g : groups) {
        std::stable_sort(g.begin(), g.end(), [](auto& a, auto& b) { return a.first.index < b.first.index; });
        bool extended = std::any_of(g.begin(), g.end(), [](auto& s) { return s.first.extended; });
        Param joined{g.front().first.base + (extended ? "*" : ""), {}};
        for (auto& [seg, value] : g) joined.value += extended && !seg.extended ? percent_encoded(value) : value;
        plain.push_back(std::move(joined));
    }
    return plain;
}

// *(";" attribute "=" value) from tokens[i]; a malformed parameter is skipped up to the next ";".
// Past kMaxParams the rest are dropped, which bounds the joining of RFC 2231 segments.
constexpr std::size_t kMaxParams = 256;

std::vector<Param> parse_params(const std::vector<Token>& t, std::size_t i) {
    std::vector<Param> raw;
    while (i < t.size() && raw.size() < kMaxParams) {
        if (!is_special(t, i, ';')) {
            ++i;
            continue;
        }
        ++i;
        bool valid = i + 2 < t.size() && t[i].kind == Tok::Word && is_special(t, i + 1, '=') &&
                (t[i + 2].kind == Tok::Word || (t[i + 2].kind == Tok::Quoted && !t[i + 2].broken));
        if (!valid) continue;
        raw.push_back({t[i].text, t[i + 2].text});
        i += 3;
    }
    return join_continuations(raw);
}

struct Disposition {
    std::string type;
    std::vector<Param> params;
};

std::optional<Disposition> parse_disposition(std::string_view value) {
    auto t = without_comments(tokenize(value, kMimeSpecials, false));
    if (t.empty() || t[0].kind != Tok::Word) return std::nullopt;
    return Disposition{t[0].text, parse_params(t, 1)};
}

std::optional<std::string> first_token(std::string_view value) {
    auto t = without_comments(tokenize(value, kMimeSpecials, false));
    if (t.empty() || t[0].kind != Tok::Word) return std::nullopt;
    return t[0].text;
}

std::vector<std::string> parse_languages(std::string_view value) {
    std::vector<std::string> out;
    for (auto& t : without_comments(tokenize(value, kMimeSpecials, false)))
        if (t.kind == Tok::Word) out.push_back(std::move(t.text));
    return out;
}

bool has_param(const std::vector<Param>& params, std::string_view name) {
    return std::any_of(params.begin(), params.end(), [&](const Param& p) { return iequals(p.name, name); });
}

std::optional<std::string_view> param(const std::vector<Param>& params, std::string_view name) {
    for (const auto& p : params)
        if (iequals(p.name, name)) return p.value;
    return std::nullopt;
}

void set_type(Part& part, std::string type, std::string subtype, std::vector<Param> params) {
    part.type = std::move(type);
    part.subtype = std::move(subtype);
    part.params = std::move(params);
    if (iequals(part.type, "text") && !has_param(part.params, "charset")) part.params.push_back({"charset", "us-ascii"});
    part.kind = iequals(part.type, "multipart") ? PartKind::Multipart
                : iequals(part.type, "message") && iequals(part.subtype, "rfc822") ? PartKind::Message
                                                                                   : PartKind::Leaf;
}

void make_opaque(Part& part) { set_type(part, "application", "octet-stream", {}); }

void make_plain_text(Part& part) {
    set_type(part, "text", "plain", {});
    part.children.clear();
}

// The Content-* fields of a part's header; the first of each counts. Absent or invalid types take
// the RFC 2045 / RFC 2046 5.1.5 default of their context.
void apply_fields(Part& part, std::string_view header, bool in_digest) {
    bool typed = false;
    std::optional<ContentType> type;
    for_each_field(header, [&](std::string_view name, std::string_view value) {
        if (name.size() <= 8 || !iequals(name.substr(0, 8), "content-")) return;
        std::string field = ascii_lower(name.substr(8));
        std::string_view trimmed = trim(value);
        if (field == "type" && !typed) {
            typed = true;
            type = parse_content_type(value);
        } else if (field == "transfer-encoding" && !part.encoding) {
            part.encoding = first_token(value);
        } else if (field == "id" && !part.id) {
            part.id = nonempty(trimmed);
        } else if (field == "description" && !part.description) {
            part.description = nonempty(trimmed);
        } else if (field == "md5" && !part.md5) {
            part.md5 = nonempty(trimmed);
        } else if (field == "location" && !part.location) {
            part.location = nonempty(trimmed);
        } else if (field == "language" && part.languages.empty()) {
            part.languages = parse_languages(value);
        } else if (field == "disposition" && !part.disposition) {
            if (auto d = parse_disposition(value)) {
                part.disposition = std::move(d->type);
                part.disposition_params = std::move(d->params);
            }
        }
    });
    if (type) set_type(part, std::move(type->type), std::move(type->subtype), std::move(type->params));
    else if (in_digest) set_type(part, "message", "rfc822", {});
    else set_type(part, "text", "plain", {});
}

// Where a part's content stops: a delimiter line of an enclosing multipart, or the end.
struct Stop {
    std::size_t line = 0;  // offset of the delimiter line; the message size at the end
    int boundary = -1;     // index into the enclosing boundaries; -1 at the end of the message
    bool close = false;    // "--boundary--"
};

class Scanner {
public:
    Scanner(std::string_view message, const StructureLimits& limits) : m_(message), limits_(limits) {}

    Part run() {
        Part root;
        parse_entity(root, 0, 0, false);
        return root;
    }

private:
    std::string_view m_;
    StructureLimits limits_;
    std::vector<std::string_view> boundaries_;  // of the enclosing multiparts, outermost first
    std::size_t parts_ = 0;

    std::size_t next_line(std::size_t pos) const {
        auto lf = m_.find('\n', pos);
        return lf == npos ? m_.size() : lf + 1;
    }

    bool blank_line(std::size_t pos) const {
        return m_[pos] == '\n' || (m_[pos] == '\r' && pos + 1 < m_.size() && m_[pos + 1] == '\n');
    }

    // The delimiter a line is, innermost boundary first (prefix match, RFC 2046 5.1.1).
    std::optional<Stop> delimiter(std::size_t line) const {
        if (m_.compare(line, 2, "--") != 0) return std::nullopt;
        for (int b = static_cast<int>(boundaries_.size()) - 1; b >= 0; --b) {
            std::string_view boundary = boundaries_[static_cast<std::size_t>(b)];
            if (m_.compare(line + 2, boundary.size(), boundary) != 0) continue;
            return Stop{line, b, m_.compare(line + 2 + boundary.size(), 2, "--") == 0};
        }
        return std::nullopt;
    }

    Stop scan(std::size_t pos) const {
        if (boundaries_.empty()) return Stop{m_.size()};
        for (std::size_t p = pos; p < m_.size(); p = next_line(p))
            if (auto stop = delimiter(p)) return *stop;
        return Stop{m_.size()};
    }

    // The end of content stopped by s: the line break before a delimiter belongs to the delimiter.
    std::size_t before(const Stop& s, std::size_t floor) const {
        std::size_t e = s.line;
        if (s.boundary < 0) return e;
        if (e > floor && m_[e - 1] == '\n') --e;
        if (e > floor && m_[e - 1] == '\r') --e;
        return e;
    }

    void count_lines(Part& part) const {
        auto body = m_.substr(part.body_start, part.body_size());
        part.lines = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
    }

    // The header lines from start; a delimiter line cuts the header short (no blank line, no body).
    std::optional<Stop> read_header(Part& part, std::size_t start) {
        part.header_start = start;
        for (std::size_t p = start;; p = next_line(p)) {
            if (p >= m_.size()) {
                part.body_start = m_.size();
                return std::nullopt;
            }
            if (blank_line(p)) {
                part.body_start = next_line(p);
                return std::nullopt;
            }
            if (auto stop = delimiter(p)) {
                part.body_start = before(*stop, start);
                return stop;
            }
        }
    }

    Part empty_message(std::size_t at) {
        ++parts_;
        Part inner;
        inner.header_start = inner.body_start = inner.end = at;
        set_type(inner, "text", "plain", {});
        return inner;
    }

    Stop parse_entity(Part& part, std::size_t start, int depth, bool in_digest) {
        ++parts_;
        auto cut = read_header(part, start);
        apply_fields(part, m_.substr(start, part.body_start - start), in_digest);
        bool composite = part.kind != PartKind::Leaf;
        if (composite && (depth >= limits_.max_depth || parts_ >= limits_.max_parts)) make_opaque(part);
        if (cut) {
            part.end = part.body_start;
            if (part.kind == PartKind::Multipart) make_plain_text(part);
            if (part.kind == PartKind::Message) part.children.push_back(empty_message(part.body_start));
            return *cut;
        }
        Stop stop;
        if (part.kind == PartKind::Multipart) {
            stop = parse_multipart(part, depth);
        } else if (part.kind == PartKind::Message) {
            Part inner;
            stop = parse_entity(inner, part.body_start, depth + 1, false);
            part.end = inner.end;
            part.children.push_back(std::move(inner));
        } else {
            stop = scan(part.body_start);
            part.end = before(stop, part.body_start);
        }
        if (part.kind != PartKind::Multipart) count_lines(part);
        return stop;
    }

    // Body parts between the delimiters of the part's boundary; without a usable boundary, or when
    // none is found, the multipart is read as text/plain (RFC 2045 5.2 default).
    Stop parse_multipart(Part& part, int depth) {
        auto boundary = param(part.params, "boundary");
        if (!boundary || boundary->empty()) {
            make_plain_text(part);
            Stop stop = scan(part.body_start);
            part.end = before(stop, part.body_start);
            return stop;
        }
        bool digest = iequals(part.subtype, "digest");
        boundaries_.push_back(*boundary);
        int mine = static_cast<int>(boundaries_.size()) - 1;
        Stop stop = scan(part.body_start);
        while (stop.boundary == mine && !stop.close) {
            std::size_t child_start = next_line(stop.line);
            if (parts_ >= limits_.max_parts) {
                stop = scan(child_start);
                continue;
            }
            Part child;
            stop = parse_entity(child, child_start, depth + 1, digest);
            part.children.push_back(std::move(child));
        }
        boundaries_.pop_back();
        std::size_t floor = part.body_start;
        if (stop.boundary == mine) {  // the epilogue runs to the enclosing delimiter
            floor = stop.line + boundary->size() + 4;
            stop = scan(next_line(stop.line));
        }
        // A line break both ending a part's last line and opening the next delimiter stays in the part.
        part.end = before(stop, floor);
        if (part.children.empty()) make_plain_text(part);
        else part.end = std::max(part.end, part.children.back().end);
        return stop;
    }
};

// Address lists (RFC 5322 3.4, with the obsolete forms of 4.4) over RFC 5322 tokens.
class AddressReader {
public:
    explicit AddressReader(std::string_view value) : t_(tokenize(value, kAddressSpecials, true)) {}

    std::vector<EnvelopeAddress> run() {
        while (i_ < t_.size()) {
            if (special(',') || special(';')) {
                ++i_;
                continue;
            }
            address(false);
        }
        return std::move(out_);
    }

private:
    std::vector<Token> t_;
    std::size_t i_ = 0;
    std::vector<EnvelopeAddress> out_;
    std::optional<std::string> comment_;  // the last comment of the current address

    bool special(char c) const { return is_special(t_, i_, c); }
    bool at_end() const { return i_ >= t_.size(); }

    void skip_comments() {
        while (!at_end() && t_[i_].kind == Tok::Comment) comment_ = t_[i_++].text;
    }

    // Words, quoted strings and dots: the phrase with single spaces, and the same joined without
    // spaces (a local part, obsolete forms included).
    std::pair<std::string, std::string> phrase() {
        std::string spaced, joined;
        for (skip_comments(); !at_end(); skip_comments()) {
            const Token& t = t_[i_];
            if (t.kind != Tok::Word && t.kind != Tok::Quoted && !special('.')) break;
            if (t.space_before && !spaced.empty()) spaced += ' ';
            spaced += t.text;
            joined += t.text;
            ++i_;
        }
        return {spaced, joined};
    }

    std::string domain() {
        std::string out;
        for (skip_comments(); !at_end(); skip_comments()) {
            const Token& t = t_[i_];
            if (t.kind != Tok::Word && t.kind != Tok::Literal && !special('.')) break;
            out += t.text;
            ++i_;
        }
        return out;
    }

    // "@a.fr,@b.fr:" before an addr-spec inside angle brackets (RFC 5322 4.4 obs-route).
    std::optional<std::string> route() {
        if (!special('@')) return std::nullopt;
        std::string adl;
        while (special('@') || special(',')) {
            bool at = special('@');
            ++i_;
            if (at) adl += (adl.empty() ? "@" : ",@") + domain();
            skip_comments();
        }
        if (special(':')) ++i_;
        return adl;
    }

    void emit(std::optional<std::string> name, std::optional<std::string> adl, std::string mailbox, std::string host) {
        if (!name) name = comment_;
        out_.push_back({std::move(name), std::move(adl), mailbox.empty() ? "MISSING_MAILBOX" : std::move(mailbox),
                        host.empty() ? "MISSING_DOMAIN" : std::move(host)});
    }

    // Skips what cannot be read up to the end of this address.
    void skip_rest(bool in_group) {
        while (!at_end() && !special(',') && !(in_group && special(';'))) ++i_;
    }

    void angle_address(std::string display) {
        ++i_;  // "<"
        auto adl = route();
        std::string local = phrase().second;
        std::string host;
        if (special('@')) {
            ++i_;
            host = domain();
        }
        skip_comments();
        if (special('>')) ++i_;
        skip_comments();
        emit(display.empty() ? std::nullopt : std::optional<std::string>(display), adl, local, host);
    }

    void group(std::string name) {
        ++i_;  // ":"
        out_.push_back({std::nullopt, std::nullopt, std::move(name), std::nullopt});
        while (!at_end() && !special(';')) {
            if (special(',')) {
                ++i_;
                continue;
            }
            address(true);
        }
        if (special(';')) ++i_;
        out_.push_back({});
    }

    void address(bool in_group) {
        comment_.reset();
        auto [spaced, joined] = phrase();
        if (special('<')) {
            angle_address(spaced);
        } else if (special(':') && !in_group) {
            group(spaced);
            return;
        } else if (special('@')) {
            ++i_;
            std::string host = domain();
            emit(std::nullopt, std::nullopt, joined, host);
        } else if (!spaced.empty()) {
            emit(std::nullopt, std::nullopt, spaced, {});
        } else if (!at_end() && !special(',') && !(in_group && special(';'))) {
            ++i_;  // an octet no address starts with
        }
        skip_rest(in_group);
    }
};

}  // namespace

std::optional<ContentType> parse_content_type(std::string_view value) {
    auto t = without_comments(tokenize(value, kMimeSpecials, false));
    if (t.size() < 3 || t[0].kind != Tok::Word || !is_special(t, 1, '/') || t[2].kind != Tok::Word) return std::nullopt;
    return ContentType{t[0].text, t[2].text, parse_params(t, 3)};
}

std::vector<EnvelopeAddress> parse_addresses(std::string_view value) { return AddressReader(value).run(); }

Envelope parse_envelope(std::string_view header) {
    Envelope e;
    for_each_field(header, [&](std::string_view name, std::string_view value) {
        std::string field = ascii_lower(name);
        if (field == "date") e.date = std::string(value);
        else if (field == "subject") e.subject = std::string(value);
        else if (field == "in-reply-to") e.in_reply_to = std::string(value);
        else if (field == "message-id") e.message_id = std::string(value);
        else if (field == "from") e.from = parse_addresses(value);
        else if (field == "sender") e.sender = parse_addresses(value);
        else if (field == "reply-to") e.reply_to = parse_addresses(value);
        else if (field == "to") e.to = parse_addresses(value);
        else if (field == "cc") e.cc = parse_addresses(value);
        else if (field == "bcc") e.bcc = parse_addresses(value);
    });
    if (e.sender.empty()) e.sender = e.from;
    if (e.reply_to.empty()) e.reply_to = e.from;
    return e;
}

Part parse_structure(std::string_view message, const StructureLimits& limits) { return Scanner(message, limits).run(); }

const Part* find_part(const Part& root, const std::vector<uint32_t>& path) {
    const Part* part = &root;
    bool message = true;  // part is a message whose part numbers come next
    for (std::size_t i = 0; i < path.size(); ++i) {
        uint32_t n = path[i];
        if (part->kind == PartKind::Multipart) {
            if (n == 0 || n > part->children.size()) return nullptr;
            part = &part->children[n - 1];
        } else if (!(message && n == 1)) {
            return nullptr;
        }
        message = false;
        if (i + 1 < path.size() && part->kind == PartKind::Message) {
            part = &part->children.front();
            message = true;
        }
    }
    return part;
}

std::size_t header_length(std::string_view entity) {
    for (std::size_t p = 0; p < entity.size();) {
        if (entity[p] == '\n') return p + 1;
        if (entity.compare(p, 2, "\r\n") == 0) return p + 2;
        auto lf = entity.find('\n', p);
        if (lf == npos) break;
        p = lf + 1;
    }
    return entity.size();
}

}  // namespace mss::mime
