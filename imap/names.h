// Mailbox names on the wire: quoting in modified UTF-7 (RFC 3501 5.1.3) or, once the client enabled
// IMAP4rev2 or UTF8=ACCEPT, in UTF-8 (RFC 9051 5.1, RFC 6855 3), LIST wildcards (RFC 3501 6.3.8) and
// the shared namespace prefix. Pure; trusts that names are valid UTF-8 (the parser
// checked them).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mss::imap {

// Organisational mailboxes appear to their members as "Shared/<org address>/<folder>".
inline constexpr std::string_view kSharedPrefix = "Shared/";
inline constexpr std::string_view kSharedRoot = "Shared";
// Every right of RFC 4314 (the owner's), without the site-defined "0" of organisational mailboxes.
inline constexpr std::string_view kOwnerRights = "lrswipkxtea";

// How mailbox names travel: modified UTF-7 (IMAP4rev1) or UTF-8 as stored (IMAP4rev2, UTF8=ACCEPT).
enum class NameEncoding { ModifiedUtf7, Utf8 };

// The name as a quoted string, in that encoding.
std::string quoted_mailbox(std::string_view name, NameEncoding encoding = NameEncoding::ModifiedUtf7);
// "%" matches anything but the hierarchy separator "/", "*" anything. Bounded: O(pattern x name).
bool list_match(std::string_view pattern, std::string_view name);
// Ascending UIDs (or numbers) as a compact set: "1:3,7" (VANISHED, COPYUID, ESEARCH).
std::string uid_set(const std::vector<uint32_t>& ascending);

}  // namespace mss::imap
