// `mssctl dmp ...`: the operator's commands on the embedded DMP (patients, their choices, documents,
// traces). Wiring only.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <optional>

namespace mss::app {

// Adds the dmp subcommands to app; the function returned runs the one parsed (its exit status), or
// returns nothing when no dmp command was given.
std::function<std::optional<int>(const std::filesystem::path& data)> attach_dmp_commands(CLI::App& app);

}  // namespace mss::app
