// The [dmp] table of mssd.toml: which certificate authorities name health professionals to the
// DMP. Internal to core/config; trusts the file's owner, checks every value and reads the CA files.
#pragma once
#include <toml++/toml.h>

#include <filesystem>

#include "core/config.h"

namespace mss {

// t is null when mssd.toml has no [dmp]; relative paths are taken from the data directory.
Status read_dmp_config(const toml::table* t, const std::filesystem::path& dir, DmpConfig& out);

}  // namespace mss
