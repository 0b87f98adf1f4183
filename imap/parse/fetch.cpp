// FETCH attribute parser (RFC 3501 fetch-att, section, partial; RFC 9051; RFC 3516 BINARY; RFC 7162
// MODSEQ) and the response names of the items. Trusts nothing about the command text.
#include <algorithm>
#include <cctype>

#include "imap/parse/fetch.h"
#include "imap/parse/lexer.h"

namespace mss::imap {

namespace {

bool header_name_char(char c) { return c > 0x20 && c < 0x7F && c != ':'; }

void append_parts(std::string& out, const std::vector<uint32_t>& part) {
    for (std::size_t i = 0; i < part.size(); ++i) {
        if (i) out += '.';
        out += std::to_string(part[i]);
    }
}

void append_field(std::string& out, const std::string& name) {
    if (std::all_of(name.begin(), name.end(), detail::is_astring_char)) {
        out += name;
        return;
    }
    out += '"';
    for (char c : name) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

}  // namespace

std::string response_name(const FetchAttribute& a) {
    std::string out;
    switch (a.item) {
        case FetchItem::Envelope: return "ENVELOPE";
        case FetchItem::Flags: return "FLAGS";
        case FetchItem::InternalDate: return "INTERNALDATE";
        case FetchItem::Rfc822: return "RFC822";
        case FetchItem::Rfc822Header: return "RFC822.HEADER";
        case FetchItem::Rfc822Size: return "RFC822.SIZE";
        case FetchItem::Rfc822Text: return "RFC822.TEXT";
        case FetchItem::Body: return "BODY";
        case FetchItem::BodyStructure: return "BODYSTRUCTURE";
        case FetchItem::Uid: return "UID";
        case FetchItem::ModSeq: return "MODSEQ";
        case FetchItem::SaveDate: return "SAVEDATE";
        case FetchItem::EmailId: return "EMAILID";
        case FetchItem::ThreadId: return "THREADID";
        case FetchItem::Preview: return "PREVIEW";
        case FetchItem::BinarySize:
            out = "BINARY.SIZE[";
            append_parts(out, a.section.part);
            return out + "]";
        case FetchItem::Binary:
            out = "BINARY[";
            append_parts(out, a.section.part);
            out += ']';
            break;
        case FetchItem::BodySection: {
            out = "BODY[";
            append_parts(out, a.section.part);
            if (a.section.text != SectionText::None && !a.section.part.empty()) out += '.';
            switch (a.section.text) {
                case SectionText::None: break;
                case SectionText::Header: out += "HEADER"; break;
                case SectionText::Text: out += "TEXT"; break;
                case SectionText::Mime: out += "MIME"; break;
                case SectionText::HeaderFields:
                case SectionText::HeaderFieldsNot:
                    out += a.section.text == SectionText::HeaderFields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (";
                    for (std::size_t i = 0; i < a.section.fields.size(); ++i) {
                        if (i) out += ' ';
                        append_field(out, a.section.fields[i]);
                    }
                    out += ')';
                    break;
            }
            out += ']';
            break;
        }
    }
    if (a.partial) out += "<" + std::to_string(a.partial->offset) + ">";
    return out;
}

namespace detail {

namespace {

std::vector<uint32_t> read_parts(Cursor& in) {
    std::vector<uint32_t> part;
    while (in.peek() >= '0' && in.peek() <= '9') {
        part.push_back(in.nz_number());
        if (!(in.peek() == '.' && in.peek(1) >= '0' && in.peek(1) <= '9')) break;
        in.advance(1);
    }
    return part;
}

// "[" [section-spec] "]" after BODY / BODY.PEEK
Section read_section(Cursor& in) {
    Section s;
    in.expect('[', "\"[\"");
    s.part = read_parts(in);
    bool has_text = s.part.empty() ? in.peek() != ']' : in.peek() == '.';
    if (!s.part.empty() && has_text) in.advance(1);
    if (has_text) {
        std::string word = upper(in.take_while([](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '.'; }));
        if (word == "HEADER") {
            s.text = SectionText::Header;
        } else if (word == "TEXT") {
            s.text = SectionText::Text;
        } else if (word == "MIME" && !s.part.empty()) {
            s.text = SectionText::Mime;
        } else if (word == "HEADER.FIELDS" || word == "HEADER.FIELDS.NOT") {
            s.text = word == "HEADER.FIELDS" ? SectionText::HeaderFields : SectionText::HeaderFieldsNot;
            in.sp();
            in.expect('(', "\"(\" before the header field names");
            while (true) {
                std::string name = upper(in.astring());
                if (name.empty() || !std::all_of(name.begin(), name.end(), header_name_char))
                    in.fail("Invalid header field name");
                s.fields.push_back(std::move(name));
                if (in.accept(')')) break;
                in.sp();
            }
        } else {
            in.fail("Invalid section");
        }
    }
    in.expect(']', "\"]\" closing the section");
    return s;
}

std::optional<Partial> read_partial(Cursor& in) {
    if (!in.accept('<')) return std::nullopt;
    Partial p;
    p.offset = in.number64();
    in.expect('.', "\".\" in the partial range");
    p.length = in.number64();
    if (p.length == 0) in.fail("Partial length must not be zero");
    in.expect('>', "\">\" closing the partial range");
    return p;
}

bool at_lazy(const Cursor& in, std::size_t ahead) {
    for (std::size_t i = 0; i < 4; ++i)
        if (std::toupper(static_cast<unsigned char>(in.peek(ahead + i))) != "LAZY"[i]) return false;
    char after = in.peek(ahead + 4);
    return after == ' ' || after == ')';
}

// [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY" (RFC 8970 7). A list that does
// not open with LAZY is the command's FETCH modifiers (CHANGEDSINCE...), not PREVIEW's.
void read_preview_modifiers(Cursor& in) {
    if (!(in.peek() == ' ' && in.peek(1) == '(' && at_lazy(in, 2))) return;
    in.sp();
    in.expect('(', "\"(\" before the PREVIEW modifiers");
    while (true) {
        if (!in.accept_word("LAZY")) in.fail("Unknown PREVIEW modifier");
        if (in.accept(')')) break;
        in.sp();
    }
}

FetchAttribute read_attribute(Cursor& in) {
    std::string name = upper(in.take_while([](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; }));
    if (name.empty()) in.fail(in.at_end() ? "Missing FETCH attribute" : "Invalid FETCH attribute");
    FetchAttribute a;
    if (name == "ENVELOPE") a.item = FetchItem::Envelope;
    else if (name == "FLAGS") a.item = FetchItem::Flags;
    else if (name == "INTERNALDATE") a.item = FetchItem::InternalDate;
    else if (name == "RFC822") a.item = FetchItem::Rfc822;
    else if (name == "RFC822.HEADER") a.item = FetchItem::Rfc822Header;
    else if (name == "RFC822.SIZE") a.item = FetchItem::Rfc822Size;
    else if (name == "RFC822.TEXT") a.item = FetchItem::Rfc822Text;
    else if (name == "BODYSTRUCTURE") a.item = FetchItem::BodyStructure;
    else if (name == "UID") a.item = FetchItem::Uid;
    else if (name == "MODSEQ") a.item = FetchItem::ModSeq;
    else if (name == "SAVEDATE") a.item = FetchItem::SaveDate;
    else if (name == "EMAILID") a.item = FetchItem::EmailId;
    else if (name == "THREADID") a.item = FetchItem::ThreadId;
    else if (name == "PREVIEW") {
        a.item = FetchItem::Preview;
        read_preview_modifiers(in);
    }
    else if (name == "BODY" && in.peek() != '[') a.item = FetchItem::Body;
    else if (name == "BODY" || name == "BODY.PEEK") {
        a.item = FetchItem::BodySection;
        a.peek = name == "BODY.PEEK";
        a.section = read_section(in);
        a.partial = read_partial(in);
    } else if (name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE") {
        a.item = name == "BINARY.SIZE" ? FetchItem::BinarySize : FetchItem::Binary;
        a.peek = name == "BINARY.PEEK";
        in.expect('[', "\"[\" after BINARY");
        a.section.part = read_parts(in);
        in.expect(']', "\"]\" closing the BINARY section");
        if (a.item == FetchItem::Binary) a.partial = read_partial(in);
    } else {
        in.fail("Unknown FETCH attribute");
    }
    char next = in.peek();
    if (!in.at_end() && next != ' ' && next != ')') in.fail("Invalid FETCH attribute");
    return a;
}

}  // namespace

std::vector<FetchAttribute> read_fetch_attributes(Cursor& in) {
    std::vector<FetchAttribute> out;
    auto simple = [&](std::initializer_list<FetchItem> items) {
        for (FetchItem i : items) out.push_back(FetchAttribute{i, false, {}, std::nullopt});
    };
    if (in.accept_word("ALL")) {
        simple({FetchItem::Flags, FetchItem::InternalDate, FetchItem::Rfc822Size, FetchItem::Envelope});
    } else if (in.accept_word("FAST")) {
        simple({FetchItem::Flags, FetchItem::InternalDate, FetchItem::Rfc822Size});
    } else if (in.accept_word("FULL")) {
        simple({FetchItem::Flags, FetchItem::InternalDate, FetchItem::Rfc822Size, FetchItem::Envelope, FetchItem::Body});
    } else if (in.accept('(')) {
        while (true) {
            out.push_back(read_attribute(in));
            if (in.accept(')')) break;
            in.sp();
        }
    } else {
        out.push_back(read_attribute(in));
    }
    return out;
}

}  // namespace detail

}  // namespace mss::imap
