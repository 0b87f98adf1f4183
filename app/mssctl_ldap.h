// mssctl's LDAP commands (`mssctl directory ldap export|sync`) and the feed that follows each
// directory import and each S/MIME encryption certificate registered. Wiring only.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

#include "core/config.h"

namespace mss::app {

// Adds `ldap` under the `directory` command (attached before); the function returned runs the
// parsed command (nullopt: none of these), printing its own errors.
std::function<std::optional<int>(const std::filesystem::path& data)> register_ldap_commands(CLI::App& app);

// Sends the directory's pending changes to slapd when [ldap] is set. false: slapd did not take them
// all; said on stderr and in the log, and they stay pending for `mssctl directory ldap sync`.
bool feed_ldap(const Config& config);

// An address's S/MIME encryption certificate changed: its entry is queued, then fed as above.
bool feed_ldap_certificate(const Config& config, std::string_view address);

}  // namespace mss::app
