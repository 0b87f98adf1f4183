// FETCH BODY[section] / BINARY[part] as mime/ reads them (RFC 3501 6.4.5, RFC 3516): the section of
// the command in mime's terms, and the <offset.length> window of the octets found. Pure; trusts the
// command parser's values.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "imap/parse/fetch.h"
#include "mime/bodystructure.h"

namespace mss::imap {

mime::SectionSpec mime_section(const Section& section);
// The octets of a section of the top-level message; nullopt for a section with a part number, which
// needs the part tree (mime::part_section).
inline std::optional<std::string> section_bytes(std::string_view message, const Section& section) {
    if (!section.part.empty()) return std::nullopt;
    return mime::message_section(message, mime_section(section));
}
// The partial window <offset.length> of bytes (empty when the offset is past the end).
std::string_view partial_window(std::string_view bytes, const std::optional<Partial>& partial);

}  // namespace mss::imap
