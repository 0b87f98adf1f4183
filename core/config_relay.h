// The [relay] table of mssd.toml: how mail leaves for other operators (retries, time limits,
// connections per domain) and what the relay port (25) does with senders outside the whitelist.
// Internal to core/config; trusts the file's owner, checks every value.
#pragma once
#include <toml++/toml.h>

#include "core/config.h"

namespace mss {

Status read_relay_config(const toml::table& t, RelayConfig& out);

}  // namespace mss
