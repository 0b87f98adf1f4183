// The [smime] table of mssd.toml: default policy, per-domain policies and the vault key's file.
// Internal to core/config; trusts the file's owner, checks every value.
#pragma once
#include <toml++/toml.h>

#include <filesystem>

#include "core/config.h"

namespace mss {

Status read_smime_config(const toml::table& t, const std::filesystem::path& dir, SmimeConfig& out);

}  // namespace mss
