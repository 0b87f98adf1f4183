// Direct's reliable delivery notification (US Direct Project, "Implementation Guide for Delivery
// Notification in Direct" v1.0) on the receiving side: a message from another operator that asks
// for it (Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true) gets,
// per local recipient, a "processed" MDN (accepted by the receiving operator) and a "dispatched"
// MDN (in the recipient's mailbox), both RFC 8098 reports built by pipeline/mdn.h. Pure: the caller
// gives the date and a unique token; nothing here reads the clock, the store or the network.
// Trusts nothing in the message; trusts the caller for the envelope (the return path was checked
// against the peer's certificate and the whitelist at MAIL FROM).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::pipeline {

inline constexpr std::size_t kMaxNoticeSubject = 200;  // octets of the original's subject quoted

// What a message asking for Direct notifications gives its notices.
struct DirectRequest {
    std::string notify;                        // where the MDNs go
    std::optional<std::string> original_message_id;
    std::string subject;                       // the original's, cut to kMaxNoticeSubject; "" when none
    std::string original_header;               // returned as text/rfc822-headers (bounded)
};

// nullopt when no notification is due: the option is absent or not "true", the sender is null, or
// the message is itself a report (multipart/report: an MDN or a DSN; never a notice about a notice).
// Invalid when the message asks in a way we cannot read (a malformed or repeated
// Disposition-Notification-Options field, a header that is not one): the caller delivers the
// message anyway and logs why no notice was sent. The notices go to the Disposition-Notification-To
// address when it is one mailbox of the return path's domain, else to the return path.
Result<std::optional<DirectRequest>> direct_request(std::string_view message, std::string_view return_path);

struct DirectNotice {
    std::string disposition;  // "processed" | "dispatched"
    std::string queue_suffix; // "p" | "q": sorts processed first in the outbound queue
    std::string content;      // the whole MDN, CRLF
};

struct NoticeContext {
    std::string hostname;   // ours: Reporting-UA and Message-IDs
    std::string date;       // RFC 5322 date-time
    std::string unique;     // [A-Za-z0-9] token, unique per recipient and message
};

// The processed then the dispatched MDN from recipient (our mailbox that received the message).
Result<std::vector<DirectNotice>> direct_notices(const DirectRequest& request, std::string_view recipient,
                                                 const NoticeContext& context);

}  // namespace mss::pipeline
