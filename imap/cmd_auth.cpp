// Not-authenticated state (RFC 3501 6.2): STARTTLS, LOGIN (refused before TLS: LOGINDISABLED),
// AUTHENTICATE PLAIN / EXTERNAL / OAUTHBEARER / XOAUTH2 with SASL-IR (RFC 4959). Passwords and Pro
// Santé Connect tokens are checked by auth::Guard, as SMTP's are (lock-outs, delays, scrypt on its own
// threads); certificates by auth/credentials.
#include <fmt/format.h>

#include "auth/credentials.h"
#include "auth/guard.h"
#include "auth/sasl.h"
#include "core/blocking.h"
#include "core/log.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::learn_client_certificate() {
    auto peer = tls::peer_certificate(stream_->ssl());
    log::info("imap", "TLS from {}: {}", stream_->peer_ip(), tls::describe(stream_->ssl()));
    if (peer.presented && !peer.verified)
        log::warn("imap", "client certificate from {} refused, {}: {} ({})", stream_->peer_ip(), peer.reason,
                  peer.verify_error, log::sanitize(peer.subject));
    auto lookup = run_blocking(services_.blocking, [this, peer] { return auth::identify_certificate(services_.store, peer); });
    auto identity = co_await std::move(lookup);
    certificate_account_ = std::move(identity.account);
    certificate_refusal_ = std::move(identity.refusal);
}

asio::awaitable<bool> Session::cmd_starttls(const Command& cmd) {
    if (stream_->secure()) {
        bad(cmd, "TLS is already active");
        co_return true;
    }
    ok(cmd, "Begin TLS negotiation now");
    if (!co_await stream_->flush()) co_return false;
    if (std::size_t dropped = assembler_.discard_buffered() + stream_->discard_input())
        log::warn("imap", "{}: dropped {} octets pipelined after STARTTLS", stream_->peer_ip(), dropped);
    std::string error;
    if (!co_await stream_->handshake(error, handshake_deadline())) {
        log::warn("imap", "TLS handshake with {} failed: {}", stream_->peer_ip(), log::sanitize(error));
        co_return false;
    }
    co_await learn_client_certificate();
    co_return true;
}

void Session::logged_in(const Command& cmd, store::Account account, std::string_view how) {
    log::info("imap", "{} {} from {}", how, account.address, stream_->peer_ip());
    user_ = std::move(account);
    state_ = State::Authenticated;
    lift_login_limits();
    ok(cmd, "Logged in", Code::Capability, capabilities());
}

// RFC 8437: back to the not-authenticated state as on a new connection (TLS is kept): no user, no
// mailbox, no extension enabled, the limits and the deadline of a session before login.
void Session::cmd_unauthenticate(const Command& cmd) {
    log::info("imap", "UNAUTHENTICATE {} from {}", user_->address, stream_->peer_ip());
    selected_.reset();
    user_.reset();
    state_ = State::NotAuthenticated;
    condstore_ = qresync_ = rev2_ = utf8_accept_ = false;
    assembler_.set_limits(before_login_limits());
    login_deadline_ = std::chrono::steady_clock::now() + config_->limits.login_timeout;
    ok(cmd, "UNAUTHENTICATE completed");
}

asio::awaitable<bool> Session::cmd_login(const Command& cmd) {
    if (!stream_->secure()) {
        no(cmd, Code::PrivacyRequired, "LOGIN needs TLS: use STARTTLS first");
        co_return true;
    }
    const auto& args = std::get<LoginArgs>(cmd.args);
    co_return co_await password_sign_in(cmd, args.user, args.password, "LOGIN");
}

// Through the guard shared with SMTP; false when the session is over (too many failures).
asio::awaitable<bool> Session::password_sign_in(const Command& cmd, const std::string& user,
                                                const std::string& password, std::string_view how) {
    auth::PasswordRequest request{services_.store, services_.blocking, *config_, stream_->peer_ip(), user, password};
    auto check = services_.guard.check_password(request);
    auth::PasswordCheck result = co_await std::move(check);
    switch (result.outcome) {
        case auth::PasswordOutcome::Granted: logged_in(cmd, std::move(*result.account), how); co_return true;
        case auth::PasswordOutcome::Busy:
            log::warn("imap", "authentication of {} from {} deferred: password checks queue full", log::sanitize(user),
                      stream_->peer_ip());
            no(cmd, Code::Unavailable, "Authentication service busy, try again later");
            co_return true;
        case auth::PasswordOutcome::LockedOut:
            log::warn("imap", "authentication of {} from {} refused: locked out", log::sanitize(user),
                      stream_->peer_ip());
            no(cmd, Code::Unavailable, "Too many failed authentications, try again later");
            break;
        case auth::PasswordOutcome::Refused:
            log::warn("imap", "authentication failed for {} from {}", log::sanitize(user), stream_->peer_ip());
            no(cmd, Code::AuthenticationFailed, "Authentication failed");
            break;
    }
    co_return count_auth_failure();
}

// After auth.session_failures refusals the session ends: a guesser must reconnect (TLS again).
bool Session::count_auth_failure() {
    if (++auth_failures_ < config_->auth.session_failures) return true;
    log::warn("imap", "{} failed authentications from {}, closing", auth_failures_, stream_->peer_ip());
    untagged("BYE Too many failed authentications");
    return false;
}

asio::awaitable<bool> Session::cmd_authenticate(const Command& cmd) {
    const auto& args = std::get<AuthenticateArgs>(cmd.args);
    if (!stream_->secure()) {
        no(cmd, Code::PrivacyRequired, "AUTHENTICATE needs TLS: use STARTTLS first");
        co_return true;
    }
    auth::SaslExchange exchange(args.mechanism, args.initial_response);
    if (exchange.bearer() && !config_->oauth) {
        no(cmd, Code::Cannot, "Unsupported mechanism");
        co_return true;
    }
    while (auto challenge = exchange.challenge()) {
        stream_->send(fmt::format("+ {}\r\n", *challenge));
        auto answer = read_continuation(cmd.tag);
        auto line = co_await std::move(answer);
        if (!line) co_return !assembler_.closed();
        exchange.respond(*line);
    }
    const auth::SaslResult& result = exchange.result();
    switch (result.failure) {
        case auth::SaslFailure::None: break;
        case auth::SaslFailure::Unsupported: no(cmd, Code::Cannot, "Unsupported mechanism"); co_return true;
        case auth::SaslFailure::Cancelled: bad(cmd, "Authentication cancelled"); co_return true;
        case auth::SaslFailure::Malformed: bad(cmd, "Malformed authentication response"); co_return true;
        case auth::SaslFailure::BadCredentials:
            no(cmd, Code::AuthenticationFailed, "Authentication failed");
            co_return true;
    }
    if (exchange.bearer()) co_return co_await bearer_sign_in(cmd, exchange);
    if (result.mechanism == auth::SaslMechanism::External) {
        std::string reason = certificate_account_ ? "" : certificate_refusal_;
        if (certificate_account_ && !result.authzid.empty() && result.authzid != certificate_account_->address)
            reason = "authorization identity does not match the certificate's mailbox";
        if (!reason.empty()) {
            log::warn("imap", "AUTHENTICATE EXTERNAL from {} refused: {}", stream_->peer_ip(), reason);
            no(cmd, Code::AuthenticationFailed, "Authentication failed");
            co_return count_auth_failure();
        }
        logged_in(cmd, *certificate_account_, "AUTHENTICATE EXTERNAL");
        co_return true;
    }
    co_return co_await password_sign_in(cmd, result.authcid, result.password, "AUTHENTICATE");
}

asio::awaitable<bool> Session::bearer_sign_in(const Command& cmd, auth::SaslExchange& exchange) {
    const auth::SaslResult& sasl = exchange.result();
    auth::BearerRequest request{services_.store, services_.blocking, *config_, stream_->peer_ip(), sasl.authzid, sasl.token};
    auto check = services_.guard.sign_in_bearer(request, exchange, "imap");
    auth::BearerCheck result = co_await std::move(check);
    switch (result.outcome) {
        case auth::BearerOutcome::Granted:
            logged_in(cmd, std::move(*result.account), fmt::format("AUTHENTICATE {}", result.reason));
            co_return true;
        case auth::BearerOutcome::Unavailable:
            no(cmd, Code::Unavailable, "Authentication service unavailable, try again later");
            co_return true;
        case auth::BearerOutcome::LockedOut:
            no(cmd, Code::Unavailable, "Too many failed authentications, try again later");
            co_return count_auth_failure();
        case auth::BearerOutcome::Refused: break;
    }
    stream_->send(fmt::format("+ {}\r\n", *exchange.challenge()));
    auto answer = read_continuation(cmd.tag);
    if (!co_await std::move(answer)) co_return !assembler_.closed();
    no(cmd, Code::AuthenticationFailed, "Authentication failed");
    co_return count_auth_failure();
}

}  // namespace mss::imap
