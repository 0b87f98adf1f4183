// IMAP URLs (RFC 5092) as CATENATE (RFC 4469 5) takes them: the absolute form
// "imap://user@host/mailbox;UIDVALIDITY=n/;UID=m/;SECTION=s/;PARTIAL=o.l", the absolute path
// "/mailbox..." and the form relative to the selected mailbox ";UID=m...". Pure and bounded; trusts
// nothing about the URL. Whether the URL names this server, this user and a readable message is
// the session's check.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imap/parse/fetch.h"

namespace mss::imap {

struct ImapUrl {
    bool absolute = false;         // "imap://": server given
    std::string user;              // absolute: the enc-user, decoded ("" when none was given)
    std::string host;              // absolute: lower-cased
    std::optional<uint16_t> port;
    std::optional<std::string> mailbox;  // UTF-8, "INBOX" upper-cased; nullopt: the selected mailbox
    std::optional<uint32_t> uidvalidity;
    uint32_t uid = 0;
    Section section;               // empty: the whole message
    std::optional<Partial> partial;  // RFC 5092 ";PARTIAL=offset[.length]"; length 0: to the end
    bool urlauth = false;          // ";EXPIRE=" or ";URLAUTH=" (RFC 4467): we have no URLAUTH keys
    bool operator==(const ImapUrl&) const = default;
};

inline constexpr std::size_t kMaxImapUrl = 8 * 1024;

// nullopt when the URL is longer than kMaxImapUrl, is not one of the forms above (a message list,
// a search, a mailbox without ";UID="), has a bad percent escape, a mailbox name that is not valid
// UTF-8 or holds control characters, or a section FETCH would refuse.
std::optional<ImapUrl> parse_imap_url(std::string_view url);

// The URL as the BADURL response code may carry it (RFC 4469 6, url-resp-text): octets outside
// TEXT-CHAR, "\" and "]" percent-encoded, cut at kMaxImapUrl octets.
std::string badurl_text(std::string_view url);

}  // namespace mss::imap
