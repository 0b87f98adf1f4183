// Delivery status notifications (RFC 3464 in an RFC 6522 multipart/report): failed (a 5xx, or
// relay.give_up passed), delayed (relay.delay_warning passed), delivered (a local delivery that asked
// NOTIFY=SUCCESS) and relayed (a peer without DSN took a message that asked NOTIFY=SUCCESS). RFC 3461's
// ENVID and ORCPT come back in Original-Envelope-Id and Original-Recipient; RET=FULL returns the whole
// message (message/rfc822) up to a bound, else the header block (text/rfc822-headers). Pure: values
// in, text out; trusts its caller for the addresses, bounds what it quotes, keeps every field on one line.
#pragma once
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace mss::smtp {

inline constexpr std::size_t kMaxQuotedHeader = 64 * 1024;
inline constexpr std::size_t kMaxReturnedMessage = 1024 * 1024;  // RET=FULL above this: the header only

enum class DsnAction { Failed, Delayed, Delivered, Relayed };

struct ReportedRecipient {
    std::string address{};
    std::string status{};        // RFC 3463 "5.1.1"; "5.4.7" for expiry, "5.0.0" when the peer gave none
    std::string remote_mta{};    // the peer's host name, "" when none was reached
    std::string diagnostic{};    // the peer's reply or our reason
    DsnAction action = DsnAction::Failed;
    std::string original_recipient{};  // ORCPT as given ("rfc822;<address>"), "" when none
    std::time_t will_retry_until = 0;  // Delayed: when the relay gives up
};

struct BounceInput {
    std::string reporting_mta{};  // our host name
    std::string queue_id{};
    std::string sender{};         // the envelope sender the report goes to
    std::time_t arrival = 0;
    std::time_t now = 0;
    std::vector<ReportedRecipient> recipients{};  // one action for all (the first one's names the report)
    std::string_view original;  // the message as queued
    std::string envid{};          // ENVID, "" when none
    bool return_full = false;   // RET=FULL
    std::size_t max_returned = kMaxReturnedMessage;
};

// The whole RFC 5322 message, CRLF line ends, from MAILER-DAEMON@reporting_mta to the sender.
std::string delivery_status_notification(const BounceInput& in);

// The RFC 3463 code a reply carries, else "5.0.0" (permanent) or "4.0.0".
std::string status_of_reply(std::string_view reply, bool permanent);

}  // namespace mss::smtp
