// What IMAP FETCH returns of a message's structure: ENVELOPE, BODY and BODYSTRUCTURE in RFC 3501
// / RFC 9051 syntax, the octets of BODY[section] (part numbers, HEADER, TEXT, MIME, HEADER.FIELDS)
// and BINARY[part] content decoded (RFC 3516). Pure; trusts the Part tree parse_structure made.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.h"

namespace mss::mime {

// An IMAP string: quoted (with \ and " escaped), or a literal when it holds CR, LF, 8-bit octets or
// is long; NUL octets, which no IMAP string may hold, become U+FFFD.
std::string imap_string(std::string_view s);

// "(date subject from sender reply-to to cc bcc in-reply-to message-id)" of a header block.
std::string envelope(std::string_view header);
// BODYSTRUCTURE (extended) or BODY (not) of the entity part of message.
std::string body_structure(std::string_view message, const Part& part, bool extended);

enum class SectionText { None, Header, HeaderFields, HeaderFieldsNot, Text, Mime };

struct SectionSpec {
    std::vector<uint32_t> part;       // empty for the top-level message
    SectionText text = SectionText::None;
    std::vector<std::string> fields;  // HEADER.FIELDS (.NOT) names, any case
};

// BODY[section] of the top-level message (spec.part empty): needs no part tree.
std::string message_section(std::string_view message, const SectionSpec& spec);
// BODY[section] with a part number, root = parse_structure(message); "" for a part that does not
// exist, and for HEADER/TEXT of a part that is not message/rfc822 (RFC 3501 6.4.5).
std::string part_section(std::string_view message, const Part& root, const SectionSpec& spec);

// Whether BINARY can decode the named part: identity, base64 or quoted-printable encoding (a part
// that does not exist decodes to nothing).
bool binary_decodable(const Part& root, const std::vector<uint32_t>& path);
// BINARY[path] content with its Content-Transfer-Encoding removed; the whole message when path is
// empty; nullopt when the encoding is not one binary_decodable accepts.
std::optional<std::string> binary_content(std::string_view message, const Part& root, const std::vector<uint32_t>& path);

// Content-Transfer-Encoding decoders, lenient as mail readers are: base64 skips what is not of its
// alphabet and stops at padding; quoted-printable keeps malformed escapes, drops transport padding
// and writes hard line breaks as CRLF.
std::string decode_base64(std::string_view encoded);
std::string decode_quoted_printable(std::string_view encoded);

}  // namespace mss::mime
