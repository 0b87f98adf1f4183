// Key sets are loaded from jwks_file or jwks_url, kept while fresh (jwks_refresh) and kept when a
// reload fails (the issuer briefly down must not lock everyone out); introspection answers that say
// active are kept until the token's exp.
#include "auth/bearer.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "auth/fetch.h"
#include "core/log.h"
#include "core/text.h"

namespace mss::auth {
namespace {

TokenVerdict unavailable(std::string detail) { return {TokenFault::Unavailable, std::move(detail), {}, 0}; }

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::Io, fmt::format("cannot read {}", path.string()));
    std::string text(max + 1, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(std::size_t(in.gcount()));
    if (text.size() > max) return fail(ErrorKind::Io, fmt::format("{} is larger than {} octets", path.string(), max));
    return text;
}

Result<KeySet> load_keys(const OAuthConfig& config) {
    HttpsRequest request;
    request.url = config.jwks_url;
    request.ca_file = config.ca_file;
    request.max_body = kMaxJwksSize;
    auto text = config.jwks_file.empty() ? https_fetch(request) : read_file(config.jwks_file, kMaxJwksSize);
    if (!text) return text.error();
    return parse_jwks(*text);
}

std::string token_digest(std::string_view token) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), md);
    return std::string(reinterpret_cast<char*>(md), sizeof md);
}

std::string client_secret(const OAuthConfig& config) {
    auto text = read_file(config.client_secret_file, 4096);
    if (!text) return {};
    std::string secret = std::move(text).value();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
}

}  // namespace

std::shared_ptr<const KeySet> TokenAuthority::keys(const OAuthConfig& config, int64_t now, bool force,
                                                   std::string& detail) {
    const std::string source = config.jwks_file.empty() ? config.jwks_url : config.jwks_file.string();
    auto stale = [&] {
        return !keys_ || source_ != source || now - loaded_at_ >= config.jwks_refresh.count() ||
               (force && now - attempted_at_ >= kMinReloadSeconds);
    };
    {
        std::lock_guard lock(mutex_);
        if (!stale()) return keys_;
    }
    std::lock_guard loading(load_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (!stale()) return keys_;  // another thread loaded them meanwhile
        if (attempted_source_ == source && now - attempted_at_ < kMinReloadSeconds) {
            // Tried a moment ago: the issuer is not asked again before kMinReloadSeconds.
            if (source_ != source || !keys_) detail = fmt::format("keys from {} could not be loaded lately", source);
            return source_ == source ? keys_ : nullptr;
        }
        attempted_at_ = now;
        attempted_source_ = source;
    }
    auto loaded = load_keys(config);
    std::lock_guard lock(mutex_);
    if (!loaded) {
        detail = fmt::format("keys from {}: {}", source, loaded.error().message);
        log::warn("auth", "cannot load the issuer's keys from {}: {}", source, loaded.error().message);
        return source_ == source ? keys_ : nullptr;
    }
    log::info("auth", "loaded {} signing keys of the issuer from {}", loaded->keys.size(), source);
    keys_ = std::make_shared<const KeySet>(std::move(loaded).value());
    source_ = source;
    loaded_at_ = now;
    return keys_;
}

TokenVerdict TokenAuthority::verify_with_keys(const OAuthConfig& config, std::string_view token, int64_t now) {
    std::string detail;
    auto set = keys(config, now, false, detail);
    if (!set) return unavailable(detail);
    TokenVerdict verdict = verify_token(token, *set, config, now);
    if (verdict.fault != TokenFault::UnknownKey) return verdict;
    auto reloaded = keys(config, now, true, detail);  // a new kid: the issuer may have rotated its keys
    if (!reloaded || reloaded == set) return verdict;
    return verify_token(token, *reloaded, config, now);
}

TokenVerdict TokenAuthority::introspect(const OAuthConfig& config, std::string_view token, int64_t now) {
    const std::string digest = token_digest(token);
    {
        std::lock_guard lock(mutex_);
        auto it = introspected_.find(digest);
        if (it != introspected_.end() && now <= it->second.expires_at) return it->second;
    }
    HttpsRequest request;
    request.url = config.introspection_url;
    request.ca_file = config.ca_file;
    request.form = "token=" + form_escape(token) + "&token_type_hint=access_token";
    request.user = config.client_id;
    request.password = client_secret(config);
    auto answer = https_fetch(request);
    if (!answer) return unavailable(fmt::format("introspection: {}", answer.error().message));
    auto claims = parse_json_object(*answer);
    if (!claims) return unavailable("introspection: the answer is not a JSON object");
    auto active = claims->find("active");
    if (active == claims->end() || !active->is_boolean() || !active->get<bool>())
        return {TokenFault::Inactive, "introspection: not active", {}, 0};
    TokenVerdict verdict = check_claims(*claims, config, now);
    if (verdict.fault != TokenFault::None) return verdict;
    std::lock_guard lock(mutex_);
    if (introspected_.size() >= kIntrospectionCache)
        std::erase_if(introspected_, [now](const auto& entry) { return entry.second.expires_at < now; });
    if (introspected_.size() >= kIntrospectionCache) introspected_.clear();
    introspected_[digest] = verdict;
    return verdict;
}

TokenVerdict TokenAuthority::verify(const OAuthConfig& config, std::string_view token, int64_t now) {
    return config.introspection_url.empty() ? verify_with_keys(config, token, now) : introspect(config, token, now);
}

MailboxChoice mailbox_for(store::Store& store, const std::string& ps_idnat, std::string_view requested) {
    auto personal = store.personal_accounts_of(ps_idnat);
    if (!personal) return {std::nullopt, fmt::format("store: {}", personal.error().message)};
    std::erase_if(*personal, [](const store::Account& a) { return a.disabled; });
    if (personal->empty()) return {std::nullopt, fmt::format("no personal mailbox for PS_IdNat {}", log::sanitize(ps_idnat))};
    if (requested.empty()) {
        if (personal->size() == 1) return {personal->front(), {}};
        return {std::nullopt, fmt::format("PS_IdNat {} has several mailboxes and named none", log::sanitize(ps_idnat))};
    }
    const std::string wanted = ascii_lower(requested);
    for (const auto& account : *personal)
        if (account.address == wanted) return {account, {}};
    for (const auto& account : *personal) {
        auto memberships = store.memberships(account.address);
        if (!memberships) continue;
        for (const auto& m : *memberships) {
            if (ascii_lower(m.org_address) != wanted) continue;
            auto org = store.find_account(wanted);
            if (!org || org->disabled) return {std::nullopt, fmt::format("mailbox {} is disabled", wanted)};
            return {std::move(org).value(), {}};
        }
    }
    return {std::nullopt, fmt::format("{} is not a mailbox of PS_IdNat {}", log::sanitize(wanted), log::sanitize(ps_idnat))};
}

std::string bearer_error(SaslMechanism mechanism, TokenFault fault) {
    if (mechanism == SaslMechanism::XOAuth2) return R"({"status":"401","schemes":"bearer"})";
    return fault == TokenFault::Assurance ? R"({"status":"insufficient_scope"})" : R"({"status":"invalid_token"})";
}

}  // namespace mss::auth
