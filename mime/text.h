// A message's text as SEARCH, SORT and THREAD read it: field values decoded to UTF-8, first
// addresses, Date: fields, the decoded text of the text parts. libetpan parses fields and decodes;
// the MIME walk is ours, bounded by MessageLimits. Trusts nothing about the bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "mime/message.h"

namespace mss::mime {

// RFC 2047 encoded-words decoded; raw 8-bit text read as UTF-8 when it is valid UTF-8, as
// ISO-8859-1 otherwise (RFC 6532 and legacy mailers); tabs and runs of spaces become one space.
std::string decode_field(std::string_view raw);

// One address as IMAP's ENVELOPE gives it: a group is its name as mailbox, with no host.
struct Address {
    std::string display_name;  // decoded to UTF-8; "" when there is none
    std::string mailbox;       // local part
    std::string host;          // domain
};
// The first address of an address-list field (From, To, Cc); nullopt when there is none or the
// field cannot be parsed.
std::optional<Address> first_address(std::string_view raw);

// Every mailbox of a From or Sender value (RFC 5322 3.6.2 mailbox-list, mailbox), in order; nullopt
// unless the whole value is one, each address a plain local@domain (libetpan reads two addresses run
// together, or a quoted local part, as one address: neither is taken), so that no caller checks an
// address other than the ones a mail client shows.
std::optional<std::vector<Address>> mailbox_list(std::string_view raw);

// A Date: field (RFC 5322 3.3, obsolete forms included).
struct SentDate {
    int year = 0, month = 0, day = 0;  // the date as written, in the field's own zone
    int64_t utc = 0;                   // the instant, unix seconds
};
// nullopt when the field cannot be parsed or names no real day.
std::optional<SentDate> parse_date(std::string_view raw);

// The text/* parts of the message, those of attached messages included, transfer-decoded (base64,
// quoted-printable) and converted to UTF-8 from their charset (kept as they are when the charset is
// unknown), joined by CRLF. Invalid when the message is over the limits or its MIME unparsable.
Result<std::string> body_text(std::string_view message, const MessageLimits& limits = {});

}  // namespace mss::mime
