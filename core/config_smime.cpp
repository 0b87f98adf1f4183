// Reads [smime] and [smime.domains."<domain>"]: unsigned/invalid actions and the cipher, each checked;
// unknown keys are refused as everywhere in mssd.toml.
#include "core/config_smime.h"

#include <fmt/format.h>

#include "core/config_toml.h"
#include "core/text.h"

namespace mss {
namespace {

Status read_action(const toml::table& t, std::string_view key, std::string_view where, SmimeAction& out) {
    auto node = t[key];
    if (!node) return Ok{};
    auto text = node.value<std::string>();
    auto action = text ? smime_action_from(*text) : std::nullopt;
    if (!action)
        return fail(ErrorKind::Invalid, fmt::format("{}{} must be \"accept\", \"quarantine\" or \"reject\"", where, key));
    out = *action;
    return Ok{};
}

// unsigned, invalid and cipher; the caller has checked the table's keys.
Status read_policy(const toml::table& t, std::string_view where, SmimePolicy& p) {
    if (auto s = read_action(t, "unsigned", where, p.unsigned_mail); !s) return s;
    if (auto s = read_action(t, "invalid", where, p.invalid); !s) return s;
    if (auto node = t["cipher"]) {
        auto text = node.value<std::string>();
        if (!text || (*text != "aes-256-gcm" && *text != "aes-256-cbc"))
            return fail(ErrorKind::Invalid, fmt::format("{}cipher must be \"aes-256-gcm\" or \"aes-256-cbc\"", where));
        p.cbc = *text == "aes-256-cbc";
    }
    return Ok{};
}

}  // namespace

std::string_view to_string(SmimeAction action) {
    switch (action) {
        case SmimeAction::Accept: return "accept";
        case SmimeAction::Quarantine: return "quarantine";
        case SmimeAction::Reject: return "reject";
    }
    return "accept";
}

std::optional<SmimeAction> smime_action_from(std::string_view text) {
    for (auto a : {SmimeAction::Accept, SmimeAction::Quarantine, SmimeAction::Reject})
        if (text == to_string(a)) return a;
    return std::nullopt;
}

const SmimePolicy& SmimeConfig::policy_for(std::string_view domain) const {
    auto it = domains.find(ascii_lower(std::string(domain)));
    return it == domains.end() ? policy : it->second;
}

Status read_smime_config(const toml::table& t, const std::filesystem::path& dir, SmimeConfig& out) {
    std::filesystem::path vault(t["vault_key"].value_or<std::string>("vault.key"));
    out.vault_key = vault.is_absolute() ? vault : dir / vault;
    if (auto s = check_known(t, {"unsigned", "invalid", "cipher", "vault_key", "domains"}, "smime."); !s) return s;
    if (auto s = read_policy(t, "smime.", out.policy); !s) return s;
    auto* domains = t["domains"].as_table();
    if (!domains) return t["domains"] ? fail(ErrorKind::Invalid, "smime.domains must be a table") : Status(Ok{});
    for (auto&& [name, node] : *domains) {
        auto* table = node.as_table();
        std::string where = fmt::format("smime.domains.\"{}\".", name.str());
        if (!table) return fail(ErrorKind::Invalid, where + " must be a table");
        SmimePolicy policy = out.policy;
        if (auto s = check_known(*table, {"unsigned", "invalid", "cipher"}, where); !s) return s;
        if (auto s = read_policy(*table, where, policy); !s) return s;
        out.domains[ascii_lower(std::string(name.str()))] = policy;
    }
    return Ok{};
}

}  // namespace mss
