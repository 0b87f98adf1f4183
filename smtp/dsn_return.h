// Where a delivery status notification goes (issue 11): into the envelope sender's INBOX when the
// sender is one of our mailboxes, else queued for the sender's operator with the null reverse-path
// (MAIL FROM:<>), which is never bounced again. Nothing for the null sender. Blocking (the store):
// call it on the blocking pool. Trusts the report it is given.
#pragma once
#include <string>

#include "core/config.h"
#include "store/store.h"

namespace mss::smtp {

// about_id names the message the report is about, for the log line.
Status return_to_sender(store::Store& store, const Config& config, const std::string& sender, std::string report,
                        std::string_view about_id);

}  // namespace mss::smtp
