// The IMAP lexical layer (RFC 3501 9, RFC 9051 9): atoms, quoted strings, literals and literal8,
// numbers. Trusts nothing about its input; every read is bounds-checked and fails with BAD.
#include "imap/parse/lexer.h"

#include <algorithm>

namespace mss::imap::detail {

bool is_atom_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x1F || u >= 0x7F) return false;  // CTL, DEL and 8-bit
    switch (c) {
        case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']':
            return false;
        default:
            return true;
    }
}

bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }

bool is_tag_char(char c) { return is_astring_char(c) && c != '+'; }

static char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_upper(a[i]) != to_upper(b[i])) return false;
    return true;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = to_upper(c);
    return out;
}

void Cursor::fail(std::string text, Code code, Status status) const {
    Response r{tag, status, code, "", std::move(text)};
    if (code == Code::BadCharset) r.code_data = "(US-ASCII UTF-8)";
    if (code == Code::BadEvent) r.code_data = notify_events_supported();
    throw ParseFailure{std::move(r)};
}

bool Cursor::accept(char c) {
    if (at_end() || in_[pos_] != c) return false;
    ++pos_;
    return true;
}

void Cursor::expect(char c, std::string_view what) {
    if (!accept(c)) fail(at_end() ? "Missing " + std::string(what) : "Expected " + std::string(what));
}

void Cursor::sp() {
    if (at_end()) fail("Missing argument");
    if (in_[pos_] != ' ') fail("Expected a space");
    ++pos_;
}

bool Cursor::accept_sp() { return accept(' '); }

void Cursor::end() {
    if (!at_end()) fail("Unexpected characters after the command");
}

std::string_view Cursor::atom() {
    std::size_t start = pos_;
    while (pos_ < in_.size() && is_atom_char(in_[pos_])) ++pos_;
    if (pos_ == start) fail(at_end() ? "Missing argument" : "Invalid character where an atom was expected");
    return in_.substr(start, pos_ - start);
}

std::string_view Cursor::astring_atom() {
    std::size_t start = pos_;
    while (pos_ < in_.size() && is_astring_char(in_[pos_])) ++pos_;
    if (pos_ == start) fail(at_end() ? "Missing argument" : "Invalid character where a string was expected");
    return in_.substr(start, pos_ - start);
}

bool Cursor::at_word(std::string_view word) const {
    if (in_.size() - pos_ < word.size()) return false;
    if (!iequals(in_.substr(pos_, word.size()), word)) return false;
    return pos_ + word.size() == in_.size() || !is_atom_char(in_[pos_ + word.size()]);
}

bool Cursor::accept_word(std::string_view word) {
    if (!at_word(word)) return false;
    pos_ += word.size();
    return true;
}

bool Cursor::at_literal() const { return peek() == '{' || (peek() == '~' && peek(1) == '{'); }

std::string Cursor::astring(bool allow_nul) {
    if (peek() == '"') return quoted();
    if (at_literal()) return literal(false, allow_nul);
    return std::string(astring_atom());
}

std::string Cursor::string(bool allow_nul) {
    if (peek() == '"') return quoted();
    if (at_literal()) return literal(false, allow_nul);
    fail(at_end() ? "Missing argument" : "Expected a quoted string or a literal");
}

std::optional<std::string> Cursor::nstring() {
    if (accept_word("NIL")) return std::nullopt;
    return string();
}

std::string Cursor::quoted() {
    expect('"', "quoted string");
    std::string out;
    while (true) {
        if (at_end()) fail("Unterminated quoted string");
        char c = in_[pos_++];
        if (c == '"') break;
        if (c == '\\') {
            if (at_end()) fail("Unterminated quoted string");
            char d = in_[pos_++];
            if (d != '"' && d != '\\') fail("Invalid escape in quoted string");
            out += d;
        } else if (c == '\r' || c == '\n' || c == '\0') {
            fail("Invalid character in quoted string");
        } else {
            out += c;  // 8-bit is UTF-8 (RFC 9051 QUOTED-CHAR); each context checks what it needs
        }
    }
    return out;
}

std::string_view Cursor::digits() {
    std::size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    return in_.substr(start, pos_ - start);
}

static bool to_u64(std::string_view d, uint64_t limit, uint64_t& out) {
    uint64_t v = 0;
    for (char c : d) {
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (v > (limit - digit) / 10) return false;
        v = v * 10 + digit;
    }
    out = v;
    return true;
}

std::string Cursor::literal(bool allow8, bool allow_nul, bool* binary) {
    bool eight = accept('~');
    if (eight && !allow8) fail("literal8 is not allowed here");
    expect('{', "literal");
    std::string_view d = digits();
    uint64_t size = 0;
    if (d.empty()) fail("Invalid literal");
    if (!to_u64(d, UINT64_MAX, size)) fail("Literal too large", Code::TooBig);
    accept('+');
    expect('}', "\"}\" closing the literal's size");
    if (!(accept('\r') && accept('\n'))) fail("Expected CRLF after the literal's size");
    if (size > in_.size() - pos_) fail("Truncated literal");
    std::string_view data = in_.substr(pos_, static_cast<std::size_t>(size));
    pos_ += static_cast<std::size_t>(size);
    if (!eight && !allow_nul && data.find('\0') != std::string_view::npos) fail("NUL in a literal");
    if (binary) *binary = eight;
    return std::string(data);
}

uint32_t Cursor::number() {
    std::string_view d = digits();
    if (d.empty()) fail(at_end() ? "Missing number" : "Expected a number");
    uint64_t v = 0;
    if (!to_u64(d, 0xFFFFFFFFull, v)) fail("Number too large");
    return static_cast<uint32_t>(v);
}

uint32_t Cursor::nz_number() {
    uint32_t v = number();
    if (v == 0) fail("Expected a non-zero number");
    return v;
}

uint64_t Cursor::number64() {
    std::string_view d = digits();
    if (d.empty()) fail(at_end() ? "Missing number" : "Expected a number");
    uint64_t v = 0;
    if (!to_u64(d, 0x7FFFFFFFFFFFFFFFull, v)) fail("Number too large");
    return v;
}

}  // namespace mss::imap::detail
