// SEARCH, SORT and THREAD (RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5256) over the selected mailbox.
// Placeholder until the evaluator lands: answered NO [CANNOT] rather than wrongly.
#include <fmt/format.h>

#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::cmd_search(const Command& cmd) {
    no(cmd, Code::Cannot, fmt::format("{} is not available yet", verb_name(cmd.verb)));
    co_return;
}

}  // namespace mss::imap
