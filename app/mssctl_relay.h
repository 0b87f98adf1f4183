// mssctl's `route` and `queue` commands (issue 11): the static routes to other operators and the
// outbound queue, both in the store, which the running mssd reads at every attempt and polls each
// second (a flush is seen within a second, without a signal). Wiring only.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace mss {

class RelayCli {
public:
    void attach(CLI::App& app);
    // The exit status when one of these commands was given, nullopt otherwise.
    std::optional<int> run(const std::filesystem::path& data);

private:
    CLI::App* route_add_ = nullptr;
    CLI::App* route_list_ = nullptr;
    CLI::App* route_remove_ = nullptr;
    CLI::App* queue_list_ = nullptr;
    CLI::App* queue_show_ = nullptr;
    CLI::App* queue_flush_ = nullptr;
    CLI::App* queue_delete_ = nullptr;
    std::string domain_, next_hop_, id_;
};

}  // namespace mss
