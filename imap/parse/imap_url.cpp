// IMAP URL reader (RFC 5092, RFC 5550 ";PARTIAL=") for CATENATE: one URL in, its parts decoded out,
// or nothing. Trusts nothing about the URL; the section goes through the FETCH grammar.
#include "imap/parse/imap_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "imap/parse/command.h"
#include "imap/parse/mutf7.h"

namespace mss::imap {
namespace {

bool istarts_with(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 3986 2.1 percent-decoding; nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (text.size() - i < 3) return std::nullopt;
        int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

template <class N>
std::optional<N> decimal(std::string_view text) {
    N value{};
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<uint32_t> nz_number(std::string_view text) {
    auto n = decimal<uint32_t>(text);
    if (!n || *n == 0) return std::nullopt;
    return n;
}

// enc-mailbox: percent-encoded UTF-8 (RFC 5092 3.2), "/" the hierarchy separator.
std::optional<std::string> mailbox_name(std::string_view encoded) {
    auto name = percent_decode(encoded);
    if (!name || name->empty() || !is_valid_utf8(*name)) return std::nullopt;
    if (std::any_of(name->begin(), name->end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }))
        return std::nullopt;
    if (istarts_with(*name, "INBOX") && (name->size() == 5 || (*name)[5] == '/')) name->replace(0, 5, "INBOX");
    return name;
}

// enc-section through the FETCH grammar: "BODY.PEEK[" section "]" must read as one attribute.
std::optional<Section> section_of(std::string_view encoded) {
    auto text = percent_decode(encoded);
    if (!text || text->empty()) return std::nullopt;
    if (std::any_of(text->begin(), text->end(), [](char c) { return c == ']' || c == '[' || static_cast<unsigned char>(c) < 0x20; }))
        return std::nullopt;
    auto parsed = parse_command("u FETCH 1 BODY.PEEK[" + *text + "]");
    const auto* command = std::get_if<Command>(&parsed);
    if (!command) return std::nullopt;
    const auto& attributes = std::get<FetchArgs>(command->args).attributes;
    if (attributes.size() != 1 || attributes[0].item != FetchItem::BodySection) return std::nullopt;
    return attributes[0].section;
}

// partial-range = number ["." nz-number] (RFC 5092 9)
std::optional<Partial> partial_of(std::string_view text) {
    std::size_t dot = text.find('.');
    auto offset = decimal<uint32_t>(text.substr(0, dot));
    if (!offset) return std::nullopt;
    Partial p{*offset, 0};
    if (dot != std::string_view::npos) {
        auto length = nz_number(text.substr(dot + 1));
        if (!length) return std::nullopt;
        p.length = *length;
    }
    return p;
}

// iserver = [iuserinfo "@"] host [":" port], iuserinfo = [enc-user] [";AUTH=" ...]
bool read_server(std::string_view server, ImapUrl& url) {
    std::size_t at = server.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = server.substr(0, at);
        std::size_t auth = userinfo.find(';');
        if (auth != std::string_view::npos && !istarts_with(userinfo.substr(auth), ";AUTH=")) return false;
        auto user = percent_decode(userinfo.substr(0, auth));
        if (!user) return false;
        url.user = std::move(*user);
        server.remove_prefix(at + 1);
    }
    std::size_t colon = server.rfind(':');
    if (colon != std::string_view::npos && server.find(']', colon) == std::string_view::npos) {
        auto port = decimal<uint16_t>(server.substr(colon + 1));
        if (!port) return false;
        url.port = *port;
        server = server.substr(0, colon);
    }
    if (server.empty()) return false;
    for (char c : server) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':'))
            return false;
        url.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return true;
}

// The ";NAME=value" parameters after the mailbox: [";UIDVALIDITY=n"] "/;UID=m" ["/;SECTION=s"]
// ["/;PARTIAL=o.l"] [";EXPIRE=..."] [";URLAUTH=..."]. relative: the text is ";UID=..." of the form
// relative to the selected mailbox, without the slash.
bool read_parameters(std::string_view text, ImapUrl& url, bool relative) {
    enum Step { Start, UidValidity, Uid, SectionStep, PartialStep };
    Step last = Start;
    while (!text.empty()) {
        bool slash = text.front() == '/';
        if (slash) text.remove_prefix(1);
        if (text.empty() || text.front() != ';') return false;
        std::size_t equals = text.find('=');
        if (equals == std::string_view::npos) return false;
        std::string_view name = text.substr(1, equals - 1);
        text.remove_prefix(equals + 1);
        if (istarts_with(name, "EXPIRE") || istarts_with(name, "URLAUTH")) {
            url.urlauth = true;  // the rest is URLAUTH's (RFC 4467 7); nothing of it is used
            return last >= Uid;
        }
        std::string_view value = text.substr(0, text.find(';'));
        if (value.size() < text.size() && !value.empty() && value.back() == '/') value.remove_suffix(1);
        text.remove_prefix(value.size());
        if (istarts_with(name, "UIDVALIDITY") && name.size() == 11 && last == Start && !slash) {
            auto v = nz_number(value);
            if (!v) return false;
            url.uidvalidity = *v;
            last = UidValidity;
        } else if (istarts_with(name, "UID") && name.size() == 3 && last <= UidValidity && slash != relative) {
            auto uid = nz_number(value);
            if (!uid) return false;
            url.uid = *uid;
            last = Uid;
        } else if (istarts_with(name, "SECTION") && name.size() == 7 && last == Uid && slash) {
            auto section = section_of(value);
            if (!section) return false;
            url.section = std::move(*section);
            last = SectionStep;
        } else if (istarts_with(name, "PARTIAL") && name.size() == 7 && (last == Uid || last == SectionStep) && slash) {
            auto partial = partial_of(value);
            if (!partial) return false;
            url.partial = *partial;
            last = PartialStep;
        } else {
            return false;
        }
    }
    return last >= Uid;
}

}  // namespace

std::optional<ImapUrl> parse_imap_url(std::string_view text) {
    if (text.empty() || text.size() > kMaxImapUrl) return std::nullopt;
    ImapUrl url;
    if (istarts_with(text, "imap://")) {
        text.remove_prefix(7);
        std::size_t slash = text.find('/');
        if (slash == std::string_view::npos || !read_server(text.substr(0, slash), url)) return std::nullopt;
        url.absolute = true;
        text.remove_prefix(slash);
    }
    if (text.front() == '/') {
        text.remove_prefix(1);
        std::size_t semicolon = text.find(';');
        if (semicolon == std::string_view::npos) return std::nullopt;
        std::string_view encoded = text.substr(0, semicolon);
        bool slashed = !encoded.empty() && encoded.back() == '/';
        if (slashed) encoded.remove_suffix(1);
        auto mailbox = mailbox_name(encoded);
        if (!mailbox) return std::nullopt;
        url.mailbox = std::move(*mailbox);
        text.remove_prefix(slashed ? semicolon - 1 : semicolon);
    } else if (url.absolute || !istarts_with(text, ";UID=")) {
        return std::nullopt;
    }
    if (!read_parameters(text, url, !url.mailbox)) return std::nullopt;
    return url;
}

std::string badurl_text(std::string_view url) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : url.substr(0, kMaxImapUrl)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F || c == '\\' || c == ']') {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace mss::imap
