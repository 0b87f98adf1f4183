// The [http] table of mssd.toml: the HTTPS listener's port, budget, request bounds and who may read
// /metrics. Internal to core/config; trusts the file's owner, checks every value.
#pragma once
#include <toml++/toml.h>

#include "core/config.h"

namespace mss {

Status read_http_config(const toml::table& t, HttpConfig& out);

}  // namespace mss
