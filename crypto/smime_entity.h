// The few MIME rules S/MIME needs (RFC 2045, 2046, 1847, 5322), for crypto/smime.cpp: header fields,
// Content-Type and its parameters, the two parts of a multipart/signed body, base64 bodies and the
// From address. Pure and bounded; trusts nothing: every ambiguity (a repeated parameter, a second
// Content-Type, a line that is not a field) is an error, never a guess. Accepts CRLF or bare LF.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace mss::crypto::smime::entity {

struct Field {
    std::string_view name;
    std::string_view raw;  // the field's lines as written, line breaks included
    std::string value;     // unfolded, surrounding white space removed
};

struct Entity {
    std::vector<Field> fields;
    std::string_view body;  // after the empty line; empty when there is none
};

// Header fields up to the first empty line. Invalid when a line is neither a field nor a continuation,
// or when there are more than max_fields.
Result<Entity> split(std::string_view text, std::size_t max_fields);

// The value of the only field called name (case-insensitive); nullopt when absent; Invalid when repeated.
Result<std::optional<std::string>> single_field(const Entity& e, std::string_view name);

struct ContentType {
    std::string type, subtype;  // lower case
    std::vector<std::pair<std::string, std::string>> params;  // names lower case, values unquoted
    bool is(std::string_view type_slash_subtype) const;
    std::optional<std::string> param(std::string_view name) const;
};
// Invalid on syntax errors and on a parameter given twice.
Result<ContentType> parse_content_type(std::string_view value);
// The entity's Content-Type; text/plain when the field is absent (RFC 2045 5.2).
Result<ContentType> content_type_of(const Entity& e);

bool is_content_field(std::string_view name);  // Content-* and MIME-Version

// Bare LF made CRLF (RFC 8551 3.1.1 canonical form); existing CRLF kept.
std::string canonical_crlf(std::string_view text);
// The same without a copy when text is already canonical: text itself, or the copy made in storage.
std::string_view canonical_view(std::string_view text, std::string& storage);

// The entity of the Content-* fields and the body (CRLF), as signed or encrypted.
std::string mime_entity(const Entity& e);
// The other fields (MIME-Version excluded), in order, as written; with inner given, only those
// whose name inner does not have.
std::string outer_fields(const Entity& e);
std::string outer_fields(const Entity& e, const Entity& inner);

struct SignedBody {
    std::string_view content;    // the first part, exactly: what was signed (before canonicalisation)
    std::string_view signature;  // the second part, its header included
};
// RFC 1847 2.1 / RFC 2046 5.1.1: exactly two parts between the delimiters; Invalid otherwise.
Result<SignedBody> split_signed(std::string_view body, std::string_view boundary);

// The body's octets by its Content-Transfer-Encoding: base64 (white space ignored), 7bit, 8bit,
// binary or none; Invalid for anything else or bad base64.
Result<std::string> decoded_body(const Entity& e);

// The one mailbox of a From field: "addr@example" or "Name <addr@example>"; Invalid for groups,
// several mailboxes or anything unclear.
Result<std::string> single_address(std::string_view from_value);

}  // namespace mss::crypto::smime::entity
