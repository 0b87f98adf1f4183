// libFuzzer target: the MIME part tree, ENVELOPE / BODY / BODYSTRUCTURE, BODY[section] and BINARY
// of mime/. Any input must give a tree within the limits whose offsets nest, and IMAP text that
// parses by RFC 3501's body and envelope grammar; anything else traps.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mime/bodystructure.h"
#include "mime/structure.h"

using namespace mss::mime;

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

// A reader of RFC 3501's body / envelope grammar over what we produced; traps on any deviation.
class Grammar {
public:
    explicit Grammar(std::string text) : s_(std::move(text)) {}

    void body(bool extended) {
        expect('(');
        if (peek() == '(') {
            while (peek() == '(') body(extended);
            expect(' ');
            string();
            if (extended) {
                expect(' ');
                params();
                disposition_language_location();
            }
        } else {
            single(extended);
        }
        expect(')');
    }

    void envelope() {
        expect('(');
        nstring();
        expect(' ');
        nstring();
        for (int i = 0; i < 6; ++i) {
            expect(' ');
            addresses();
        }
        expect(' ');
        nstring();
        expect(' ');
        nstring();
        expect(')');
    }

    void end() const { require(i_ == s_.size()); }

private:
    std::string s_;
    std::size_t i_ = 0;

    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void expect(char c) {
        require(peek() == c);
        ++i_;
    }
    bool accept_nil() {
        if (s_.substr(i_, 3) != "NIL") return false;
        i_ += 3;
        return true;
    }

    void number() {
        require(peek() >= '0' && peek() <= '9');
        while (peek() >= '0' && peek() <= '9') ++i_;
    }

    std::string string() {
        std::string out;
        if (peek() == '{') {
            ++i_;
            std::size_t n = 0;
            require(peek() >= '0' && peek() <= '9');
            while (peek() >= '0' && peek() <= '9') n = n * 10 + static_cast<std::size_t>(s_[i_++] - '0');
            expect('}');
            expect('\r');
            expect('\n');
            require(i_ + n <= s_.size());
            out = std::string(s_.substr(i_, n));
            require(out.find('\0') == std::string::npos);
            i_ += n;
            return out;
        }
        expect('"');
        while (peek() != '"') {
            char c = peek();
            require(c != '\0' && c != '\r' && c != '\n' && static_cast<unsigned char>(c) < 0x80);
            if (c == '\\') {
                ++i_;
                require(peek() == '"' || peek() == '\\');
            }
            out += s_[i_++];
        }
        expect('"');
        return out;
    }

    void nstring() {
        if (!accept_nil()) string();
    }

    void params() {
        if (accept_nil()) return;
        expect('(');
        string();
        expect(' ');
        string();
        while (peek() == ' ') {
            expect(' ');
            string();
            expect(' ');
            string();
        }
        expect(')');
    }

    void disposition_language_location() {
        expect(' ');
        if (!accept_nil()) {
            expect('(');
            string();
            expect(' ');
            params();
            expect(')');
        }
        expect(' ');
        if (peek() == '(') {
            ++i_;
            string();
            while (peek() == ' ') {
                ++i_;
                string();
            }
            expect(')');
        } else {
            nstring();
        }
        expect(' ');
        nstring();
    }

    static bool is(std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t k = 0; k < a.size(); ++k)
            if ((a[k] | 0x20) != (b[k] | 0x20)) return false;
        return true;
    }

    void single(bool extended) {
        std::string type = string();
        expect(' ');
        std::string subtype = string();
        expect(' ');
        params();
        for (int k = 0; k < 2; ++k) {
            expect(' ');
            nstring();
        }
        expect(' ');
        string();
        expect(' ');
        number();
        if (is(type, "message") && is(subtype, "rfc822")) {
            expect(' ');
            envelope();
            expect(' ');
            body(extended);
            expect(' ');
            number();
        } else if (is(type, "text")) {
            expect(' ');
            number();
        }
        if (!extended) return;
        expect(' ');
        nstring();
        disposition_language_location();
    }

    void addresses() {
        if (accept_nil()) return;
        expect('(');
        do {
            expect('(');
            for (int k = 0; k < 4; ++k) {
                if (k) expect(' ');
                nstring();
            }
            expect(')');
        } while (peek() == '(');
        expect(')');
    }
};

// Offsets nest and stay in the message; returns the parts counted, checks the depth.
std::size_t check_tree(const Part& p, std::size_t size, int depth, const StructureLimits& limits) {
    require(p.header_start <= p.body_start && p.body_start <= p.end && p.end <= size);
    require(depth <= limits.max_depth);
    require(p.kind != PartKind::Multipart || !p.children.empty());
    require(p.kind != PartKind::Message || p.children.size() == 1);
    require(p.kind != PartKind::Leaf || p.children.empty());
    std::size_t parts = 1;
    for (const auto& child : p.children) {
        require(child.header_start >= p.body_start && child.end <= p.end);
        parts += check_tree(child, size, depth + 1, limits);
    }
    return parts;
}

void check_grammar(std::string_view message, const Part& root) {
    for (bool extended : {false, true}) {
        Grammar g(body_structure(message, root, extended));
        g.body(extended);
        g.end();
    }
    Grammar e(envelope(message.substr(0, header_length(message))));
    e.envelope();
    e.end();
}

void check_sections(std::string_view message, const Part& root) {
    static const std::vector<std::vector<uint32_t>> kPaths = {{}, {1}, {2}, {1, 1}, {1, 2}, {2, 1}, {1, 1, 1}, {3, 2, 1}};
    for (const auto& path : kPaths) {
        for (auto text : {SectionText::None, SectionText::Header, SectionText::Text, SectionText::Mime, SectionText::HeaderFields}) {
            if (path.empty() && text == SectionText::Mime) continue;
            std::string bytes = part_section(message, root, SectionSpec{path, text, {"SUBJECT", "FROM"}});
            require(bytes.size() <= message.size() + 4);
        }
        auto decoded = binary_content(message, root, path);
        require(decoded.has_value() == binary_decodable(root, path));
        if (decoded) require(decoded->size() <= message.size() * 2 + 2);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    StructureLimits limits;
    limits.max_depth = 8;
    limits.max_parts = 200;
    Part root = parse_structure(message, limits);
    require(root.header_start == 0 && root.end == message.size());
    require(check_tree(root, message.size(), 0, limits) <= limits.max_parts);
    check_grammar(message, root);
    check_sections(message, root);
    return 0;
}
