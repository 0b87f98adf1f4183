// RFC 5322 / MIME reading of a stored message, through libetpan behind this interface (domain and
// architecture notes: libetpan is used as a parser only, and fuzzed). Bounded: refuses messages over
// max_size and MIME trees deeper than max_depth. Trusts nothing about the bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::mime {

struct HeaderField {
    std::string name;   // as written
    std::string value;  // raw, unfolded (CRLF + WSP replaced by the WSP)
};

struct MessageLimits {
    std::size_t max_size = 64 * 1024 * 1024;
    int max_depth = 32;          // nested multiparts / message/rfc822
    std::size_t max_parts = 10000;
};

struct MessageInfo {
    std::optional<std::string> subject;   // RFC 2047 decoded to UTF-8
    std::optional<std::string> from;      // raw header value
    std::optional<std::string> message_id;
    std::size_t header_size = 0;          // octets up to and including the blank line
    std::size_t part_count = 0;           // leaf MIME parts
    int depth = 0;                        // deepest nesting seen
};

// Header fields of the message's top-level header (stops at the first empty line; bounded).
std::vector<HeaderField> header_fields(std::string_view message, std::size_t max_fields = 1000);
// The fields of the top-level header called name (case-insensitive), in order, at most max_fields
// of them; the others are passed over without being kept, so that no count of fields hides one.
std::vector<HeaderField> fields_named(std::string_view message, std::string_view name, std::size_t max_fields);
// Decodes RFC 2047 encoded-words of an unstructured header value to UTF-8 (charset converted);
// undecodable words are left as written.
std::string decode_header_text(std::string_view raw);
// Whole-message parse through libetpan's MIME parser; Invalid when over the limits.
Result<MessageInfo> parse_message(std::string_view message, const MessageLimits& limits = {});

}  // namespace mss::mime
