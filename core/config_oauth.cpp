// Reads [oauth]: the issuer and audiences are required, and exactly one source of truth about tokens
// (keys from jwks_file or jwks_url, or introspection with its client id and secret file); URLs must
// be https; acr_minimum must be one of acr_levels.
#include "core/config_oauth.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/config_toml.h"

namespace mss {
namespace {

Status read_string(const toml::table& t, std::string_view key, std::string& out) {
    auto node = t[key];
    if (!node) return Ok{};
    auto v = node.value<std::string>();
    if (!v || v->empty()) return fail(ErrorKind::Invalid, fmt::format("oauth.{} must be a non-empty string", key));
    out = *v;
    return Ok{};
}

// A string or a list of non-empty strings.
Status read_strings(const toml::table& t, std::string_view key, std::vector<std::string>& out) {
    auto node = t[key];
    if (!node) return Ok{};
    const std::string error = fmt::format("oauth.{} must be a string or a list of strings", key);
    if (auto v = node.value<std::string>()) {
        if (v->empty()) return fail(ErrorKind::Invalid, error);
        out = {*v};
        return Ok{};
    }
    auto* array = node.as_array();
    if (!array || array->empty()) return fail(ErrorKind::Invalid, error);
    out.clear();
    for (auto& item : *array) {
        auto v = item.value<std::string>();
        if (!v || v->empty()) return fail(ErrorKind::Invalid, error);
        out.push_back(*v);
    }
    return Ok{};
}

Status read_path(const toml::table& t, std::string_view key, const std::filesystem::path& dir,
                 std::filesystem::path& out) {
    std::string text;
    if (auto s = read_string(t, key, text); !s || text.empty()) return s;
    std::filesystem::path p(text);
    out = p.is_absolute() ? p : dir / p;
    return Ok{};
}

Status check_https(const std::string& url, std::string_view key) {
    if (url.empty() || url.starts_with("https://")) return Ok{};
    return fail(ErrorKind::Invalid, fmt::format("oauth.{} must be an https:// URL", key));
}

Status check_sources(const OAuthConfig& c) {
    if (c.issuer.empty()) return fail(ErrorKind::Invalid, "oauth.issuer is required");
    if (c.audiences.empty()) return fail(ErrorKind::Invalid, "oauth.audience is required");
    if (!c.jwks_file.empty() && !c.jwks_url.empty())
        return fail(ErrorKind::Invalid, "oauth.jwks_file and oauth.jwks_url exclude each other");
    bool introspects = !c.introspection_url.empty();
    if (introspects && (c.client_id.empty() || c.client_secret_file.empty()))
        return fail(ErrorKind::Invalid, "oauth.introspection_url needs oauth.client_id and oauth.client_secret_file");
    if (!introspects && c.jwks_file.empty() && c.jwks_url.empty())
        return fail(ErrorKind::Invalid, "oauth needs jwks_file, jwks_url or introspection_url");
    if (!c.acr_minimum.empty() &&
        std::find(c.acr_levels.begin(), c.acr_levels.end(), c.acr_minimum) == c.acr_levels.end())
        return fail(ErrorKind::Invalid, "oauth.acr_minimum must be one of oauth.acr_levels");
    return Ok{};
}

}  // namespace

Result<OAuthConfig> read_oauth_config(const toml::table& t, const std::filesystem::path& dir) {
    if (auto s = check_known(t, {"issuer", "audience", "jwks_file", "jwks_url", "ca_file", "jwks_refresh", "leeway",
                                 "acr_levels", "acr_minimum", "introspection_url", "client_id", "client_secret_file"},
                             "oauth.");
        !s)
        return s.error();
    OAuthConfig c;
    int64_t refresh = c.jwks_refresh.count(), leeway = c.leeway.count();
    Status s = Ok{};
    if (!(s = read_string(t, "issuer", c.issuer))) return s.error();
    if (!(s = read_strings(t, "audience", c.audiences))) return s.error();
    if (!(s = read_path(t, "jwks_file", dir, c.jwks_file))) return s.error();
    if (!(s = read_string(t, "jwks_url", c.jwks_url)) || !(s = check_https(c.jwks_url, "jwks_url"))) return s.error();
    if (!(s = read_path(t, "ca_file", dir, c.ca_file))) return s.error();
    if (!(s = read_int(t, "jwks_refresh", refresh, 60, 7 * 86400))) return s.error();
    if (!(s = read_int(t, "leeway", leeway, 0, 600))) return s.error();
    if (!(s = read_strings(t, "acr_levels", c.acr_levels))) return s.error();
    if (auto node = t["acr_minimum"]) {  // "" is allowed: no eIDAS level required
        auto v = node.value<std::string>();
        if (!v) return fail(ErrorKind::Invalid, "oauth.acr_minimum must be a string");
        c.acr_minimum = *v;
    }
    if (!(s = read_string(t, "introspection_url", c.introspection_url)) ||
        !(s = check_https(c.introspection_url, "introspection_url")))
        return s.error();
    if (!(s = read_string(t, "client_id", c.client_id))) return s.error();
    if (!(s = read_path(t, "client_secret_file", dir, c.client_secret_file))) return s.error();
    c.jwks_refresh = std::chrono::seconds(refresh);
    c.leeway = std::chrono::seconds(leeway);
    if (!(s = check_sources(c))) return s.error();
    return c;
}

}  // namespace mss
