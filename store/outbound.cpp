// Names of the outbound queue's states as stored and as mssctl shows them.
#include "store/outbound.h"

namespace mss::store {

std::string_view to_string(OutboundState state) { return state == OutboundState::Failed ? "failed" : "queued"; }

}  // namespace mss::store
