// Message disposition notifications (RFC 8098, multipart/report of RFC 6522) as the CI-SIS asks
// for them (domain.md section 4): built here, in pipeline/, because both the DMP filing and the
// relay's Direct "processed"/"dispatched" notifications send them after a message is durable, and
// neither should depend on the other. A pure function: the caller gives the date, the Message-ID
// and the boundary; nothing is read from the clock or the network. Trusts its inputs to be
// header-safe only after it has checked them (no CR or LF in any header value).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace mss::pipeline {

struct MdnAttachment {
    std::string filename;      // e.g. IHE_XDM.ZIP
    std::string content_type;  // e.g. application/zip
    std::string octets;
};

struct MdnError {  // "processed/Error: <code>^<label>"
    int code;      // CI-SIS application code, 900..906
    std::string label;  // ASCII: the Disposition field is 7-bit
};

struct MdnRequest {
    std::string from;                 // the reporting mailbox
    std::string to;                   // the original's Disposition-Notification-To address
    std::string subject;              // UTF-8; RFC 2047-encoded when not ASCII
    std::string date;                 // RFC 5322 date-time
    std::string message_id;           // "<...>"
    std::string boundary;             // must not occur in any part
    std::string reporting_ua;         // "host; product"
    std::optional<std::string> original_recipient;  // as the original's envelope gave it
    std::string final_recipient;
    std::optional<std::string> original_message_id;
    std::string disposition = "processed";  // processed | dispatched (Direct)
    std::optional<MdnError> error;
    std::string human_text;           // UTF-8
    std::string original_header;      // the original's header section, returned as text/rfc822-headers
    std::vector<MdnAttachment> attachments;  // on errors, the CI-SIS sends the IHE_XDM.ZIP and PDF back
};

// The whole MDN with CRLF line ends; Invalid when a header value holds CR or LF, the boundary
// appears in a part, or the disposition is neither processed nor dispatched.
mss::Result<std::string> build_mdn(const MdnRequest& request);

}  // namespace mss::pipeline
