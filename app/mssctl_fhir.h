// `mssctl directory liste-rouge ADDRESS on|off`: the operator marks one of our own addresses as
// never published by the directory's FHIR look-ups (the mark survives re-imports).
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

namespace mss::cli {

class ListeRougeCli {
public:
    // Adds the command under the existing `directory` command of app.
    void attach(CLI::App& app);
    // The exit status when this command was given, nothing otherwise.
    std::optional<int> run(const std::filesystem::path& data);

private:
    CLI::App* command_ = nullptr;
    std::string address_, state_;
};

}  // namespace mss::cli
