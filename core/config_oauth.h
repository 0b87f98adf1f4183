// The [oauth] table of mssd.toml: where Pro Santé Connect's keys or introspection endpoint are and
// what a token must say. Internal to core/config; trusts the file's owner, checks every value.
#pragma once
#include <toml++/toml.h>

#include <filesystem>

#include "core/config.h"

namespace mss {

// Relative paths are taken from the data directory.
Result<OAuthConfig> read_oauth_config(const toml::table& t, const std::filesystem::path& dir);

}  // namespace mss
