// FETCH sections mapped onto mime::SectionSpec, and partial windows.
#include "imap/sections.h"

namespace mss::imap {
namespace {

mime::SectionText mime_text(SectionText text) {
    switch (text) {
        case SectionText::None: return mime::SectionText::None;
        case SectionText::Header: return mime::SectionText::Header;
        case SectionText::HeaderFields: return mime::SectionText::HeaderFields;
        case SectionText::HeaderFieldsNot: return mime::SectionText::HeaderFieldsNot;
        case SectionText::Text: return mime::SectionText::Text;
        case SectionText::Mime: return mime::SectionText::Mime;
    }
    return mime::SectionText::None;
}

}  // namespace

mime::SectionSpec mime_section(const Section& section) {
    return mime::SectionSpec{section.part, mime_text(section.text), section.fields};
}

std::string_view partial_window(std::string_view bytes, const std::optional<Partial>& partial) {
    if (!partial) return bytes;
    if (partial->offset >= bytes.size()) return {};
    return bytes.substr(static_cast<std::size_t>(partial->offset), static_cast<std::size_t>(partial->length));
}

}  // namespace mss::imap
