// Header/body split and header field selection over raw message bytes.
#include "imap/sections.h"

#include <algorithm>

#include "core/text.h"

namespace mss::imap {
namespace {

// Octets of the header including the blank line that ends it.
std::size_t header_length(std::string_view m) {
    if (m.substr(0, 2) == "\r\n") return 2;
    auto end = m.find("\r\n\r\n");
    return end == std::string_view::npos ? m.size() : end + 4;
}

std::string select_fields(std::string_view header, const Section& section) {
    bool keep_listed = section.text == SectionText::HeaderFields;
    std::string out;
    bool keep = false;
    for (std::size_t p = 0; p < header.size();) {
        auto e = header.find("\r\n", p);
        std::size_t next = e == std::string_view::npos ? header.size() : e + 2;
        std::string_view line = header.substr(p, next - p);
        p = next;
        if (line == "\r\n") break;
        if (line.front() != ' ' && line.front() != '\t') {
            auto colon = line.find(':');
            std::string name = colon == std::string_view::npos ? std::string() : ascii_lower(line.substr(0, colon));
            bool listed = std::any_of(section.fields.begin(), section.fields.end(),
                                      [&](const std::string& f) { return ascii_lower(f) == name; });
            keep = !name.empty() && listed == keep_listed;
        }
        if (keep) out += line;
    }
    return out + "\r\n";
}

}  // namespace

std::optional<std::string> section_bytes(std::string_view message, const Section& section) {
    if (!section.part.empty()) return std::nullopt;
    std::size_t h = header_length(message);
    switch (section.text) {
        case SectionText::None: return std::string(message);
        case SectionText::Header: return std::string(message.substr(0, h));
        case SectionText::Text: return std::string(message.substr(h));
        case SectionText::HeaderFields:
        case SectionText::HeaderFieldsNot: return select_fields(message.substr(0, h), section);
        case SectionText::Mime: return std::nullopt;
    }
    return std::nullopt;
}

std::string_view partial_window(std::string_view bytes, const std::optional<Partial>& partial) {
    if (!partial) return bytes;
    if (partial->offset >= bytes.size()) return {};
    return bytes.substr(static_cast<std::size_t>(partial->offset), static_cast<std::size_t>(partial->length));
}

}  // namespace mss::imap
