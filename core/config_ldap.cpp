// Reads [ldap]: url (ldap://, ldaps:// or ldapi://), bind_dn, password_file and ca_file (relative to
// the data directory), base_dn, starttls, timeout. The DN's syntax is checked by the feed, which
// holds the LDAP library; here only its presence.
#include "core/config_ldap.h"

#include <fmt/format.h>

#include "core/config_toml.h"

namespace mss {

Status read_ldap_config(const toml::table& t, const std::filesystem::path& dir, LdapConfig& out) {
    if (auto s = check_known(t, {"url", "bind_dn", "password_file", "base_dn", "starttls", "ca_file", "timeout"}, "ldap.");
        !s)
        return s;
    auto text = [&](std::string_view key, std::string& field) -> Status {
        auto node = t[key];
        if (!node) return Ok{};
        auto v = node.value<std::string>();
        if (!v) return fail(ErrorKind::Invalid, fmt::format("ldap.{} must be a string", key));
        field = *v;
        return Ok{};
    };
    std::string password_file, ca_file;
    for (auto [key, field] : {std::pair{"url", &out.url}, {"bind_dn", &out.bind_dn}, {"base_dn", &out.base_dn},
                              {"password_file", &password_file}, {"ca_file", &ca_file}})
        if (auto s = text(key, *field); !s) return s;
    if (!out.url.empty() && !out.url.starts_with("ldap://") && !out.url.starts_with("ldaps://") &&
        !out.url.starts_with("ldapi://"))
        return fail(ErrorKind::Invalid, "ldap.url must start with ldap://, ldaps:// or ldapi://");
    if (out.base_dn.empty()) return fail(ErrorKind::Invalid, "ldap.base_dn must not be empty");
    if (!out.url.empty() && (out.bind_dn.empty() || password_file.empty()))
        return fail(ErrorKind::Invalid, "ldap.url needs ldap.bind_dn and ldap.password_file");
    auto resolve = [&](const std::string& p) { return p.empty() || std::filesystem::path(p).is_absolute() ? std::filesystem::path(p) : dir / p; };
    out.password_file = resolve(password_file);
    out.ca_file = resolve(ca_file);
    if (auto node = t["starttls"]) {
        auto v = node.value<bool>();
        if (!v) return fail(ErrorKind::Invalid, "ldap.starttls must be true or false");
        out.starttls = *v;
    }
    int64_t seconds = out.timeout.count();
    if (auto s = read_int(t, "timeout", seconds, 1, 3600); !s) return fail(ErrorKind::Invalid, fmt::format("ldap.{}", s.error().message));
    out.timeout = std::chrono::seconds(seconds);
    return Ok{};
}

}  // namespace mss
