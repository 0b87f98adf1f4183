// The session state machine. Replies are queued and leave in one write when the client's pipelined
// input is used up; every negative reply counts towards the error limit.
#include "smtp/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "core/base64.h"
#include "core/blocking.h"
#include "core/date.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/unique.h"
#include "auth/credentials.h"
#include "auth/guard.h"
#include "auth/sasl.h"
#include "pipeline/direct_notice.h"
#include "pipeline/cda_parts.h"
#include "pipeline/smime.h"
#include "smtp/dsn.h"
#include "smtp/dsn_return.h"
#include "smtp/intake.h"
#include "smtp/parse/content.h"

namespace mss::smtp {
namespace {

constexpr std::size_t kSaslLineMax = 12288 + 2;  // RFC 4954 section 4

Reply sasl_refusal(auth::SaslFailure failure) {
    switch (failure) {
        case auth::SaslFailure::Unsupported: return {504, "5.5.4", "Unrecognized authentication type"};
        case auth::SaslFailure::Cancelled: return {501, "5.7.0", "Authentication cancelled"};
        case auth::SaslFailure::Malformed: return {501, "5.5.2", "Cannot decode the response"};
        default: return {535, "5.7.8", "Authentication credentials invalid"};
    }
}

// A local recipient whose RCPT asked NOTIFY=SUCCESS: an Action: delivered report once filed.
struct DeliveryNotice {
    std::string address;
    std::string orcpt;
};

struct Transaction {
    Path from;
    MailParams params;
    std::vector<store::Account> recipients;  // distinct accounts
    std::vector<std::string> remote;         // distinct addresses at other operators
    unsigned accepted = 0;                   // RCPT commands accepted, duplicates included
    std::optional<ChunkReader> chunks;       // BDAT in progress
    bool chunks_failed = false;
    // Set by DATA or the first BDAT: the whole message must have come by then.
    std::optional<std::chrono::steady_clock::time_point> message_deadline;
    std::vector<store::RemoteRecipientDsn> remote_dsn{};  // NOTIFY/ORCPT, one per `remote` entry
    std::vector<DeliveryNotice> notices{};
};

bool has_dsn_params(const Command& cmd) {
    return cmd.mail.ret != Ret::Unspecified || cmd.mail.envid || cmd.rcpt.notify || cmd.rcpt.orcpt;
}

class Session {
public:
    Session(std::shared_ptr<Stream> stream, Port port, Services& services)
        : stream_(std::move(stream)), port_(port), services_(services), config_(services.config()) {}

    asio::awaitable<void> run(Admission admission);

private:
    // Replies
    void say(const Reply& reply);
    void say_lines(int code, const std::vector<std::string>& lines);
    bool too_many_errors() const { return errors_ >= config_->limits.max_errors; }

    // Commands; each returns false when the session must end.
    asio::awaitable<bool> dispatch(const Command& cmd);
    void on_ehlo(const Command& cmd, bool extended);
    asio::awaitable<bool> on_starttls();
    asio::awaitable<bool> on_auth(const Command& cmd);
    asio::awaitable<void> on_mail(const Command& cmd);
    asio::awaitable<void> on_rcpt(const Command& cmd);
    asio::awaitable<bool> on_data();
    asio::awaitable<bool> on_bdat(const Command& cmd);

    asio::awaitable<std::optional<std::string>> read_sasl_response(const std::string& challenge);
    asio::awaitable<bool> authenticate_password(const std::string& user, const std::string& password);
    asio::awaitable<bool> authenticate_bearer(auth::SaslExchange& exchange);
    asio::awaitable<bool> count_auth_failure();
    asio::awaitable<void> learn_client_certificate();
    asio::awaitable<void> deliver(std::string message);
    asio::awaitable<void> report_deliveries(const std::string& id, const std::string& message);
    asio::awaitable<Reply> header_senders_step(std::string_view message);
    asio::awaitable<Result<pipeline::SmimeOutcome>> smime_step(std::string message);
    store::Delivery delivery_of(const std::string& id, pipeline::SmimeOutcome& smime) const;
    void log_smime(const std::string& id, const pipeline::SmimeOutcome& smime) const;
    std::optional<pipeline::DirectRequest> direct_request_of(const std::string& id, std::string_view message) const;
    void queue_direct_notices(const std::string& id, const pipeline::DirectRequest& request,
                              store::Delivery& delivery) const;
    std::string received_header(const std::string& id) const;
    void refer_to_stored_copy(store::FilingRequest& request, const pipeline::SmimeOutcome& smime) const;
    ContentLimits content_limits() const {
        return {config_->limits.max_message_size, config_->limits.max_text_line};
    }
    // The last reply before closing: not counted as an error, written by close().
    void say_last(const Reply& reply) { stream_->send(format_reply(reply)); }
    // Bounds the coming reads: each by `each`, all of them by `within` from now and by the
    // message's deadline when a message is coming.
    void bound_reads(std::chrono::seconds each, std::chrono::seconds within);
    asio::awaitable<bool> timed_out(std::string_view waiting_for);

    std::shared_ptr<Stream> stream_;
    Port port_;
    Services& services_;
    std::shared_ptr<const Config> config_;
    std::string helo_;
    bool esmtp_ = false;
    std::optional<store::Account> principal_;
    std::optional<store::Account> certificate_account_;  // applicative mailbox of a verified client cert
    std::string certificate_refusal_ = "no client certificate";  // why there is none
    tls::PeerCertificate peer_cert_;
    std::optional<Transaction> tx_;
    unsigned errors_ = 0;
    unsigned auth_failures_ = 0;  // refused credentials and lock-out refusals, toward auth.session_failures
    unsigned messages_ = 0;
};

void Session::say(const Reply& reply) {
    if (!reply.positive()) ++errors_;
    stream_->send(format_reply(reply));
}

void Session::say_lines(int code, const std::vector<std::string>& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        stream_->send(fmt::format("{}{}{}\r\n", code, i + 1 == lines.size() ? ' ' : '-', lines[i]));
}

void Session::bound_reads(std::chrono::seconds each, std::chrono::seconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    if (tx_ && tx_->message_deadline) deadline = std::min(deadline, *tx_->message_deadline);
    stream_->set_timeout(each);
    stream_->set_deadline(deadline);
}

// The reply to a client that let a bound pass, then the end of the session.
asio::awaitable<bool> Session::timed_out(std::string_view waiting_for) {
    log::info(to_string(port_), "timeout waiting for {} from {}{}", waiting_for, stream_->peer_ip(),
              tx_ && tx_->message_deadline ? ": nothing stored" : "");
    say_last({421, "4.4.2", fmt::format("{} Timeout exceeded, closing connection", config_->hostname)});
    co_await stream_->close();
    co_return false;
}

asio::awaitable<void> Session::run(Admission admission) {
    const std::string where = std::string(to_string(port_));
    if (!admission.admitted) {
        log::warn(where, "refused {}: {}", stream_->peer_ip(), admission.reason);
        // On implicit TLS a reply in clear would be garbage to the client: close instead.
        if (port_ != Port::Submissions)
            say_last({421, "4.7.0", fmt::format("{} {}, try again later", config_->hostname, admission.reason)});
        co_await stream_->close();
        co_return;
    }
    log::info(where, "connect from {}", stream_->peer_ip());
    if (port_ == Port::Submissions) {
        std::string error;
        if (!co_await stream_->handshake(error, std::chrono::steady_clock::now() + config_->limits.handshake_timeout)) {
            log::warn(where, "TLS handshake with {} failed: {}", stream_->peer_ip(), log::sanitize(error));
            co_await stream_->close();
            co_return;
        }
        co_await learn_client_certificate();
    }
    say({220, "", fmt::format("{} ESMTP mssd", config_->hostname)});
    for (;;) {
        bound_reads(config_->limits.command_timeout, config_->limits.command_timeout);
        stream_->set_idle(true);
        // Up to the AUTH limit: parse_command refuses longer lines of other commands.
        LineRead in = co_await stream_->read_line(std::max(config_->limits.max_command_line, kSaslLineMax));
        stream_->set_idle(false);
        if (in.status == ReadStatus::Closed) {
            log::info(where, "disconnect from {}{}", stream_->peer_ip(), tx_ ? " inside a transaction" : "");
            co_return;
        }
        if (in.status == ReadStatus::TimedOut) {
            co_await timed_out("a command");
            co_return;
        }
        if (in.status == ReadStatus::Interrupted) {
            say_last({421, "4.3.2", fmt::format("{} Service shutting down", config_->hostname)});
            co_await stream_->close();
            co_return;
        }
        if (in.status == ReadStatus::TooLong) {
            log::info(where, "overlong command line from {}", stream_->peer_ip());
            say({500, "5.5.2", "Line too long"});
        } else {
            auto parsed = parse_command(in.line, {.max_line = config_->limits.max_command_line});
            if (auto* reply = std::get_if<Reply>(&parsed)) {
                log::info(where, "{} from {}: {}", reply->code, stream_->peer_ip(), log::sanitize(in.line));
                say(*reply);
            } else if (!co_await dispatch(std::get<Command>(parsed))) {
                co_return;
            }
        }
        if (too_many_errors()) {
            log::warn(where, "too many errors from {}, closing", stream_->peer_ip());
            say_last({421, "4.7.0", fmt::format("{} Too many errors, closing connection", config_->hostname)});
            co_await stream_->close();
            co_return;
        }
    }
}

asio::awaitable<bool> Session::dispatch(const Command& cmd) {
    switch (cmd.verb) {
        case Verb::Ehlo: on_ehlo(cmd, true); break;
        case Verb::Helo: on_ehlo(cmd, false); break;
        case Verb::StartTls: co_return co_await on_starttls();
        case Verb::Auth: co_return co_await on_auth(cmd);
        case Verb::Mail: co_await on_mail(cmd); break;
        case Verb::Rcpt: co_await on_rcpt(cmd); break;
        case Verb::Data: co_return co_await on_data();
        case Verb::Bdat: co_return co_await on_bdat(cmd);
        case Verb::Rset:
            tx_.reset();
            say({250, "2.0.0", "Ok"});
            break;
        case Verb::Noop: say({250, "2.0.0", "Ok"}); break;
        case Verb::Vrfy: say({252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery"}); break;
        case Verb::Expn: say({502, "5.5.1", "EXPN not available"}); break;
        case Verb::Help: say({214, "2.0.0", "mssd: see RFC 5321"}); break;
        case Verb::Quit:
            log::info(to_string(port_), "quit from {} after {} message(s)", stream_->peer_ip(), messages_);
            say_last({221, "2.0.0", "Bye"});
            co_await stream_->close();
            co_return false;
    }
    co_return true;
}

void Session::on_ehlo(const Command& cmd, bool extended) {
    helo_ = cmd.argument;
    esmtp_ = extended;
    tx_.reset();
    if (!extended) {
        say({250, "", config_->hostname});
        return;
    }
    std::vector<std::string> lines = {config_->hostname, "PIPELINING",
                                      fmt::format("SIZE {}", config_->limits.max_message_size), "8BITMIME",
                                      "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "DSN"};
    if (!stream_->secure()) lines.push_back("STARTTLS");
    if (stream_->secure() && requires_auth(port_))
        lines.push_back(std::string(certificate_account_ ? "AUTH PLAIN LOGIN EXTERNAL" : "AUTH PLAIN LOGIN") +
                        (config_->oauth ? " OAUTHBEARER XOAUTH2" : ""));
    say_lines(250, lines);
}

asio::awaitable<bool> Session::on_starttls() {
    if (stream_->secure()) {
        say({503, "5.5.1", "TLS already active"});
        co_return true;
    }
    stream_->send(format_reply({220, "2.0.0", "Ready to start TLS"}));
    if (!co_await stream_->flush()) co_return false;
    if (std::size_t dropped = stream_->discard_input())
        log::warn(to_string(port_), "{}: dropped {} octets pipelined after STARTTLS", stream_->peer_ip(), dropped);
    std::string error;
    if (!co_await stream_->handshake(error, std::chrono::steady_clock::now() + config_->limits.handshake_timeout)) {
        log::warn(to_string(port_), "TLS handshake with {} failed: {}", stream_->peer_ip(), log::sanitize(error));
        co_await stream_->close();
        co_return false;
    }
    helo_.clear();  // RFC 3207 4.2: forget everything learnt before TLS
    esmtp_ = false;
    tx_.reset();
    co_await learn_client_certificate();
    co_return true;
}

asio::awaitable<void> Session::learn_client_certificate() {
    peer_cert_ = tls::peer_certificate(stream_->ssl());
    std::string where(to_string(port_));
    log::info(where, "TLS from {}: {}", stream_->peer_ip(), tls::describe(stream_->ssl()));
    if (!peer_cert_.presented) co_return;
    if (!peer_cert_.verified)
        log::warn(where, "client certificate from {} refused, {}: {} ({})", stream_->peer_ip(), peer_cert_.reason,
                  peer_cert_.verify_error, log::sanitize(peer_cert_.subject));
    auto lookup = run_blocking(services_.blocking, [this] {
        return auth::identify_certificate(services_.store, peer_cert_);
    });
    auto identity = co_await std::move(lookup);
    certificate_account_ = std::move(identity.account);
    certificate_refusal_ = std::move(identity.refusal);
}

asio::awaitable<std::optional<std::string>> Session::read_sasl_response(const std::string& challenge) {
    stream_->send(fmt::format("334 {}\r\n", challenge));
    bound_reads(config_->limits.command_timeout, config_->limits.command_timeout);
    LineRead in = co_await stream_->read_line(kSaslLineMax);
    if (in.status != ReadStatus::Ok) {
        if (in.status == ReadStatus::TooLong) say({500, "5.5.6", "Authentication exchange line is too long"});
        if (in.status == ReadStatus::TimedOut) co_await timed_out("an authentication response");
        co_return std::nullopt;
    }
    std::string_view line(in.line);
    if (line.size() >= 2 && line.substr(line.size() - 2) == "\r\n") line.remove_suffix(2);
    co_return std::string(line);
}

asio::awaitable<bool> Session::on_auth(const Command& cmd) {
    if (!requires_auth(port_)) {
        say({503, "5.5.1", "AUTH not available on this port"});
        co_return true;
    }
    if (!stream_->secure()) {
        say({530, "5.7.0", "Must issue a STARTTLS command first"});
        co_return true;
    }
    if (helo_.empty() || !esmtp_) {
        say({503, "5.5.1", "Send EHLO first"});
        co_return true;
    }
    if (principal_ || tx_) {
        say({503, "5.5.1", principal_ ? "Already authenticated" : "AUTH not allowed during a mail transaction"});
        co_return true;
    }
    auth::SaslExchange exchange(cmd.argument, cmd.initial_response);
    if (exchange.bearer() && !config_->oauth) {
        say(sasl_refusal(auth::SaslFailure::Unsupported));
        co_return true;
    }
    while (auto challenge = exchange.challenge()) {
        auto response = co_await read_sasl_response(*challenge);
        if (!response) co_return stream_->secure();
        exchange.respond(*response);
    }
    const auth::SaslResult& result = exchange.result();
    if (result.failure != auth::SaslFailure::None) {
        say(sasl_refusal(result.failure));
        co_return true;
    }
    if (exchange.bearer()) co_return co_await authenticate_bearer(exchange);
    if (result.mechanism == auth::SaslMechanism::External) {
        std::string reason;
        if (!certificate_account_) reason = certificate_refusal_;
        else if (!result.authzid.empty() && result.authzid != certificate_account_->address)
            reason = "authorization identity does not match the certificate's mailbox";
        if (!reason.empty()) {
            log::warn(to_string(port_), "AUTH EXTERNAL from {} refused: {}", stream_->peer_ip(), reason);
            say({535, "5.7.8", "Authentication credentials invalid"});
            co_return co_await count_auth_failure();
        }
        principal_ = certificate_account_;
        log::info(to_string(port_), "AUTH EXTERNAL from {}: {}", stream_->peer_ip(), principal_->address);
        say({235, "2.7.0", "Authentication successful"});
        co_return true;
    }
    co_return co_await authenticate_password(result.authcid, result.password);
}

// Through the guard shared with IMAP; false when the session is over (too many failures).
asio::awaitable<bool> Session::authenticate_password(const std::string& user, const std::string& password) {
    const std::string where(to_string(port_));
    auth::PasswordRequest request{services_.store, services_.blocking, *config_, stream_->peer_ip(), user, password};
    auto check = services_.guard.check_password(request);
    auth::PasswordCheck result = co_await std::move(check);
    switch (result.outcome) {
        case auth::PasswordOutcome::Granted:
            principal_ = std::move(result.account);
            log::info(where, "authenticated {} from {}", principal_->address, stream_->peer_ip());
            say({235, "2.7.0", "Authentication successful"});
            co_return true;
        case auth::PasswordOutcome::Busy:
            log::warn(where, "authentication of {} from {} deferred: password checks queue full", log::sanitize(user),
                      stream_->peer_ip());
            say({454, "4.7.0", "Temporary authentication failure, try again later"});
            co_return true;
        case auth::PasswordOutcome::LockedOut:
            log::warn(where, "authentication of {} from {} refused: locked out", log::sanitize(user), stream_->peer_ip());
            say({454, "4.7.0", "Too many failed authentications, try again later"});
            break;
        case auth::PasswordOutcome::Refused:
            log::warn(where, "authentication failed for {} from {}", log::sanitize(user), stream_->peer_ip());
            say({535, "5.7.8", "Authentication credentials invalid"});
            break;
    }
    co_return co_await count_auth_failure();
}

// A Pro Santé Connect token through the guard; a refusal first sends the error challenge and reads
// the client's answer (RFC 7628 section 3.2.3), then 535.
asio::awaitable<bool> Session::authenticate_bearer(auth::SaslExchange& exchange) {
    const std::string where(to_string(port_));
    const auth::SaslResult& sasl = exchange.result();
    auth::BearerRequest request{services_.store, services_.blocking, *config_, stream_->peer_ip(), sasl.authzid, sasl.token};
    auto check = services_.guard.sign_in_bearer(request, exchange, where);
    auth::BearerCheck result = co_await std::move(check);
    switch (result.outcome) {
        case auth::BearerOutcome::Granted:
            principal_ = std::move(result.account);
            log::info(where, "authenticated {} from {} by bearer token, {}", principal_->address, stream_->peer_ip(),
                      result.reason);
            say({235, "2.7.0", "Authentication successful"});
            co_return true;
        case auth::BearerOutcome::Unavailable:
            say({454, "4.7.0", "Temporary authentication failure, try again later"});
            co_return true;
        case auth::BearerOutcome::LockedOut:
            say({454, "4.7.0", "Too many failed authentications, try again later"});
            co_return co_await count_auth_failure();
        case auth::BearerOutcome::Refused: break;
    }
    if (!co_await read_sasl_response(*exchange.challenge())) co_return stream_->secure();
    say({535, "5.7.8", "Authentication credentials invalid"});
    co_return co_await count_auth_failure();
}

// After auth.session_failures refusals the session ends: a guesser must reconnect (TLS again).
asio::awaitable<bool> Session::count_auth_failure() {
    if (++auth_failures_ < config_->auth.session_failures) co_return true;
    log::warn(to_string(port_), "{} failed authentications from {}, closing", auth_failures_, stream_->peer_ip());
    say_last({421, "4.7.0", fmt::format("{} Too many failed authentications, closing connection", config_->hostname)});
    co_await stream_->close();
    co_return false;
}

asio::awaitable<void> Session::on_mail(const Command& cmd) {
    if (helo_.empty()) co_return say({503, "5.5.1", "Send HELO/EHLO first"});
    if (tx_) co_return say({503, "5.5.1", "Nested MAIL command"});
    if (requires_auth(port_) && !principal_) co_return say({530, "5.7.0", "Authentication required"});
    if (cmd.mail.body == Body::BinaryMime) co_return say({555, "5.5.4", "BODY=BINARYMIME is not supported"});
    if ((cmd.mail.smtputf8 || cmd.mail.body == Body::EightBitMime || has_dsn_params(cmd)) && !esmtp_)
        co_return say({555, "5.5.4", "Parameters need EHLO"});
    if (cmd.mail.size && *cmd.mail.size > config_->limits.max_message_size)
        co_return say({552, "5.3.4", "Message size exceeds fixed maximum message size"});
    if (cmd.path.non_ascii && !cmd.mail.smtputf8)
        co_return say({553, "5.6.7", "Non-ASCII address needs the SMTPUTF8 parameter"});
    const store::Account* principal = principal_ ? &*principal_ : nullptr;
    auto check = run_blocking(services_.blocking, [this, principal, path = cmd.path] {
        Reply verdict = check_sender(services_.store, *config_, port_, principal, path);
        if (!verdict.positive() || requires_auth(port_)) return verdict;
        return check_relay_sender(services_.directory, *config_, peer_cert_, path);
    });
    Reply verdict = co_await std::move(check);
    if (verdict.positive()) tx_ = Transaction{cmd.path, cmd.mail, {}, {}, 0, {}, false, {}};
    else log::info(to_string(port_), "sender refused from {}: {}", stream_->peer_ip(), verdict.text);
    say(verdict);
}

asio::awaitable<void> Session::on_rcpt(const Command& cmd) {
    if (!tx_) co_return say({503, "5.5.1", "Need MAIL command"});
    if (tx_->chunks) co_return say({503, "5.5.1", "RCPT not allowed during BDAT"});
    if (tx_->accepted >= config_->limits.max_recipients)
        co_return say({452, "4.5.3", "Too many recipients"});
    if (cmd.path.non_ascii && !tx_->params.smtputf8)
        co_return say({553, "5.6.7", "Non-ASCII address needs SMTPUTF8 on MAIL FROM"});
    if (has_dsn_params(cmd) && !esmtp_) co_return say({555, "5.5.4", "Parameters need EHLO"});
    auto check = run_blocking(services_.blocking, [this, path = cmd.path] {
        return check_recipient(services_.store, services_.directory, *config_, port_, path);
    });
    auto decision = co_await std::move(check);
    if (auto* reply = std::get_if<Reply>(&decision)) {
        log::info(to_string(port_), "recipient refused from {}: {}", stream_->peer_ip(), reply->text);
        co_return say(*reply);
    }
    if (auto* remote = std::get_if<RemoteRecipient>(&decision)) {
        if (std::find(tx_->remote.begin(), tx_->remote.end(), remote->address) == tx_->remote.end()) {
            tx_->remote.push_back(std::move(remote->address));
            tx_->remote_dsn.push_back({cmd.rcpt.notify ? notify_text(*cmd.rcpt.notify) : "", cmd.rcpt.orcpt.value_or("")});
        }
        ++tx_->accepted;
        co_return say({250, "2.1.5", "Recipient OK (to be relayed)"});
    }
    auto& account = std::get<store::Account>(decision);
    bool duplicate = std::any_of(tx_->recipients.begin(), tx_->recipients.end(),
                                 [&](const store::Account& a) { return a.id == account.id; });
    if (!duplicate && cmd.rcpt.notify && (*cmd.rcpt.notify & kNotifySuccess))
        tx_->notices.push_back({account.address, cmd.rcpt.orcpt.value_or("")});
    if (!duplicate) tx_->recipients.push_back(std::move(account));
    ++tx_->accepted;
    say({250, "2.1.5", "Recipient OK"});
}

asio::awaitable<bool> Session::on_data() {
    if (!tx_) co_return say({503, "5.5.1", "Need MAIL command"}), true;
    if (tx_->chunks) co_return say({503, "5.5.1", "DATA not allowed after BDAT"}), true;
    if (tx_->recipients.empty() && tx_->remote.empty()) co_return say({554, "5.5.1", "No valid recipients"}), true;
    stream_->send(format_reply({354, "", "End data with <CR><LF>.<CR><LF>"}));
    DataReader reader(content_limits());
    tx_->message_deadline = std::chrono::steady_clock::now() + config_->limits.message_timeout;
    bound_reads(config_->limits.data_timeout, config_->limits.message_timeout);
    while (!reader.done()) {
        ReadStatus status;
        std::string_view bytes = co_await stream_->read_available(status);
        if (status == ReadStatus::TimedOut) co_return co_await timed_out("the message's content");
        if (status != ReadStatus::Ok) {
            log::warn(to_string(port_), "disconnect during DATA from {}: nothing stored", stream_->peer_ip());
            co_await stream_->close();
            co_return false;
        }
        stream_->consume(reader.feed(bytes));
    }
    if (reader.verdict()) {
        log::info(to_string(port_), "message from {} refused: {}", stream_->peer_ip(), reader.verdict()->text);
        tx_.reset();
        co_return say(*reader.verdict()), true;
    }
    co_await deliver(reader.take_message());
    co_return true;
}

asio::awaitable<bool> Session::on_bdat(const Command& cmd) {
    // The chunk's octets follow the command whatever we answer: read them all to stay in step.
    std::optional<Reply> refusal;
    if (!tx_) refusal = Reply{503, "5.5.1", "Need MAIL command"};
    else if (tx_->recipients.empty() && tx_->remote.empty()) refusal = Reply{554, "5.5.1", "No valid recipients"};
    if (tx_ && !refusal && !tx_->chunks) {
        tx_->chunks.emplace(content_limits());
        tx_->message_deadline = std::chrono::steady_clock::now() + config_->limits.message_timeout;
    }
    bound_reads(config_->limits.data_timeout, config_->limits.message_timeout);
    uint64_t left = cmd.chunk_size;
    while (left > 0) {
        ReadStatus status;
        std::string_view bytes = co_await stream_->read_available(status);
        if (status == ReadStatus::TimedOut) co_return co_await timed_out("a BDAT chunk");
        if (status != ReadStatus::Ok) {
            log::warn(to_string(port_), "disconnect during BDAT from {}: nothing stored", stream_->peer_ip());
            co_return false;
        }
        std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(left, bytes.size()));
        if (!refusal) tx_->chunks->feed(bytes.substr(0, take));
        stream_->consume(take);
        left -= take;
    }
    if (refusal) {
        if (tx_) tx_.reset();
        co_return say(*refusal), true;
    }
    if (!cmd.last_chunk) {
        if (auto& v = tx_->chunks->verdict()) say(*v);  // keep reading; the transaction is lost
        else say({250, "2.0.0", fmt::format("{} octets received", cmd.chunk_size)});
        if (tx_->chunks->verdict()) tx_.reset();
        co_return true;
    }
    if (auto& v = tx_->chunks->verdict()) {
        Reply r = *v;
        tx_.reset();
        co_return say(r), true;
    }
    co_await deliver(tx_->chunks->take_message());
    co_return true;
}

std::string Session::received_header(const std::string& id) const {
    bool utf8 = tx_->params.smtputf8;
    std::string proto = std::string(utf8 ? "UTF8SMTP" : (esmtp_ ? "ESMTP" : "SMTP"));
    if (utf8 || esmtp_) {
        if (stream_->secure()) proto += 'S';
        if (principal_) proto += 'A';
    }
    std::string header = fmt::format("Received: from {} ([{}])\r\n", log::sanitize(helo_, 255), stream_->peer_ip());
    if (stream_->secure()) header += fmt::format("\t(using {})\r\n", tls::describe(stream_->ssl()));
    if (principal_) header += fmt::format("\t(Authenticated sender: {})\r\n", principal_->address);
    header += fmt::format("\tby {} (mssd) with {} id {}", config_->hostname, proto, id);
    if (tx_->recipients.size() + tx_->remote.size() == 1)
        header += fmt::format("\r\n\tfor <{}>",
                              tx_->recipients.empty() ? tx_->remote.front() : tx_->recipients.front().address);
    header += fmt::format("; {}\r\n", rfc5322_date(std::time(nullptr)));
    return header;
}

// From and Sender against the sender's rights (policy.h). On the relay port the rule looks nothing up
// in the store (our own domains are refused whoever asks): it runs here, not on the blocking pool.
asio::awaitable<Reply> Session::header_senders_step(std::string_view message) {
    if (!requires_auth(port_)) co_return check_header_senders(services_.store, *config_, port_, nullptr, message);
    const store::Account* principal = principal_ ? &*principal_ : nullptr;
    auto check = run_blocking(services_.blocking, [this, principal, message] {
        return check_header_senders(services_.store, *config_, port_, principal, message);
    });
    co_return co_await std::move(check);
}

// The S/MIME step (pipeline/smime.h) on the blocking pool: RSA must not stall other connections.
asio::awaitable<Result<pipeline::SmimeOutcome>> Session::smime_step(std::string message) {
    pipeline::Envelope envelope;
    if (requires_auth(port_)) envelope.submitter = tx_->from.address();
    for (auto& r : tx_->recipients) envelope.recipients.push_back(r.address);
    envelope.message = std::move(message);
    envelope.outbound = !tx_->remote.empty();
    envelope.remote = tx_->remote;
    auto step = run_blocking(services_.blocking, [this, envelope = std::move(envelope)]() mutable {
        pipeline::SmimeServices smime{services_.store, services_.vault, services_.trust(), *config_};
        return pipeline::process(smime, std::move(envelope));
    });
    co_return co_await std::move(step);
}

// The filing job refers to the delivery's shared stored copy (recipient 0's) when the S/MIME step
// left the message as submitted: the stored copy then holds it, past its trace fields.
void Session::refer_to_stored_copy(store::FilingRequest& request, const pipeline::SmimeOutcome& smime) const {
    if (smime.filings.empty()) return;
    const std::string& filed = smime.filings.front().content;
    if (request.content.size() != request.received_size + filed.size() ||
        std::string_view(request.content).substr(request.received_size) != filed)
        return;
    request.use_stored_copy = true;
    request.content.clear();
}

store::Delivery Session::delivery_of(const std::string& id, pipeline::SmimeOutcome& smime) const {
    store::Delivery delivery;
    delivery.return_path = tx_->from.address();
    delivery.internal_date = std::time(nullptr);
    std::string received = received_header(id);
    // Remote recipients whose certificates we know get the copy encrypted to them (its own queue
    // entry); the others the signed (or clear) one, protected by TLS on the hop.
    std::vector<std::string> plain, encrypted;
    std::vector<store::RemoteRecipientDsn> plain_dsn, encrypted_dsn;
    for (std::size_t i = 0; i < tx_->remote.size(); ++i) {
        const auto& r = tx_->remote[i];
        bool to_encrypted = std::find(smime.encrypted_for.begin(), smime.encrypted_for.end(), r) != smime.encrypted_for.end();
        (to_encrypted ? encrypted : plain).push_back(r);
        (to_encrypted ? encrypted_dsn : plain_dsn).push_back(i < tx_->remote_dsn.size() ? tx_->remote_dsn[i] : store::RemoteRecipientDsn{});
    }
    const std::string ret = tx_->params.ret == Ret::Full ? "FULL" : tx_->params.ret == Ret::Headers ? "HDRS" : "";
    const std::string envid = tx_->params.envid.value_or("");
    if (!plain.empty()) {
        delivery.queue_id = id;
        delivery.remote_recipients = std::move(plain);
        delivery.outbound_content = received + smime.outbound;
        delivery.ret = ret;
        delivery.envid = envid;
        delivery.remote_dsn = std::move(plain_dsn);
    }
    if (!encrypted.empty())
        delivery.queued.push_back({id + ".E", delivery.return_path, std::move(encrypted),
                                   received + smime.outbound_encrypted, ret, envid, std::move(encrypted_dsn)});
    if (smime.filings.empty()) return delivery;
    const auto& first = smime.filings.front();
    delivery.content = received + first.trace + first.content;
    for (std::size_t i = 0; i < tx_->recipients.size(); ++i) {
        delivery.account_ids.push_back(tx_->recipients[i].id);
        auto& f = smime.filings[i];
        // Recipients with the same verdict share one stored copy.
        bool same = i == 0 || (f.trace == first.trace && f.content == first.content);
        delivery.copies.push_back({same ? "" : received + f.trace + f.content, f.quarantine});
    }
    return delivery;
}

// On the relay port: whether the message asks for Direct's delivery notifications (a malformed
// request is logged; the message is delivered all the same).
std::optional<pipeline::DirectRequest> Session::direct_request_of(const std::string& id, std::string_view message) const {
    if (requires_auth(port_)) return std::nullopt;
    auto request = pipeline::direct_request(message, tx_->from.address());
    if (!request) {
        log::info(to_string(port_), "{}: no delivery notification: {}", id, log::sanitize(request.error().message));
        return std::nullopt;
    }
    return std::move(*request);
}

// The processed then dispatched MDN of each local recipient, queued in the message's own transaction
// with the null return path (RFC 8098 section 3): sent once the message is durable and filed.
void Session::queue_direct_notices(const std::string& id, const pipeline::DirectRequest& request,
                                   store::Delivery& delivery) const {
    std::string date = rfc5322_date(std::time(nullptr));
    for (std::size_t i = 0; i < tx_->recipients.size(); ++i) {
        const std::string& recipient = tx_->recipients[i].address;
        std::string unique = fmt::format("{}N{:04}", id, i);
        auto notices = pipeline::direct_notices(request, recipient, {config_->hostname, date, unique});
        if (!notices) {
            log::warn(to_string(port_), "{}: no delivery notification for <{}>: {}", id, recipient,
                      notices.error().message);
            continue;
        }
        std::string ids;
        for (auto& n : *notices) {
            std::string queue_id = fmt::format("{}.{:04}{}", id, i, n.queue_suffix);
            ids += (ids.empty() ? "" : " ") + n.disposition + "=" + queue_id;
            delivery.queued.push_back({queue_id, "", {request.notify}, std::move(n.content)});
        }
        log::info(to_string(port_), "{}: delivery notifications from <{}> to <{}>: {}", id, recipient,
                  log::sanitize(request.notify), ids);
    }
}

void Session::log_smime(const std::string& id, const pipeline::SmimeOutcome& smime) const {
    std::string verdicts;
    for (std::size_t i = 0; i < smime.filings.size(); ++i)
        verdicts += fmt::format(" {}={}{}", tx_->recipients[i].address, smime.filings[i].verdict,
                                smime.filings[i].quarantine ? "(quarantined)" : "");
    log::info(to_string(port_), "{}: smime signed_by={}{}", id, smime.signed_by.empty() ? "-" : smime.signed_by,
              log::sanitize(verdicts));
}

asio::awaitable<void> Session::deliver(std::string message) {
    std::string id = new_queue_id();
    if (auto loop = check_hops(*config_, message)) {
        log::warn(to_string(port_), "{}: from=<{}> refused: {}", id, log::sanitize(tx_->from.address()), loop->text);
        say(*loop);
        tx_.reset();
        co_return;
    }
    Reply senders = co_await header_senders_step(message);
    if (!senders.positive()) {
        log::info(to_string(port_), "{}: from=<{}> refused by its header: {} {}", id, log::sanitize(tx_->from.address()),
                  senders.enhanced, log::sanitize(senders.text));
        say(senders);
        tx_.reset();
        co_return;
    }
    auto direct = direct_request_of(id, message);
    // Issue 12: an authenticated mailbox's message with CDA attachments is kept for the filing
    // worker, in the same group commit; the documents are read later, never on the way to 250.
    std::optional<store::FilingRequest> filing_request;
    if (principal_ && requires_auth(port_) && pipeline::carries_cda(message)) {
        std::string received = received_header(id);
        filing_request = store::FilingRequest{principal_->address, id, received + message};
        filing_request->received_size = received.size();
    }
    auto step = smime_step(std::move(message));
    auto smime = co_await std::move(step);
    if (!smime) {
        log::error(to_string(port_), "{}: S/MIME step failed: {}", id, smime.error().message);
        say({451, "4.3.0", "Temporary failure protecting the message, try again later"});
        tx_.reset();
        co_return;
    }
    log_smime(id, *smime);
    if (smime->refusal) {
        auto& r = *smime->refusal;
        log::info(to_string(port_), "{}: from=<{}> refused by S/MIME policy: {} {}", id,
                  log::sanitize(tx_->from.address()), r.enhanced, r.text);
        say({r.code, r.enhanced, r.text});
        tx_.reset();
        co_return;
    }
    store::Delivery delivery = delivery_of(id, *smime);
    if (direct) queue_direct_notices(id, *direct, delivery);
    if (filing_request) refer_to_stored_copy(*filing_request, *smime);
    delivery.filing = std::move(filing_request);
    bool for_filing = delivery.filing.has_value();
    std::string reported = tx_->notices.empty() ? std::string() : delivery.content;  // what a report quotes
    std::size_t size = delivery.content.size();
    std::size_t rcpts = delivery.account_ids.size();
    std::size_t remote = delivery.remote_recipients.size() + smime->encrypted_for.size();
    bool queued = remote || !delivery.queued.empty();
    auto filing = async_deliver(services_.committer, std::move(delivery), asio::use_awaitable);
    auto outcome = co_await std::move(filing);
    if (!outcome) {
        log::error(to_string(port_), "{}: storing failed: {}", id, outcome.error().message);
        say({451, "4.3.0", "Temporary failure storing the message, try again later"});
    } else {
        ++messages_;
        ++metrics::process().counter("mssd_smtp_messages_stored_total",
                                     "Messages stored and answered 250, by listener",
                                     {{"listener", std::string(to_string(port_))}});
        log::info(to_string(port_), "{}: from=<{}> size={} nrcpt={} remote={} client={} stored", id,
                  log::sanitize(tx_->from.address()), size, rcpts, remote, stream_->peer_ip());
        if (queued && services_.outbound_ready) services_.outbound_ready();
        if (for_filing && services_.filing_ready) services_.filing_ready();
        say({250, "2.0.0", fmt::format("Ok: queued as {}", id)});
        if (!tx_->notices.empty()) co_await report_deliveries(id, reported);
    }
    tx_.reset();
}

// NOTIFY=SUCCESS of local recipients (RFC 3461 4.1): one Action: delivered report each, to the sender
// (dsn_return.h), once the message is durable. A crash between the 250 and this loses the report,
// never the message.
asio::awaitable<void> Session::report_deliveries(const std::string& id, const std::string& message) {
    std::vector<std::string> reports;
    for (const auto& notice : tx_->notices) {
        BounceInput in{.reporting_mta = config_->hostname, .queue_id = id, .sender = tx_->from.address(),
                       .arrival = std::time(nullptr), .now = std::time(nullptr),
                       .recipients = {{.address = notice.address, .status = "2.0.0",
                                       .diagnostic = "250 2.0.0 delivered to the mailbox", .action = DsnAction::Delivered,
                                       .original_recipient = notice.orcpt}},
                       .original = message, .envid = tx_->params.envid.value_or("")};
        reports.push_back(delivery_status_notification(in));
    }
    auto filing = run_blocking(services_.blocking, [this, id, sender = tx_->from.address(), reports = std::move(reports)] {
        for (const auto& r : reports)
            if (auto sent = return_to_sender(services_.store, *config_, sender, r, id); !sent)
                log::error(to_string(port_), "{}: cannot write the delivery report: {}", id, sent.error().message);
        return Ok{};
    });
    co_await std::move(filing);
    if (services_.outbound_ready) services_.outbound_ready();
}

}  // namespace

asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, Admission admission, Port port,
                                  Services& services) {
    Session session(std::move(stream), port, services);
    co_await session.run(admission);
}

}  // namespace mss::smtp
