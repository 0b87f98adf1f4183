// The three ways a value goes into LDAP text: inside a search filter (RFC 4515), inside a DN
// (RFC 4514) and on an LDIF line (RFC 2849). Pure; trusts nothing in the value (any octets).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mss::ldap {

// RFC 4515 section 3: NUL, '*', '(', ')', '\' and every octet outside printable ASCII as \XX, so a
// search term can only ever be compared, never change the filter's shape.
std::string escape_filter_value(std::string_view value);
// The value back from escape_filter_value's form; nullopt for a bare special or a bad \XX.
std::optional<std::string> unescape_filter_value(std::string_view escaped);

// RFC 4514 section 2.4: '"', '+', ',', ';', '<', '=', '>', '\', a leading ' ' or '#', a trailing ' '
// and every octet outside printable ASCII escaped, so the value stays one attribute value of one RDN.
std::string escape_dn_value(std::string_view value);

// RFC 2849: true when the value may be written as is ("type: value"): a SAFE-STRING that does not
// end with a space. Otherwise it goes as base64 ("type:: ...").
bool ldif_safe(std::string_view value);
// "type: value" or "type:: base64", folded at 76 octets (continuation lines start with a space),
// ending with LF.
std::string ldif_line(std::string_view type, std::string_view value);

}  // namespace mss::ldap
