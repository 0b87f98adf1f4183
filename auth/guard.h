// The guard every password and bearer-token sign-in goes through, shared by SMTP AUTH and IMAP LOGIN/AUTHENTICATE so
// both grant and refuse exactly the same: lock-outs and delays against guessing (auth/throttle.h),
// the account look-up on the store's pool, scrypt on the guard's own bounded pool (auth/hash_pool.h).
// Delays wait on asio timers: no thread is held. Trusts the store and the configuration.
#pragma once
#include <asio.hpp>
#include <mutex>
#include <optional>
#include <string>

#include "auth/bearer.h"
#include "auth/hash_pool.h"
#include "auth/throttle.h"
#include "core/config.h"
#include "store/store.h"

namespace mss::auth {

enum class PasswordOutcome {
    Granted,
    Refused,    // wrong password, unknown or password-less account: SMTP 535 5.7.8, IMAP NO [AUTHENTICATIONFAILED]
    LockedOut,  // too many failures, refused without a check: SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]
    Busy,       // the hashing queue is full: SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]
};

struct PasswordCheck {
    PasswordOutcome outcome = PasswordOutcome::Refused;
    std::optional<store::Account> account;  // when granted
};

// What one check needs from its session; every reference outlives the check.
struct PasswordRequest {
    store::Store& store;
    asio::thread_pool& store_pool;
    const Config& config;
    const std::string& peer_ip;
    const std::string& user;
    const std::string& password;
};

enum class BearerOutcome {
    Granted,
    Refused,      // a bad token, or a mailbox it does not open: SMTP 535 5.7.8, IMAP NO [AUTHENTICATIONFAILED]
    LockedOut,    // too many failures: SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]
    Unavailable,  // the issuer's keys or introspection could not be had: SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]
};

struct BearerCheck {
    BearerOutcome outcome = BearerOutcome::Refused;
    std::optional<store::Account> account;  // when granted
    TokenFault fault = TokenFault::None;    // why a token was refused (None when the mailbox was)
    std::string reason;                     // for the log: never the token
};

// What one bearer check needs from its session; every reference outlives the check.
struct BearerRequest {
    store::Store& store;
    asio::thread_pool& store_pool;
    const Config& config;            // config.oauth is set
    const std::string& peer_ip;
    const std::string& mailbox;      // the SASL authzid (OAUTHBEARER a=, XOAUTH2 user=), may be ""
    const std::string& token;
};

class Guard {
public:
    // Counts remembered at most of each kind (addresses, accounts from addresses, accounts, known
    // sign-ins): some 200 octets plus twice the key's length each, 40 MiB at worst with 255-octet names.
    static constexpr std::size_t kTracked = 16384;

    explicit Guard(unsigned hash_threads, std::size_t tracked = kTracked) : pool_(hash_threads), throttle_(tracked) {}
    asio::awaitable<PasswordCheck> check_password(const PasswordRequest& request);
    // A Pro Santé Connect token, counted by the same lock-outs and delays as passwords.
    asio::awaitable<BearerCheck> check_bearer(const BearerRequest& request);
    // check_bearer for a SASL exchange (IMAP AUTHENTICATE, SMTP AUTH): logs every refusal under
    // `where` (never the token) and, when the token itself was refused, sets the exchange's RFC 7628
    // error challenge, which the session then sends before its final refusal.
    asio::awaitable<BearerCheck> sign_in_bearer(const BearerRequest& request, SaslExchange& exchange,
                                                std::string where);
    // A token alone, against the same issuer keys as sign-ins (the DMP's HTTP bearer route, RFC
    // 6750): blocking, for a caller already on a blocking pool; no mailbox, no lock-out counting.
    TokenVerdict check_token(const OAuthConfig& oauth, std::string_view token);
    // Sign-ins that are no SASL exchange (the DMP's HTTP routes: a bearer token, a client
    // certificate), under the same lock-outs and delays as passwords, without waiting: before the
    // credential is checked, the throttle's verdict for `who` (the identity it claims, unverified:
    // a key for counting only) from peer_ip; after, its outcome counted (refusals start lock-outs).
    ThrottleVerdict before_sign_in(const AuthGuardSettings& settings, const std::string& peer_ip, std::string_view who);
    void count_sign_in(const AuthGuardSettings& settings, const std::string& peer_ip, std::string_view who,
                       bool granted);
    // The throttle's account key of a professional: "psc:" and the PS_IdNat, at most 64 octets of it;
    // and of a token, the professional it claims to be (SubjectNameID, unverified; "psc:" when none).
    static std::string professional_key(std::string_view ps_idnat);
    static std::string token_claimant(std::string_view token);

private:
    ThrottleVerdict before_check(const Attempt& attempt, const ThrottlePolicy& policy);
    void count(const Attempt& attempt, const ThrottlePolicy& policy, bool granted, const std::string& peer_ip);

    HashPool pool_;
    std::mutex mutex_;  // guards throttle_
    Throttle throttle_;
    TokenAuthority tokens_;
};

}  // namespace mss::auth
