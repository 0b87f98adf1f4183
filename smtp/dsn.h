// Delivery status notifications (RFC 3464 in an RFC 6522 multipart/report) for recipients the relay
// failed for good (a 5xx, or relay.give_up passed): written to the local sender's mailbox, with the
// original header block (text/rfc822-headers; the content is not returned). Pure: values in, text
// out; trusts its caller for the addresses, bounds the original header it quotes.
#pragma once
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace mss::smtp {

inline constexpr std::size_t kMaxQuotedHeader = 64 * 1024;

struct FailedRecipient {
    std::string address;
    std::string status;        // RFC 3463 "5.1.1"; "5.4.7" for expiry, "5.0.0" when the peer gave none
    std::string remote_mta;    // the peer's host name, "" when none was reached
    std::string diagnostic;    // the peer's reply or our reason
};

struct BounceInput {
    std::string reporting_mta;  // our host name
    std::string queue_id;
    std::string sender;         // the envelope sender (a local mailbox)
    std::time_t arrival = 0;
    std::time_t now = 0;
    std::vector<FailedRecipient> recipients;
    std::string_view original;  // the message as queued (only its header block is quoted)
};

// The whole RFC 5322 message, CRLF line ends, from MAILER-DAEMON@reporting_mta to the sender.
std::string delivery_status_notification(const BounceInput& in);

// The RFC 3463 code a reply carries, else "5.0.0" (permanent) or "4.0.0".
std::string status_of_reply(std::string_view reply, bool permanent);

}  // namespace mss::smtp
