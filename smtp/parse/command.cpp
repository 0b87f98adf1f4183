// ESMTP command parsing: verb, then its arguments by RFC 5321 4.1.1 / 4.1.2 and the extensions'
// grammars. Linear in the line; every refusal is the Reply documented in command.h.
#include "smtp/parse/command.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <vector>

namespace mss::smtp {
namespace {

const Reply kSyntax{501, "5.5.4", "Syntax error in parameters or arguments"};
const Reply kParam{555, "5.5.4", "Unrecognized or repeated parameter"};
const Reply kDsnRepeated{501, "5.5.4", "DSN parameter given twice (RFC 3461)"};
const Reply kDsnValue{501, "5.5.4", "Invalid DSN parameter value (RFC 3461)"};

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && upper(a) == upper(b); }

struct VerbName {
    const char* name;
    Verb verb;
};
constexpr std::array<VerbName, 14> kVerbs{{{"HELO", Verb::Helo}, {"EHLO", Verb::Ehlo}, {"MAIL", Verb::Mail},
                                           {"RCPT", Verb::Rcpt}, {"DATA", Verb::Data}, {"BDAT", Verb::Bdat},
                                           {"RSET", Verb::Rset}, {"NOOP", Verb::Noop}, {"QUIT", Verb::Quit},
                                           {"VRFY", Verb::Vrfy}, {"EXPN", Verb::Expn}, {"HELP", Verb::Help},
                                           {"STARTTLS", Verb::StartTls}, {"AUTH", Verb::Auth}}};

bool is_atext(unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr || c >= 0x80;
}

bool valid_domain(std::string_view d) {
    if (d.empty()) return false;
    if (d.front() == '[') {
        if (d.back() != ']' || d.size() < 3) return false;
        for (unsigned char c : d.substr(1, d.size() - 2))
            if (c <= 32 || c == '[' || c == ']' || c == '\\' || c >= 127) return false;
        return true;
    }
    for (std::size_t p = 0;;) {
        auto e = d.find('.', p);
        std::string_view label = d.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (unsigned char c : label)
            if (!(std::isalnum(c) || c == '-' || c >= 0x80)) return false;
        if (e == std::string_view::npos) return true;
        p = e + 1;
    }
}

bool valid_local(std::string_view l) {
    if (l.empty()) return false;
    if (l.front() == '"') {
        if (l.size() < 2 || l.back() != '"') return false;
        for (std::size_t i = 1; i + 1 < l.size(); ++i) {
            unsigned char c = l[i];
            if (c == '\\') {
                if (++i + 1 >= l.size()) return false;  // the escaped octet may not be the closing quote
                continue;
            }
            if (c < 32 || c == '"' || c == 127) return false;
        }
        return true;
    }
    if (l.front() == '.' || l.back() == '.' || l.find("..") != std::string_view::npos) return false;
    return std::all_of(l.begin(), l.end(), [](unsigned char c) { return c == '.' || is_atext(c); });
}

// "<...>" path; on error, the reply for MAIL (5.1.7) or RCPT (5.1.3).
std::variant<Path, Reply> parse_path(std::string_view text, bool reverse, const CommandLimits& lim) {
    Reply bad{501, reverse ? "5.1.7" : "5.1.3", reverse ? "Bad sender address syntax" : "Bad recipient address syntax"};
    if (text.size() < 2 || text.front() != '<' || text.back() != '>') return bad;
    std::string_view inner = text.substr(1, text.size() - 2);
    if (inner.size() + 2 > lim.max_path) return bad;
    Path p;
    if (inner.empty()) {
        if (!reverse) return bad;
        p.null = true;
        return p;
    }
    if (!is_valid_utf8(inner)) return bad;
    if (inner.front() == '@') {  // source route: drop up to ':'
        auto colon = inner.find(':');
        if (colon == std::string_view::npos) return bad;
        inner.remove_prefix(colon + 1);
    }
    if (!reverse && iequals(inner, "postmaster")) {
        p.local = std::string(inner);
        return p;
    }
    auto at = inner.rfind('@');
    if (at == std::string_view::npos) return bad;
    std::string_view local = inner.substr(0, at), domain = inner.substr(at + 1);
    if (local.size() > lim.max_local || domain.size() > lim.max_domain) return bad;
    if (!valid_local(local) || !valid_domain(domain)) return bad;
    p.local = std::string(local);
    p.domain = std::string(domain);
    p.non_ascii = std::any_of(inner.begin(), inner.end(), [](unsigned char c) { return c >= 0x80; });
    return p;
}

std::optional<uint64_t> decimal(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t p = 0; p < s.size();) {
        while (p < s.size() && s[p] == ' ') ++p;
        if (p >= s.size()) break;
        auto e = s.find(' ', p);
        if (e == std::string_view::npos) e = s.size();
        out.push_back(s.substr(p, e - p));
        p = e;
    }
    return out;
}

// RET=FULL|HDRS, ENVID=xtext (RFC 3461 4.3, 4.4): each at most once.
std::optional<Reply> dsn_mail_param(std::string_view key, std::optional<std::string_view> value, MailParams& m,
                                    unsigned& seen) {
    unsigned bit = key == "RET" ? 16 : 32;
    if (seen & bit) return kDsnRepeated;
    seen |= bit;
    if (!value) return kDsnValue;
    if (key == "RET") {
        std::string v = upper(*value);
        if (v == "FULL") m.ret = Ret::Full;
        else if (v == "HDRS") m.ret = Ret::Headers;
        else return kDsnValue;
        return std::nullopt;
    }
    if (value->empty() || value->size() > kMaxEnvid) return kDsnValue;
    m.envid = xtext_decode(*value);
    return m.envid ? std::nullopt : std::optional<Reply>(kDsnValue);
}

// NOTIFY=NEVER|SUCCESS,FAILURE,DELAY and ORCPT=addr-type;xtext (RFC 3461 4.1, 4.2): each at most once.
std::optional<Reply> rcpt_param(std::string_view word, RcptParams& r) {
    auto eq = word.find('=');
    std::string key = upper(word.substr(0, eq));
    if (key != "NOTIFY" && key != "ORCPT") return kParam;
    if (key == "NOTIFY" ? r.notify.has_value() : r.orcpt.has_value()) return kDsnRepeated;
    if (eq == std::string_view::npos) return kDsnValue;
    std::string_view value = word.substr(eq + 1);
    if (key == "NOTIFY") {
        r.notify = notify_of(value);
        return r.notify ? std::nullopt : std::optional<Reply>(kDsnValue);
    }
    auto semi = value.find(';');
    if (value.size() > kMaxOrcpt || semi == std::string_view::npos || semi == 0) return kDsnValue;
    std::string_view type = value.substr(0, semi);
    if (!std::all_of(type.begin(), type.end(), [](unsigned char c) { return c < 0x80 && is_atext(c); }))
        return kDsnValue;
    auto address = xtext_decode(value.substr(semi + 1));
    if (!address || address->empty()) return kDsnValue;
    r.orcpt = std::string(type) + ";" + *address;
    return std::nullopt;
}

std::optional<Reply> mail_param(std::string_view word, MailParams& m, unsigned& seen) {
    auto eq = word.find('=');
    std::string key = upper(word.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : word.substr(eq + 1);
    auto once = [&seen](unsigned bit) { return (seen & bit) ? false : (seen |= bit, true); };
    if (key == "SIZE" && eq != std::string_view::npos && once(1)) {
        m.size = decimal(value);
        if (!m.size) return kSyntax;
    } else if (key == "BODY" && eq != std::string_view::npos && once(2)) {
        std::string v = upper(value);
        if (v == "7BIT") m.body = Body::SevenBit;
        else if (v == "8BITMIME") m.body = Body::EightBitMime;
        else if (v == "BINARYMIME") m.body = Body::BinaryMime;
        else return kSyntax;
    } else if (key == "SMTPUTF8" && eq == std::string_view::npos && once(4)) {
        m.smtputf8 = true;
    } else if (key == "AUTH" && eq != std::string_view::npos && once(8)) {
        m.auth = value == "<>" ? std::optional<std::string>("<>") : xtext_decode(value);
        if (!m.auth) return kSyntax;
    } else if (key == "RET" || key == "ENVID") {
        return dsn_mail_param(key, eq == std::string_view::npos ? std::nullopt : std::optional(value), m, seen);
    } else {
        return kParam;
    }
    return std::nullopt;
}

// "FROM:" / "TO:" then the path and, for MAIL, parameters.
ParsedCommand parse_mail_rcpt(Command cmd, std::string_view args, const CommandLimits& lim) {
    bool reverse = cmd.verb == Verb::Mail;
    std::string_view prefix = reverse ? "FROM:" : "TO:";
    if (args.size() < prefix.size() || !iequals(args.substr(0, prefix.size()), prefix)) return kSyntax;
    args.remove_prefix(prefix.size());
    while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
    auto close = args.find('>');
    if (args.empty() || args.front() != '<' || close == std::string_view::npos) return kSyntax;
    auto path = parse_path(args.substr(0, close + 1), reverse, lim);
    if (auto* r = std::get_if<Reply>(&path)) return *r;
    cmd.path = std::get<Path>(std::move(path));
    std::string_view rest = args.substr(close + 1);
    if (!rest.empty() && rest.front() != ' ') return kSyntax;
    unsigned seen = 0;
    for (auto w : words(rest)) {
        auto refused = reverse ? mail_param(w, cmd.mail, seen) : rcpt_param(w, cmd.rcpt);
        if (refused) return *refused;
    }
    return cmd;
}

ParsedCommand parse_arguments(Command cmd, std::string_view args, const CommandLimits& lim) {
    switch (cmd.verb) {
        case Verb::Helo:
        case Verb::Ehlo:
            if (args.empty() || args.find(' ') != std::string_view::npos) return kSyntax;
            cmd.argument = std::string(args);
            return cmd;
        case Verb::Mail:
        case Verb::Rcpt: return parse_mail_rcpt(std::move(cmd), args, lim);
        case Verb::Data:
        case Verb::Rset:
        case Verb::Quit:
        case Verb::StartTls:
            if (!args.empty()) return kSyntax;
            return cmd;
        case Verb::Noop:
        case Verb::Help:
            cmd.argument = std::string(args);
            return cmd;
        case Verb::Vrfy:
        case Verb::Expn:
            if (args.empty()) return kSyntax;
            cmd.argument = std::string(args);
            return cmd;
        case Verb::Auth: {
            auto w = words(args);
            if (w.empty() || w.size() > 2) return kSyntax;
            cmd.argument = upper(w[0]);
            if (w.size() == 2) cmd.initial_response = std::string(w[1]);
            return cmd;
        }
        case Verb::Bdat: {
            auto w = words(args);
            if (w.empty() || w.size() > 2) return kSyntax;
            auto size = decimal(w[0]);
            if (!size) return kSyntax;
            cmd.chunk_size = *size;
            if (w.size() == 2) {
                if (!iequals(w[1], "LAST")) return kSyntax;
                cmd.last_chunk = true;
            }
            return cmd;
        }
    }
    return kSyntax;
}

// The value of an upper-case hex digit, -1 for anything else (RFC 3461 4: hexchar).
int upper_hex(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

}  // namespace

std::optional<std::string> xtext_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '+') {
            if (s[i] < 33 || s[i] > 126 || s[i] == '=') return std::nullopt;
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size() || upper_hex(s[i + 1]) < 0 || upper_hex(s[i + 2]) < 0) return std::nullopt;
        out += static_cast<char>(upper_hex(s[i + 1]) * 16 + upper_hex(s[i + 2]));
        i += 2;
    }
    return out;
}

std::string xtext_encode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 33 || c > 126 || c == '+' || c == '=') {
            constexpr char kHex[] = "0123456789ABCDEF";
            out += '+';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string notify_text(unsigned bits) {
    if (bits == 0) return "NEVER";
    std::string out;
    if (bits & kNotifySuccess) out += "SUCCESS,";
    if (bits & kNotifyFailure) out += "FAILURE,";
    if (bits & kNotifyDelay) out += "DELAY,";
    out.pop_back();
    return out;
}

std::optional<unsigned> notify_of(std::string_view text) {
    if (iequals(text, "NEVER")) return 0u;
    unsigned bits = 0;
    for (std::size_t p = 0; p <= text.size();) {
        auto comma = std::min(text.find(',', p), text.size());
        std::string word = upper(text.substr(p, comma - p));
        if (word == "SUCCESS") bits |= kNotifySuccess;
        else if (word == "FAILURE") bits |= kNotifyFailure;
        else if (word == "DELAY") bits |= kNotifyDelay;
        else return std::nullopt;  // NEVER among others, an empty item, an unknown word
        p = comma + 1;
    }
    return bits;
}

ParsedCommand parse_command(std::string_view line, const CommandLimits& limits) {
    bool auth = line.size() > 5 && upper(line.substr(0, 5)) == "AUTH ";
    if (line.size() > (auth ? std::max(limits.max_line, limits.max_auth_line) : limits.max_line))
        return Reply{500, "5.5.2", "Line too long"};
    if (line.size() < 2 || line.substr(line.size() - 2) != "\r\n")
        return Reply{500, "5.5.2", "Command must end with CRLF (RFC 5321 2.3.8)"};
    line.remove_suffix(2);
    for (unsigned char c : line)
        if (c == '\r' || c == '\n' || c == 0 || (c < 32 && c != '\t') || c == 127)
            return Reply{500, "5.5.2", "Invalid character in command"};
    auto space = line.find(' ');
    std::string verb = upper(line.substr(0, space));
    std::string_view args = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    while (!args.empty() && args.back() == ' ') args.remove_suffix(1);
    for (auto& v : kVerbs)
        if (verb == v.name) return parse_arguments(Command{v.verb, {}, {}, {}, {}, {}, 0, false}, args, limits);
    return Reply{500, "5.5.1", "Command unrecognized"};
}

}  // namespace mss::smtp
