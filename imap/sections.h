// The bytes a FETCH BODY[section]<partial> returns (RFC 3501 6.4.5) for the top-level message:
// the whole message, HEADER, TEXT, HEADER.FIELDS and HEADER.FIELDS.NOT. Pure; trusts nothing about
// the message (a message with no blank line is all header).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "imap/parse/fetch.h"

namespace mss::imap {

// nullopt for what is not served yet: MIME part numbers and MIME sections.
std::optional<std::string> section_bytes(std::string_view message, const Section& section);
// The partial window <offset.length> of bytes (empty when the offset is past the end).
std::string_view partial_window(std::string_view bytes, const std::optional<Partial>& partial);

}  // namespace mss::imap
