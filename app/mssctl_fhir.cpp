// The liste rouge command: checks that the address is one of our accounts, records the mark in
// directory.db, then sends the change to the LDAP address book when [ldap] is set. Wiring only.
#include "app/mssctl_fhir.h"

#include "app/mssctl_ldap.h"

#include <fmt/format.h>

#include <iostream>

#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "directory/directory.h"
#include "store/store.h"

namespace mss::cli {
namespace {

int refused(std::string_view why) {
    std::cerr << "mssctl: " << why << "\n";
    return 1;
}

}  // namespace

void ListeRougeCli::attach(CLI::App& app) {
    CLI::App* directory = app.get_subcommand("directory");
    command_ = directory->add_subcommand("liste-rouge", "never publish one of our addresses in the FHIR look-ups "
                                                        "(kept across imports)");
    command_->add_option("address", address_)->required();
    command_->add_option("state", state_, "on | off")->required()->check(CLI::IsMember({"on", "off"}));
}

std::optional<int> ListeRougeCli::run(const std::filesystem::path& data) {
    if (!command_ || !*command_) return std::nullopt;
    auto config = load_config(data);
    if (!config) return refused("configuration: " + config.error().message);
    std::string address = ascii_lower(address_);
    auto store = store::open_sqlite(config->database(), {.create = false});
    if (!store) return refused(store.error().message);
    auto account = store.value()->find_account(address);
    if (!account) return refused(fmt::format("{} is not one of this server's accounts: {}", address, account.error().message));
    auto directory = directory::open_sqlite_directory(config->directory_database());
    if (!directory) return refused(directory.error().message);
    bool on = state_ == "on";
    if (auto s = directory.value()->set_liste_rouge(address, on); !s) return refused(s.error().message);
    log::info("directory", "liste rouge {} for {}", on ? "on" : "off", address);
    fmt::print("{}: liste rouge {}\n", address, on ? "on" : "off");
    return app::feed_ldap(*config) ? 0 : 2;  // the address book drops (or takes back) the entry at once
}

}  // namespace mss::cli
