// Pro Santé Connect sign-in: whose a bearer token is (TokenAuthority: the issuer's keys, cached and
// refreshed, or its introspection endpoint) and which mailbox that professional may open with it
// (mailbox_for: their personal mailbox, or an organisational mailbox they are a member of). All
// blocking (files, HTTPS, SQLite): auth::Guard runs it on the store's pool. Trusts the configuration
// and the store; nothing in the token until verified.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sasl.h"
#include "auth/token.h"
#include "store/store.h"

namespace mss::auth {

class TokenAuthority {
public:
    // Introspection answers kept at most (until their exp), so repeated sign-ins cost no round trip.
    static constexpr std::size_t kIntrospectionCache = 4096;
    // An unknown kid reloads the keys at most this often, so forged kids cannot flood the issuer.
    static constexpr int64_t kMinReloadSeconds = 5;

    TokenVerdict verify(const OAuthConfig& config, std::string_view token, int64_t now);

private:
    TokenVerdict verify_with_keys(const OAuthConfig& config, std::string_view token, int64_t now);
    TokenVerdict introspect(const OAuthConfig& config, std::string_view token, int64_t now);
    // The current key set, reloaded first when stale (or when force and not reloaded lately); null
    // when none could ever be loaded. detail says why loading failed.
    std::shared_ptr<const KeySet> keys(const OAuthConfig& config, int64_t now, bool force, std::string& detail);

    std::mutex load_mutex_;  // one load at a time
    std::mutex mutex_;       // guards what follows
    std::string source_;     // the file or URL keys_ came from
    std::shared_ptr<const KeySet> keys_;
    int64_t loaded_at_ = 0;    // last successful load
    int64_t attempted_at_ = 0; // last load, successful or not
    std::string attempted_source_;
    std::map<std::string, TokenVerdict> introspected_;  // by SHA-256 of the token
};

struct MailboxChoice {
    std::optional<store::Account> account;
    std::string refusal;  // for the log when account is empty
};

// The mailbox the professional ps_idnat opens: requested (any case) if it is one of their personal
// mailboxes or an organisational mailbox one of those is a member of; with nothing requested, their
// only personal mailbox. Disabled mailboxes are refused.
MailboxChoice mailbox_for(store::Store& store, const std::string& ps_idnat, std::string_view requested);

// The error status sent as the last challenge of a refused exchange (RFC 7628 section 3.2.2, and
// Google's XOAUTH2 equivalent).
std::string bearer_error(SaslMechanism mechanism, TokenFault fault);

}  // namespace mss::auth
