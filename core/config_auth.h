// The [auth] table of mssd.toml: the password hashing pool's size and queue, lock-outs and delays.
// Internal to core/config; trusts the file's owner, checks every value.
#pragma once
#include <toml++/toml.h>

#include "core/config.h"

namespace mss {

Status read_auth_settings(const toml::table& t, AuthGuardSettings& out);

}  // namespace mss
