// One password check: throttle verdict, delay, look-up, KDF, counts. The look-up and the KDF run on
// different pools, so that a queue of guesses never holds up the store's work (mail, mailboxes).
#include "auth/guard.h"

#include <chrono>
#include <memory>

#include "auth/credentials.h"
#include "core/blocking.h"
#include "core/log.h"
#include "core/stream.h"

namespace mss::auth {
namespace {

// A refusal without a check (locked out, or the hashing queue full) waits this long, less if the
// lock-out ends sooner: a guesser retrying in a loop then costs us a timer per second and connection,
// not a spin of refusals and TLS handshakes on the I/O threads.
constexpr int64_t kRefusalPauseSeconds = 1;

ThrottlePolicy policy_of(const AuthGuardSettings& s) {
    return {.pair = {s.lockout_after, s.lockout, s.max_lockout},
            .address = {s.ip_lockout_after, s.lockout, s.max_lockout},
            .account = {s.account_delay_after, Seconds{1}, s.max_delay},
            .forget_after = s.forget_after};
}

// Waits on a timer of the caller's executor: the session's thread serves others meanwhile.
asio::awaitable<void> pause(int64_t seconds) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(seconds));
    co_await timer.async_wait(use_tuple);
}

// Runs work (returning bool) on the hash pool in client's turn (before others' when clean) and resumes the caller on its own
// executor with the result, or with nullopt at once when the pool's queue is full.
template <class Work, class Token>
auto async_hash(HashPool& pool, const std::string& client, HashQueueLimits limits, bool clean, Work work,
                Token&& token) {
    return asio::async_initiate<Token, void(std::optional<bool>)>(
        [&pool, &client, limits, clean](auto handler, Work work) {
            auto executor = asio::prefer(asio::get_associated_executor(handler),
                                         asio::execution::outstanding_work.tracked);
            auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
            auto resume = [executor, waiting](std::optional<bool> result) {
                asio::post(executor, [waiting, result] { (*waiting)(result); });
            };
            if (!pool.submit(client, limits, clean, [work = std::move(work), resume] { resume(work()); }))
                resume(std::nullopt);
        },
        token, std::move(work));
}

std::string describe(const LockOut& lock, const Attempt& attempt, const std::string& peer_ip) {
    std::string account = log::sanitize(attempt.account);
    switch (lock.kind) {
        case LockKind::Address:
            return fmt::format("lock-out of IP {} for {} s after {} failures", attempt.address, lock.duration.count(),
                               lock.failures);
        case LockKind::Pair:
            return fmt::format("lock-out of account {} from IP {} for {} s after {} failures", account, peer_ip,
                               lock.duration.count(), lock.failures);
        case LockKind::Account:
            return fmt::format("account {}: checks delayed {} s after {} failures from any address", account,
                               lock.duration.count(), lock.failures);
    }
    return {};
}

}  // namespace

ThrottleVerdict Guard::before_check(const Attempt& attempt, const ThrottlePolicy& policy) {
    std::lock_guard lock(mutex_);
    return throttle_.before_check(attempt, policy, Clock::now());
}

void Guard::count(const Attempt& attempt, const ThrottlePolicy& policy, bool granted, const std::string& peer_ip) {
    std::vector<LockOut> started;
    {
        std::lock_guard lock(mutex_);
        if (granted) throttle_.succeeded(attempt, policy, Clock::now());
        else started = throttle_.failed(attempt, policy, Clock::now());
    }
    for (const auto& l : started) log::warn("auth", "{}", describe(l, attempt, peer_ip));
}

asio::awaitable<PasswordCheck> Guard::check_password(const PasswordRequest& r) {
    const AuthGuardSettings& settings = r.config.auth;
    const ThrottlePolicy policy = policy_of(settings);
    const Attempt attempt{client_key(r.peer_ip), account_key(r.user)};
    const ThrottleVerdict verdict = before_check(attempt, policy);
    if (verdict.locked_out) {
        co_await pause(std::min<int64_t>(kRefusalPauseSeconds, verdict.wait.count()));
        co_return PasswordCheck{PasswordOutcome::LockedOut, std::nullopt};
    }
    if (verdict.wait.count() > 0) co_await pause(verdict.wait.count());
    auto lookup = run_blocking(r.store_pool, [&store = r.store, user = r.user] { return find_password_holder(store, user); });
    PasswordHolder holder = co_await std::move(lookup);
    auto hash = async_hash(
        pool_, attempt.address, {settings.hash_queue, settings.hash_queue_per_ip}, verdict.clean,
        [holder, password = r.password, log_n = r.config.password_scrypt_log_n] {
            return password_matches(holder, password, log_n);
        },
        asio::use_awaitable);
    std::optional<bool> matched = co_await std::move(hash);
    if (!matched) {
        co_await pause(kRefusalPauseSeconds);
        co_return PasswordCheck{PasswordOutcome::Busy, std::nullopt};
    }
    count(attempt, policy, *matched, r.peer_ip);
    if (!*matched) co_return PasswordCheck{PasswordOutcome::Refused, std::nullopt};
    co_return PasswordCheck{PasswordOutcome::Granted, std::move(holder.account)};
}

namespace {

// The throttle's account key for a bearer sign-in: the mailbox asked for, else the professional the
// token claims to be (unverified: only a key for counting failures).
std::string bearer_account_key(const BearerRequest& r) {
    if (!r.mailbox.empty()) return account_key(r.mailbox);
    return Guard::token_claimant(r.token);
}

}  // namespace

asio::awaitable<BearerCheck> Guard::check_bearer(const BearerRequest& r) {
    const ThrottlePolicy policy = policy_of(r.config.auth);
    const Attempt attempt{client_key(r.peer_ip), bearer_account_key(r)};
    const ThrottleVerdict verdict = before_check(attempt, policy);
    if (verdict.locked_out) {
        co_await pause(std::min<int64_t>(kRefusalPauseSeconds, verdict.wait.count()));
        co_return BearerCheck{BearerOutcome::LockedOut, std::nullopt, TokenFault::None, "locked out"};
    }
    if (verdict.wait.count() > 0) co_await pause(verdict.wait.count());
    auto work = run_blocking(r.store_pool, [this, &r] {
        TokenVerdict token = check_token(*r.config.oauth, r.token);
        if (token.fault == TokenFault::Unavailable)
            return BearerCheck{BearerOutcome::Unavailable, std::nullopt, token.fault, log::sanitize(token.detail)};
        if (token.fault != TokenFault::None)
            return BearerCheck{BearerOutcome::Refused, std::nullopt, token.fault,
                               fmt::format("token refused, {}: {}", to_string(token.fault), log::sanitize(token.detail))};
        MailboxChoice choice = mailbox_for(r.store, token.ps_idnat, r.mailbox);
        if (!choice.account)
            return BearerCheck{BearerOutcome::Refused, std::nullopt, TokenFault::None, choice.refusal};
        return BearerCheck{BearerOutcome::Granted, std::move(choice.account), TokenFault::None,
                           fmt::format("PS_IdNat {}", log::sanitize(token.ps_idnat))};
    });
    BearerCheck check = co_await std::move(work);
    if (check.outcome != BearerOutcome::Unavailable)
        count(attempt, policy, check.outcome == BearerOutcome::Granted, r.peer_ip);
    co_return check;
}

asio::awaitable<BearerCheck> Guard::sign_in_bearer(const BearerRequest& r, SaslExchange& exchange, std::string where) {
    auto work = check_bearer(r);
    BearerCheck check = co_await std::move(work);
    const std::string who = log::sanitize(r.mailbox.empty() ? "(no mailbox named)" : r.mailbox);
    switch (check.outcome) {
        case BearerOutcome::Granted: break;
        case BearerOutcome::Unavailable:
            log::warn(where, "bearer sign-in of {} from {} deferred: {}", who, r.peer_ip, check.reason);
            break;
        case BearerOutcome::LockedOut:
            log::warn(where, "bearer sign-in of {} from {} refused: locked out", who, r.peer_ip);
            break;
        case BearerOutcome::Refused:
            log::warn(where, "bearer sign-in of {} from {} refused: {}", who, r.peer_ip, check.reason);
            exchange.refuse_token(bearer_error(exchange.result().mechanism, check.fault));
            break;
    }
    co_return check;
}

std::string Guard::professional_key(std::string_view ps_idnat) {
    return "psc:" + std::string(ps_idnat.substr(0, 64));
}

std::string Guard::token_claimant(std::string_view token) {
    auto jws = parse_jws(token);
    if (jws && jws->claims.contains("SubjectNameID") && jws->claims["SubjectNameID"].is_string())
        return professional_key(jws->claims["SubjectNameID"].get<std::string>());
    return professional_key("");
}

ThrottleVerdict Guard::before_sign_in(const AuthGuardSettings& settings, const std::string& peer_ip,
                                      std::string_view who) {
    return before_check({client_key(peer_ip), account_key(std::string(who))}, policy_of(settings));
}

void Guard::count_sign_in(const AuthGuardSettings& settings, const std::string& peer_ip, std::string_view who,
                          bool granted) {
    count({client_key(peer_ip), account_key(std::string(who))}, policy_of(settings), granted, peer_ip);
}

TokenVerdict Guard::check_token(const OAuthConfig& oauth, std::string_view token) {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return tokens_.verify(oauth, token, now);
}

}  // namespace mss::auth
