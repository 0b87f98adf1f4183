// The relay's scheduler (a tick a second, or at once when woken) and one outbound SMTP session per
// connection. Every attempt leaves one operator log line per recipient: queue id, peer, TLS version,
// peer certificate DN and the reply.
#include "smtp/relay.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/blocking.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/stream.h"
#include "core/text.h"
#include "directory/operator_dn.h"
#include "mime/message.h"
#include "smtp/dsn.h"
#include "smtp/dsn_return.h"
#include "smtp/parse/command.h"
#include "smtp/parse/server_reply.h"
#include "smtp/relay_outcomes.h"

namespace mss::smtp {
namespace {

constexpr auto kTick = std::chrono::seconds(1);
// How long a connection with nothing left to send stays open for mail queued meanwhile: Postfix's
// smtp_connection_cache_time_limit, far below the 5 minutes servers wait (RFC 5321 4.5.3.2.7).
constexpr auto kIdle = std::chrono::seconds(2);
constexpr const char* kWhere = "relay";

using Kind = store::AttemptOutcome::Kind;

struct NextHop {
    std::string host;
    uint16_t port = 25;
};

// The static route, else the MX hosts by preference, else the domain itself (RFC 5321 5.1). A domain
// DNS says does not exist is an Invalid error: no later attempt can reach it.
Result<std::vector<NextHop>> next_hops(store::Store& store, const RelayConfig& relay, const std::string& domain) {
    auto route = store.route_for(domain);
    if (!route) return fail(ErrorKind::Io, route.error().message);
    if (*route) return std::vector<NextHop>{{(*route)->host, (*route)->port}};
    auto mx = dns::mx_hosts(domain, relay.dns_server);
    if (!mx) {
        if (mx.error().kind != ErrorKind::NotFound) return mx.error();
        return std::vector<NextHop>{{domain, relay.mx_port}};
    }
    std::vector<NextHop> out;
    for (auto& h : *mx) out.push_back({h.host, relay.mx_port});
    return out;
}

bool is_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Seconds before the next try: first_retry doubled per attempt made, at most max_retry.
int64_t backoff(const RelayConfig& relay, unsigned attempts) {
    int64_t delay = relay.first_retry.count();
    for (unsigned i = 0; i < attempts && delay < relay.max_retry.count(); ++i) delay *= 2;
    return std::min<int64_t>(delay, relay.max_retry.count());
}

// NOTIFY as stored: absent means FAILURE,DELAY (our choice under RFC 3461 4.1).
unsigned notify_bits(const std::string& stored) {
    constexpr unsigned kDefault = kNotifyFailure | kNotifyDelay;
    return stored.empty() ? kDefault : notify_of(stored).value_or(kDefault);
}

unsigned wanted_bit(DsnAction action) {
    switch (action) {
        case DsnAction::Failed: return kNotifyFailure;
        case DsnAction::Delayed: return kNotifyDelay;
        case DsnAction::Delivered:
        case DsnAction::Relayed: return kNotifySuccess;
    }
    return kNotifyFailure;
}

// RFC 3461 parameters passed on to a peer that offers DSN (xtext again, as they came).
std::string dsn_mail_params(const store::OutboundMessage& m) {
    std::string out;
    if (!m.ret.empty()) out += " RET=" + m.ret;
    if (!m.envid.empty()) out += " ENVID=" + xtext_encode(m.envid);
    return out;
}

std::string dsn_rcpt_params(const store::OutboundRecipient& r) {
    std::string out;
    if (!r.notify.empty()) out += " NOTIFY=" + r.notify;
    if (auto semi = r.orcpt.find(';'); semi != std::string::npos)
        out += " ORCPT=" + r.orcpt.substr(0, semi) + ";" + xtext_encode(r.orcpt.substr(semi + 1));
    return out;
}

// Due messages for the domain that no connection holds, now marked as held by the caller.
using Claim = std::function<asio::awaitable<std::vector<store::OutboundMessage>>(std::size_t most)>;

class OutboundSession : public std::enable_shared_from_this<OutboundSession> {
public:
    OutboundSession(RelayServices& services, OutcomeRecorder& outcomes, std::shared_ptr<const Config> config,
                    std::string domain, std::vector<store::OutboundMessage> batch, Claim claim)
        : services_(services), outcomes_(outcomes), config_(std::move(config)), domain_(std::move(domain)),
          batch_(std::move(batch)), claim_(std::move(claim)) {}
    // Every message this connection held, for the relay to release.
    std::vector<std::string> held() const {
        std::vector<std::string> ids;
        for (auto& m : batch_) ids.push_back(m.id);
        return ids;
    }

    asio::awaitable<void> run(asio::strand<asio::io_context::executor_type> strand);
    // Until every attempt recorded so far is in the store.
    asio::awaitable<void> drain();
    void cancel() {
        cancelled_ = true;
        if (stream_) stream_->abort();
        else if (socket_) {
            std::error_code ignored;
            socket_->close(ignored);
        }
    }

private:
    asio::awaitable<bool> connect(asio::strand<asio::io_context::executor_type> strand);
    asio::awaitable<bool> connect_to(asio::strand<asio::io_context::executor_type> strand, const NextHop& hop);
    asio::awaitable<bool> secure();
    asio::awaitable<bool> still_routed();
    asio::awaitable<std::optional<ServerReply>> command(std::string_view line, std::chrono::seconds timeout);
    asio::awaitable<std::optional<ServerReply>> read_reply(std::chrono::seconds timeout);
    asio::awaitable<bool> send_message(const store::OutboundMessage& message);
    asio::awaitable<void> record(const store::OutboundMessage& message, const store::OutboundRecipient& rcpt,
                                 Kind kind, const std::string& reply);
    asio::awaitable<void> defer_rest(std::size_t from, const std::string& why);
    asio::awaitable<void> fail_all(const std::string& why);
    Status report(const store::OutboundMessage& message, const store::OutboundRecipient& rcpt, DsnAction action,
                  const store::AttemptOutcome& outcome);
    bool is_self(const asio::ip::tcp::endpoint& ep) const;

    RelayServices& services_;
    OutcomeRecorder& outcomes_;
    std::shared_ptr<const Config> config_;
    std::string domain_;
    std::vector<store::OutboundMessage> batch_;
    Claim claim_;
    std::optional<asio::strand<asio::io_context::executor_type>> strand_;
    unsigned recording_ = 0;  // outcomes on their way to the store
    std::shared_ptr<asio::ip::tcp::socket> socket_;
    std::shared_ptr<Stream> stream_;
    NextHop hop_;
    std::string peer_;       // "host:port [ip]"
    std::string peer_dn_ = "-";
    std::string tls_ = "none";
    std::string error_;      // why the connection failed
    Extensions extensions_;
    bool cancelled_ = false;
    bool unreachable_ = false;  // the destination domain does not exist: every recipient fails for good
};

bool OutboundSession::is_self(const asio::ip::tcp::endpoint& ep) const {
    if (ep.port() != services_.own_port) return false;
    std::error_code ec;
    auto own = asio::ip::make_address(services_.own_address, ec);
    if (ec) return false;
    return ep.address() == own || (own.is_unspecified() && (ep.address().is_loopback() || ep.address().is_unspecified()));
}

asio::awaitable<bool> OutboundSession::connect_to(asio::strand<asio::io_context::executor_type> strand,
                                                  const NextHop& hop) {
    const auto& relay = config_->relay;
    if (ascii_lower(hop.host) == ascii_lower(config_->hostname) && hop.port == services_.own_port) {
        error_ = fmt::format("the route to {} leads to ourselves ({}:{}): a loop, refused", domain_, hop.host, hop.port);
        co_return false;
    }
    asio::ip::tcp::resolver resolver(strand);
    asio::steady_timer timer(strand);
    timer.expires_after(relay.connect_timeout);
    timer.async_wait([&resolver](std::error_code ec) {
        if (!ec) resolver.cancel();
    });
    auto [rec, endpoints] = co_await resolver.async_resolve(hop.host, std::to_string(hop.port), use_tuple);
    timer.cancel();
    if (rec) {
        error_ = fmt::format("cannot resolve {}: {}", hop.host, rec.message());
        co_return false;
    }
    for (const auto& entry : endpoints) {
        if (is_self(entry.endpoint())) {
            error_ = fmt::format("the route to {} leads to ourselves ({}): a loop, refused", domain_,
                                 entry.endpoint().address().to_string());
            co_return false;
        }
    }
    socket_ = std::make_shared<asio::ip::tcp::socket>(strand);
    asio::steady_timer connect_timer(strand);
    connect_timer.expires_after(relay.connect_timeout);
    std::weak_ptr<asio::ip::tcp::socket> weak = socket_;
    connect_timer.async_wait([weak](std::error_code ec) {
        if (auto s = weak.lock(); !ec && s) {
            std::error_code ignored;
            s->close(ignored);
        }
    });
    auto [cec, ep] = co_await asio::async_connect(*socket_, endpoints, use_tuple);
    connect_timer.cancel();
    if (cec || cancelled_) {
        error_ = fmt::format("cannot connect to {}:{}: {}", hop.host, hop.port, cancelled_ ? "stopping" : cec.message());
        socket_.reset();
        co_return false;
    }
    hop_ = hop;
    peer_ = fmt::format("{}:{} [{}]", hop.host, hop.port, ep.address().to_string());
    co_return true;
}

asio::awaitable<bool> OutboundSession::connect(asio::strand<asio::io_context::executor_type> strand) {
    auto hops = co_await run_blocking(services_.blocking, [this] {
        return next_hops(services_.store, config_->relay, domain_);
    });
    if (!hops) {
        unreachable_ = hops.error().kind == ErrorKind::Invalid;
        error_ = unreachable_ ? fmt::format("550 5.1.2 no route to {}: {}", domain_, hops.error().message)
                              : fmt::format("no route to {}: {}", domain_, hops.error().message);
        co_return false;
    }
    for (const auto& hop : *hops) {
        if (cancelled_) co_return false;
        if (co_await connect_to(strand, hop)) co_return true;
        if (error_.find("a loop") != std::string::npos) co_return false;
    }
    co_return false;
}

// Routes are read at every attempt: a connection kept open (or idle) leads to the domain's next hop
// only while the route or MX still names it.
asio::awaitable<bool> OutboundSession::still_routed() {
    auto hops = co_await run_blocking(services_.blocking, [this] { return next_hops(services_.store, config_->relay, domain_); });
    co_return hops && std::any_of(hops->begin(), hops->end(),
                                  [this](const NextHop& h) { return h.host == hop_.host && h.port == hop_.port; });
}

// The whole reply, however many lines, within `timeout` (RFC 5321 4.5.3.2 times a reply, not a line):
// a peer trickling continuation lines or octets cannot hold the connection past it.
asio::awaitable<std::optional<ServerReply>> OutboundSession::read_reply(std::chrono::seconds timeout) {
    stream_->set_timeout(timeout);
    stream_->set_deadline(std::chrono::steady_clock::now() + timeout);
    ServerReplyReader reader;
    for (;;) {
        LineRead in = co_await stream_->read_line(kMaxReplyLine);
        if (in.status != ReadStatus::Ok) {
            error_ = in.status == ReadStatus::TimedOut  ? "the peer did not answer in time"
                     : in.status == ReadStatus::TooLong ? "the peer sent an overlong reply line"
                                                        : "the peer closed the connection";
            co_return std::nullopt;
        }
        switch (reader.feed(in.line)) {
            case ServerReplyReader::Step::More: break;
            case ServerReplyReader::Step::Done: co_return reader.reply();
            case ServerReplyReader::Step::Malformed:
                error_ = "the peer's reply cannot be read: " + reader.error();
                co_return std::nullopt;
        }
    }
}

asio::awaitable<std::optional<ServerReply>> OutboundSession::command(std::string_view line, std::chrono::seconds timeout) {
    stream_->send(line);
    stream_->send("\r\n");
    co_return co_await read_reply(timeout);
}

// Greeting, EHLO, STARTTLS (required), the peer's certificate against the whitelist, EHLO again.
asio::awaitable<bool> OutboundSession::secure() {
    const auto& relay = config_->relay;
    auto greeting = co_await read_reply(relay.greeting_timeout);
    if (!greeting) co_return false;
    if (greeting->code != 220) {
        error_ = fmt::format("greeting: {}", greeting->summary());
        co_return false;
    }
    std::string ehlo = fmt::format("EHLO {}", config_->hostname);
    auto offered = co_await command(ehlo, relay.command_timeout);
    if (!offered) co_return false;
    if (!offered->positive() || !extensions_of(*offered).starttls) {
        error_ = offered->positive() ? "the peer offers no STARTTLS: mail is never sent in plain text"
                                     : fmt::format("EHLO: {}", offered->summary());
        co_return false;
    }
    auto go = co_await command("STARTTLS", relay.command_timeout);
    if (!go) co_return false;
    if (go->code != 220) {
        error_ = fmt::format("STARTTLS refused: {}", go->summary());
        co_return false;
    }
    stream_->discard_input();
    if (auto named = tls::expect_peer_name(stream_->ssl(), hop_.host); !named) {
        error_ = named.error().message;
        co_return false;
    }
    std::string error;
    if (!co_await stream_->client_handshake(error, std::chrono::steady_clock::now() + config_->limits.handshake_timeout)) {
        std::string why = tls::verify_failure(stream_->ssl());
        error_ = why.empty() ? fmt::format("TLS handshake failed: {}", error)
                             : fmt::format("the peer's certificate is refused: {}", why);
        co_return false;
    }
    tls_ = tls::describe(stream_->ssl());
    peer_dn_ = tls::peer_certificate(stream_->ssl()).subject;
    auto entries = co_await run_blocking(services_.blocking, [this] {
        return services_.directory.whitelist_entries(domain_);
    });
    if (!entries) {
        error_ = fmt::format("whitelist look-up failed: {}", entries.error().message);
        co_return false;
    }
    bool listed = std::any_of(entries->begin(), entries->end(), [this](const directory::WhitelistEntry& e) {
        return directory::same_operator_dn(e.operator_dn, peer_dn_);
    });
    if (!listed) {
        error_ = fmt::format("the peer's certificate ({}) is not the one the whitelist lists for {}", peer_dn_, domain_);
        co_return false;
    }
    auto again = co_await command(ehlo, relay.command_timeout);
    if (!again) co_return false;
    if (!again->positive()) {
        error_ = fmt::format("EHLO after STARTTLS: {}", again->summary());
        co_return false;
    }
    extensions_ = extensions_of(*again);
    co_return true;
}

asio::awaitable<void> OutboundSession::record(const store::OutboundMessage& message, const store::OutboundRecipient& rcpt,
                                              Kind kind, const std::string& reply) {
    if (cancelled_ && kind == Kind::Retry) co_return;  // cut short by our shutdown: still due, uncounted
    const auto& relay = config_->relay;
    store::AttemptOutcome outcome{kind, 0, reply};
    int64_t now = std::time(nullptr);
    if (kind == Kind::Retry) {
        if (now - message.created_at >= relay.give_up.count()) {
            outcome.kind = Kind::Failed;
            outcome.reply = fmt::format("gave up after {} attempts: {}", rcpt.attempts + 1, reply);
        } else {
            outcome.next_attempt = now + backoff(relay, rcpt.attempts);
            outcome.delay_warned = relay.delay_warning.count() > 0 && !rcpt.delay_warned &&
                                   now - message.created_at >= relay.delay_warning.count();
        }
    }
    // A report is due: failed, delayed (once), or relayed to a peer that will not report delivery.
    std::optional<DsnAction> action;
    if (outcome.kind == Kind::Failed) action = DsnAction::Failed;
    else if (outcome.delay_warned) action = DsnAction::Delayed;
    else if (outcome.kind == Kind::Delivered && !extensions_.dsn) action = DsnAction::Relayed;
    // The null sender's message that failed is dropped: a report is never bounced (RFC 3461 6.2).
    bool drop = outcome.kind == Kind::Failed && message.return_path.empty();
    std::string_view status = outcome.kind == Kind::Delivered ? "sent" : outcome.kind == Kind::Failed ? "bounced" : "deferred";
    log::info(kWhere, "{}: to=<{}> peer={} tls=\"{}\" peer_dn=\"{}\" attempt={} status={} reply=\"{}\"", message.id,
              rcpt.address, peer_.empty() ? "-" : peer_, tls_, log::sanitize(peer_dn_), rcpt.attempts + 1, status,
              log::sanitize(outcome.reply));
    if (drop)
        log::warn(kWhere, "{}: the null sender's message to <{}> failed for good: dropped, never bounced", message.id,
                  rcpt.address);
    // Written while the connection goes on to the next message, in one transaction with the other
    // outcomes of the moment (OutcomeRecorder): the peer's 250 is already in hand, and the connection
    // drains these before it lets its messages go (a crash before the write sends the message again:
    // at least once).
    ++recording_;
    std::function<void()> before;
    if (action)  // the report first: a crash between the two repeats it rather than losing it
        before = [self = shared_from_this(), message, rcpt, outcome, action] {
            if (auto sent = self->report(message, rcpt, *action, outcome); !sent)
                log::error(kWhere, "{}: cannot write the delivery status notification: {}", message.id, sent.error().message);
        };
    store::AttemptOutcome written = outcome;
    if (drop) written.kind = Kind::Delivered;  // a dropped message leaves the queue as a delivered one does
    outcomes_.add({{message.id, rcpt.address, written}, std::move(before),
                   [self = shared_from_this(), id = message.id, address = rcpt.address](Status saved) {
                       --self->recording_;
                       if (!saved)
                           log::error(kWhere, "{}: cannot record the attempt for {}: {}", id, address, saved.error().message);
                   }});
    co_return;
}

// RFC 3464 for the sender (dsn_return.h: its INBOX, or relayed back with the null sender), as its
// NOTIFY asks (absent: FAILURE,DELAY); RET, ENVID and ORCPT come back in it.
Status OutboundSession::report(const store::OutboundMessage& message, const store::OutboundRecipient& rcpt,
                               DsnAction action, const store::AttemptOutcome& outcome) {
    if (message.return_path.empty() || !(notify_bits(rcpt.notify) & wanted_bit(action))) return Ok{};
    auto content = services_.store.outbound_content(message.id);
    if (!content) return content.error();
    bool expired = outcome.reply.starts_with("gave up");
    std::string status = action == DsnAction::Failed    ? (expired ? "5.4.7" : status_of_reply(outcome.reply, true))
                         : action == DsnAction::Delayed ? status_of_reply(outcome.reply, false)
                                                        : status_of_reply(outcome.reply, false);
    if (action == DsnAction::Delayed && !status.starts_with("4.")) status = "4.0.0";
    if (action == DsnAction::Relayed && !status.starts_with("2.")) status = "2.0.0";
    BounceInput in{.reporting_mta = config_->hostname, .queue_id = message.id, .sender = message.return_path,
                   .arrival = static_cast<std::time_t>(message.created_at), .now = std::time(nullptr),
                   .recipients = {{.address = rcpt.address, .status = status,
                                   .remote_mta = peer_.empty() ? "" : hop_.host, .diagnostic = outcome.reply,
                                   .action = action, .original_recipient = rcpt.orcpt,
                                   .will_retry_until = static_cast<std::time_t>(message.created_at + config_->relay.give_up.count())}},
                   .original = *content, .envid = message.envid, .return_full = message.ret == "FULL"};
    return return_to_sender(services_.store, *config_, message.return_path, delivery_status_notification(in),
                            message.id);
}

asio::awaitable<void> OutboundSession::defer_rest(std::size_t from, const std::string& why) {
    for (std::size_t i = from; i < batch_.size(); ++i)
        for (const auto& r : batch_[i].recipients) co_await record(batch_[i], r, Kind::Retry, why);
}

asio::awaitable<void> OutboundSession::fail_all(const std::string& why) {
    for (const auto& message : batch_)
        for (const auto& r : message.recipients) co_await record(message, r, Kind::Failed, why);
}

// One transaction: MAIL, RCPT each, DATA (sent together when the peer pipelines), the content, the
// final reply. False when the connection cannot carry another message.
asio::awaitable<bool> OutboundSession::send_message(const store::OutboundMessage& message) {
    const auto& relay = config_->relay;
    auto content = co_await run_blocking(services_.blocking, [this, &message] {
        return services_.store.outbound_content(message.id);
    });
    if (!content) {
        if (content.error().kind == ErrorKind::NotFound) co_return true;  // deleted meanwhile (queue delete)
        error_ = content.error().message;
        co_return false;
    }
    if (mime::fields_named(*content, "Received", relay.max_received + 1).size() > relay.max_received) {
        for (const auto& r : message.recipients)
            co_await record(message, r, Kind::Failed, fmt::format("554 5.4.6 routing loop: more than {} Received: fields",
                                                                  relay.max_received));
        co_return true;
    }
    std::string mail = fmt::format("MAIL FROM:<{}>", message.return_path);
    if (extensions_.size) mail += fmt::format(" SIZE={}", content->size());
    if (extensions_.eightbitmime && !is_ascii(*content)) mail += " BODY=8BITMIME";  // RFC 6152
    bool utf8_addresses = !is_ascii(message.return_path) ||
                          std::any_of(message.recipients.begin(), message.recipients.end(),
                                      [](const store::OutboundRecipient& r) { return !is_ascii(r.address); });
    if (extensions_.smtputf8 && utf8_addresses) mail += " SMTPUTF8";  // RFC 6531
    if (extensions_.dsn) mail += dsn_mail_params(message);              // RFC 3461
    std::vector<std::string> rcpts;
    for (const auto& r : message.recipients)
        rcpts.push_back(fmt::format("RCPT TO:<{}>{}", r.address, extensions_.dsn ? dsn_rcpt_params(r) : ""));
    // RFC 3030: with CHUNKING the content goes in one BDAT LAST as it is (no dot-stuffing, no DATA).
    const bool chunking = extensions_.chunking;
    std::optional<ServerReply> mail_reply, data_reply;
    std::vector<std::optional<ServerReply>> rcpt_replies;
    if (extensions_.pipelining) {  // RFC 2920: one write, replies read in order
        stream_->send(mail + "\r\n");
        for (auto& line : rcpts) stream_->send(line + "\r\n");
        if (!chunking) stream_->send("DATA\r\n");
        mail_reply = co_await read_reply(relay.command_timeout);
        for (std::size_t i = 0; i < rcpts.size() && mail_reply; ++i) {
            rcpt_replies.push_back(co_await read_reply(relay.command_timeout));
            if (!rcpt_replies.back()) co_return false;
        }
        if (mail_reply && !chunking) data_reply = co_await read_reply(relay.command_timeout);
        if (!mail_reply || (!chunking && !data_reply)) co_return false;
    } else {
        mail_reply = co_await command(mail, relay.command_timeout);
        if (!mail_reply) co_return false;
        if (mail_reply->positive()) {
            for (auto& line : rcpts) {
                rcpt_replies.push_back(co_await command(line, relay.command_timeout));
                if (!rcpt_replies.back()) co_return false;
            }
            bool any = std::any_of(rcpt_replies.begin(), rcpt_replies.end(), [](auto& r) { return r->positive(); });
            if (any && !chunking) {
                data_reply = co_await command("DATA", relay.command_timeout);
                if (!data_reply) co_return false;
            }
        }
    }
    std::vector<std::size_t> accepted;
    for (std::size_t i = 0; i < message.recipients.size(); ++i) {
        const ServerReply& verdict = !mail_reply->positive() ? *mail_reply : *rcpt_replies[i];
        if (verdict.positive()) accepted.push_back(i);
        else co_await record(message, message.recipients[i], verdict.permanent() ? Kind::Failed : Kind::Retry,
                             verdict.summary());
    }
    if (data_reply && data_reply->code == 354 && accepted.empty()) {  // a peer that took DATA anyway
        auto end = co_await command(".", relay.data_end_timeout);
        co_return end.has_value();
    }
    if (accepted.empty()) {
        auto reset = co_await command("RSET", relay.command_timeout);
        co_return reset && reset->positive();
    }
    std::optional<ServerReply> final_reply = data_reply;
    bool content_sent = chunking || (data_reply && data_reply->code == 354);
    if (chunking) {
        bool complete = content->ends_with("\r\n");
        stream_->send(fmt::format("BDAT {} LAST\r\n", content->size() + (complete ? 0 : 2)));
        stream_->send(*content);
        if (!complete) stream_->send("\r\n");
    } else if (content_sent) {
        stream_->send(dot_stuffed(*content));
    }
    if (content_sent) {
        // The content goes out within data_timeout (4.5.3.2.5), then the reply has data_end_timeout
        // (4.5.3.2.6).
        stream_->set_timeout(relay.data_timeout);
        stream_->clear_deadline();
        bool taken = co_await stream_->flush();
        if (taken) final_reply = co_await read_reply(relay.data_end_timeout);
        else {
            final_reply.reset();
            error_ = "the peer did not take the message (closed, or no progress within data_timeout)";
        }
    }
    if (!final_reply) {
        for (std::size_t i : accepted) co_await record(message, message.recipients[i], Kind::Retry, error_);
        co_return false;
    }
    Kind kind = final_reply->positive() ? Kind::Delivered : final_reply->permanent() ? Kind::Failed : Kind::Retry;
    for (std::size_t i : accepted) co_await record(message, message.recipients[i], kind, final_reply->summary());
    if (final_reply->code == 354) co_return false;
    if (!final_reply->positive()) {
        auto reset = co_await command("RSET", relay.command_timeout);
        co_return reset && reset->positive();
    }
    co_return true;
}

asio::awaitable<void> OutboundSession::drain() {
    asio::steady_timer wait(*strand_);
    while (recording_ > 0) {
        wait.expires_after(std::chrono::milliseconds(2));
        co_await wait.async_wait(use_tuple);
    }
}

asio::awaitable<void> OutboundSession::run(asio::strand<asio::io_context::executor_type> strand) {
    strand_ = strand;
    // An attempt cut short by our own shutdown is not counted: its messages stay due as they were.
    if (!co_await connect(strand)) {
        if (cancelled_) co_return;
        if (unreachable_) co_await fail_all(error_);
        else co_await defer_rest(0, error_);
        co_return;
    }
    stream_ = std::make_shared<Stream>(std::move(*socket_), services_.client_tls());
    socket_.reset();
    if (!co_await secure()) {
        if (!cancelled_) co_await defer_rest(0, error_);
        co_await stream_->close();
        co_return;
    }
    const std::size_t most = config_->relay.messages_per_connection;
    for (std::size_t i = 0; i < batch_.size() || (!cancelled_ && batch_.size() < most); ++i) {
        if (i == batch_.size()) {  // what was queued meanwhile, or comes while it idles, goes on this connection
            auto more = co_await claim_(most - batch_.size());
            if (more.empty()) break;
            for (auto& m : more) batch_.push_back(std::move(m));
            // Untried, they are let go at the end and a new connection takes them: when the route has
            // changed, or when the peer no longer answers on this one (it may close a connection that
            // waited; Postfix too sends RSET before it reuses a cached connection).
            if (!co_await still_routed()) break;
            auto alive = co_await command("RSET", config_->relay.command_timeout);
            if (!alive || !alive->positive()) break;
        }
        if (cancelled_ || !co_await send_message(batch_[i])) {
            // What this attempt did not record yet (the rest of this message, the next ones) is retried.
            co_await drain();
            // A named lambda capturing by reference: GCC 12 destroys a temporary lambda holding a
            // std::string inside co_await twice (free(): invalid size once a peer failed after TLS).
            const std::string id = batch_[i].id;
            auto read_left = [this, &id] { return services_.store.outbound_message(id); };
            auto left = co_await run_blocking(services_.blocking, read_left);
            if (left) {
                store::OutboundMessage rest = *left;
                std::erase_if(rest.recipients, [&](const store::OutboundRecipient& r) {
                    return r.state != store::OutboundState::Queued ||
                           std::none_of(batch_[i].recipients.begin(), batch_[i].recipients.end(),
                                        [&](const store::OutboundRecipient& b) {
                                            return b.address == r.address && b.attempts == r.attempts;
                                        });
                });
                batch_[i] = rest;
            } else {
                batch_[i].recipients.clear();
            }
            if (!cancelled_) co_await defer_rest(i, error_);
            co_await stream_->close();
            co_return;
        }
    }
    stream_->set_timeout(config_->relay.command_timeout);
    stream_->send("QUIT\r\n");
    co_await read_reply(config_->relay.command_timeout);
    co_await stream_->close();
}

}  // namespace

Relay::Relay(asio::io_context& io, RelayServices services)
    : strand_(asio::make_strand(io)), timer_(strand_), services_(std::move(services)),
      outcomes_(strand_, services_.blocking, services_.store) {}

void Relay::start() {
    asio::co_spawn(strand_, run(), asio::detached);
}

void Relay::wake() {
    asio::post(strand_, [this] {
        woken_ = true;
        timer_.cancel();
        for (auto* idle : idle_timers_) idle->cancel();
    });
}

void Relay::stop() {
    asio::post(strand_, [this] {
        stopping_ = true;
        timer_.cancel();
        for (auto* idle : idle_timers_) idle->cancel();
        for (auto& [id, cancel] : cancels_) cancel();
    });
}

asio::awaitable<void> Relay::run() {
    while (!stopping_) {
        woken_ = false;
        co_await tick();
        if (woken_ || stopping_) continue;
        timer_.expires_after(kTick);
        co_await timer_.async_wait(use_tuple);
    }
}

asio::awaitable<void> Relay::tick() {
    int64_t now = std::time(nullptr);
    auto domains = co_await run_blocking(services_.blocking, [this, now] { return services_.store.outbound_due_domains(now); });
    if (!domains) {
        log::error("relay", "cannot read the outbound queue: {}", domains.error().message);
        co_return;
    }
    auto config = services_.config();
    for (const auto& domain : *domains) {
        if (idle_.contains(domain)) continue;  // an open connection waits for mail: it takes this
        while (!stopping_ && active_[domain] < config->relay.connections_per_domain) {
            auto batch = co_await claim(domain, config->relay.messages_per_connection);
            if (batch.empty()) break;
            ++active_[domain];
            asio::co_spawn(strand_, connection(domain, std::move(batch)), asio::detached);
        }
    }
}

asio::awaitable<std::vector<store::OutboundMessage>> Relay::claim(std::string domain, std::size_t most) {
    int64_t now = std::time(nullptr);
    std::size_t want = in_flight_.size() + most;
    auto due = co_await run_blocking(services_.blocking, [this, &domain, now, want] {
        return services_.store.outbound_due(domain, now, want);
    });
    std::vector<store::OutboundMessage> batch;
    if (!due || stopping_) co_return batch;
    for (auto& m : *due)
        if (!in_flight_.contains(m.id) && batch.size() < most) batch.push_back(std::move(m));
    for (auto& m : batch) in_flight_.insert(m.id);
    co_return batch;
}

// A connection with nothing left to send keeps its TLS session for kIdle (as Postfix's connection
// cache does): mail queued meanwhile wakes it and goes at once, without a new TCP and TLS
// handshake.
asio::awaitable<std::vector<store::OutboundMessage>> Relay::claim_or_wait(std::string domain, std::size_t most) {
    auto until = std::chrono::steady_clock::now() + kIdle;
    ++idle_[domain];
    std::vector<store::OutboundMessage> batch;
    for (;;) {
        batch = co_await claim(domain, most);
        if (!batch.empty() || stopping_ || std::chrono::steady_clock::now() >= until) break;
        asio::steady_timer idle(strand_);
        idle.expires_at(until);
        idle_timers_.insert(&idle);
        co_await idle.async_wait(use_tuple);
        idle_timers_.erase(&idle);
    }
    if (--idle_[domain] == 0) idle_.erase(domain);
    co_return batch;
}

asio::awaitable<void> Relay::connection(std::string domain, std::vector<store::OutboundMessage> batch) {
    auto session = std::make_shared<OutboundSession>(
        services_, outcomes_, services_.config(), domain, std::move(batch),
        [this, domain](std::size_t most) { return claim_or_wait(domain, most); });
    unsigned number = ++next_connection_;
    cancels_[number] = [session] { session->cancel(); };
    if (stopping_) session->cancel();
    co_await session->run(strand_);
    co_await session->drain();
    cancels_.erase(number);
    for (auto& id : session->held()) in_flight_.erase(id);
    if (--active_[domain] == 0) active_.erase(domain);
    woken_ = true;
    timer_.cancel();
}

}  // namespace mss::smtp
