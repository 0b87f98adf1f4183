// The [ldap] table of mssd.toml: where mssctl sends the directory's changes (a slapd), as whom, and
// under which base DN. Internal to core/config; trusts the file's owner, checks every value's shape.
#pragma once
#include <toml++/toml.h>

#include <filesystem>

#include "core/config.h"

namespace mss {

Status read_ldap_config(const toml::table& t, const std::filesystem::path& dir, LdapConfig& out);

}  // namespace mss
