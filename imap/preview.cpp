// PREVIEW text (RFC 8970 3.1): the first readable text part through mime/'s decoders, HTML markup
// dropped, white space folded, cut at 256 characters on a UTF-8 boundary. Trusts nothing about the
// message.
#include "imap/preview.h"

#include "core/text.h"
#include "mime/structure.h"
#include "mime/text.h"

namespace mss::imap {
namespace {

bool is_attachment(const mime::Part& p) { return p.disposition && ascii_lower(*p.disposition) == "attachment"; }

// The first leaf text/<subtype> part, depth first through multiparts (not into attached messages).
const mime::Part* first_text(const mime::Part& p, std::string_view subtype) {
    if (p.kind == mime::PartKind::Multipart) {
        for (const auto& child : p.children)
            if (const auto* found = first_text(child, subtype)) return found;
        return nullptr;
    }
    if (p.kind != mime::PartKind::Leaf || is_attachment(p)) return nullptr;
    return ascii_lower(p.type) == "text" && ascii_lower(p.subtype) == subtype ? &p : nullptr;
}

// HTML to text, roughly: tags dropped (and what style and script elements hold), the commonest
// character references replaced; a preview needs no more.
std::string html_text(std::string_view html) {
    std::string out;
    std::string lower = ascii_lower(html);
    for (std::size_t i = 0; i < html.size();) {
        if (html[i] == '<') {
            for (std::string_view skipped : {"<style", "<script"}) {
                if (lower.compare(i, skipped.size(), skipped) != 0) continue;
                std::string close = "</" + std::string(skipped.substr(1));
                std::size_t end = lower.find(close, i);
                i = end == std::string::npos ? html.size() : end;
                break;
            }
            std::size_t end = html.find('>', i);
            i = end == std::string_view::npos ? html.size() : end + 1;
            out += ' ';
            continue;
        }
        if (html[i] == '&') {
            bool replaced = false;
            for (auto [entity, text] : {std::pair{"&nbsp;", " "}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
                                        {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}}) {
                std::string_view e(entity);
                if (lower.compare(i, e.size(), e) == 0) {
                    out += text;
                    i += e.size();
                    replaced = true;
                    break;
                }
            }
            if (replaced) continue;
        }
        out += html[i++];
    }
    return out;
}

// White space runs (CR, LF, tab, space) made one space, none at either end; cut after `max`
// UTF-8 characters (continuation octets never counted, never split from their lead).
std::string folded(std::string_view text, std::size_t max) {
    std::string out;
    std::size_t characters = 0;
    bool space = false;
    for (char c : text) {
        bool white = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
        if (white) {
            space = !out.empty();
            continue;
        }
        bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
        if (!continuation) {
            if (characters + (space ? 2 : 1) > max) break;
            if (space) {
                out += ' ';
                ++characters;
                space = false;
            }
            ++characters;
        }
        out += c;
    }
    return out;
}

}  // namespace

std::string message_preview(std::string_view message) {
    mime::Part root = mime::parse_structure(message);
    const mime::Part* part = first_text(root, "plain");
    bool html = !part;
    if (html) part = first_text(root, "html");
    if (!part) return {};
    auto text = mime::body_text(message.substr(part->header_start, part->end - part->header_start));
    if (!text) return {};
    std::string preview = folded(html ? html_text(*text) : *text, kMaxPreviewCharacters);
    if (is_valid_utf8(preview)) return preview;
    std::erase_if(preview, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });  // unknown charset
    return preview;
}

}  // namespace mss::imap
