// Commands valid in any state (RFC 3501 6.1, RFC 2971): CAPABILITY, NOOP, LOGOUT, ID.
#include "imap/session_state.h"

#include <fmt/format.h>

namespace mss::imap {

void Session::cmd_capability(const Command& cmd) {
    untagged("CAPABILITY " + capabilities());
    ok(cmd, "CAPABILITY completed");
}

void Session::cmd_noop(const Command& cmd) { ok(cmd, "NOOP completed"); }

void Session::cmd_logout(const Command& cmd) {
    untagged("BYE Logging out");
    ok(cmd, "LOGOUT completed");
    state_ = State::Logout;
}

void Session::cmd_id(const Command& cmd) {
    untagged(R"(ID ("name" "mssd" "vendor" "mssd" "support-url" "https://esante.gouv.fr/produits-services/mssante"))");
    ok(cmd, "ID completed");
}

}  // namespace mss::imap
