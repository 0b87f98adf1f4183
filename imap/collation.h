// The i;unicode-casemap collation (RFC 5051) that SORT must use (RFC 5256 section 3): each
// character mapped to its titlecase, then canonically decomposed, the results compared as octets.
// Pure; trusts nothing in the text (invalid UTF-8 is replaced, not rejected).
#pragma once
#include <string>
#include <string_view>

namespace mss::imap {

// The key whose octet order is the collation's order: "[" and "_" sort after letters, "é" beside "e".
std::string unicode_casemap_key(std::string_view utf8);

}  // namespace mss::imap
