// The connection loop: TLS handshake, then read a request within its deadline, route it, run its
// handler (on the blocking pool unless Inline), frame the answer; a refused request is answered
// with its status and the connection closed, since its framing can no longer be trusted.
#include "http/session.h"

#include <fmt/format.h>

#include <chrono>

#include "core/blocking.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/tls.h"
#include "http/parse/request_parser.h"
#include "http/wire.h"

namespace mss::http {
namespace {

constexpr std::string_view kWhere = "https";
constexpr std::size_t kMaxQueued = 256 * 1024;

enum class Outcome {
    Complete,  // a whole request is parsed
    Refused,   // the parser refused it: answer its status and close
    TimedOut,  // the request did not arrive whole within its deadline: 408 and close
    Gone       // no request started: the client left, was idle too long, or we are shutting down
};

ParseLimits limits_of(const HttpConfig& c) {
    return {c.max_request_line, c.max_header_size, c.max_body_size};
}

Response call(const Handler& handler, const Request& request) {
    try {
        return handler(request);
    } catch (const std::exception& e) {
        log::error(kWhere, "handler for {} {} failed: {}", request.method, log::sanitize(request.path), e.what());
        return Response::text(500, "Internal Server Error\n");
    }
}

asio::awaitable<Response> call_async(const AsyncHandler& handler, const Request& request) {
    try {
        auto answering = handler(request);
        co_return co_await std::move(answering);
    } catch (const std::exception& e) {
        log::error(kWhere, "handler for {} {} failed: {}", request.method, log::sanitize(request.path), e.what());
        co_return Response::text(500, "Internal Server Error\n");
    }
}

class Session {
public:
    Session(std::shared_ptr<Stream> stream, Services& services)
        : stream_(std::move(stream)), services_(services), config_(services.config()) {}

    asio::awaitable<void> run(Admission admission, bool implicit_tls);

private:
    asio::awaitable<bool> handshake();
    asio::awaitable<Outcome> read_request(RequestParser& parser);
    asio::awaitable<Response> respond(const Request& request);
    void answer(const Request* request, const Response& response, bool head, bool close);

    std::shared_ptr<Stream> stream_;
    Services& services_;
    std::shared_ptr<const Config> config_;
    tls::PeerCertificate client_certificate_;
};

asio::awaitable<void> Session::run(Admission admission, bool implicit_tls) {
    if (implicit_tls) {
        auto shake = handshake();
        if (!co_await std::move(shake)) co_return;
    }
    if (!admission.admitted) {
        log::warn(kWhere, "refused {}: {}", stream_->peer_ip(), admission.reason);
        answer(nullptr, Response::text(503, "Service Unavailable\n").set("Retry-After", "10"), false, true);
        co_await stream_->close();
        co_return;
    }
    auto linger = Stream::Linger::No;  // after a refusal the rest of the request may still be coming
    for (;;) {
        RequestParser parser(limits_of(config_->http));
        auto reading = read_request(parser);
        Outcome outcome = co_await std::move(reading);
        if (outcome == Outcome::Gone) break;
        if (outcome == Outcome::TimedOut) {
            log::info(kWhere, "request from {} not complete within {} s", stream_->peer_ip(),
                      config_->http.request_timeout.count());
            answer(nullptr, Response::text(408, "Request Timeout\n"), false, true);
            linger = Stream::Linger::Yes;
            break;
        }
        if (outcome == Outcome::Refused) {
            const auto& e = *parser.error();
            log::info(kWhere, "request from {} refused with {}: {}", stream_->peer_ip(), e.status, e.reason);
            answer(nullptr, Response::text(e.status, std::string(reason_phrase(e.status)) + "\n"), false, true);
            linger = Stream::Linger::Yes;
            break;
        }
        bool close = !parser.keep_alive();
        Request request = parser.take();
        request.peer_ip = stream_->peer_ip();
        request.client_certificate = client_certificate_;
        auto responding = respond(request);
        Response response = co_await std::move(responding);
        answer(&request, response, request.method == "HEAD", close);
        if (close) break;
        // Answers to pipelined requests wait for the batch to end, but not past this much: a client
        // pipelining small requests for large answers cannot make us hold them all.
        if (stream_->queued() >= kMaxQueued && !co_await stream_->flush()) break;
    }
    co_await stream_->close(linger);
}

asio::awaitable<bool> Session::handshake() {
    std::string error;
    if (!co_await stream_->handshake(error, std::chrono::steady_clock::now() + config_->limits.handshake_timeout)) {
        log::warn(kWhere, "TLS handshake with {} failed: {}", stream_->peer_ip(), log::sanitize(error));
        co_await stream_->close();
        co_return false;
    }
    client_certificate_ = tls::peer_certificate(stream_->ssl());
    if (client_certificate_.presented && !client_certificate_.verified)
        log::warn(kWhere, "client certificate from {} refused, {}: {} ({})", stream_->peer_ip(),
                  client_certificate_.reason, client_certificate_.verify_error,
                  log::sanitize(client_certificate_.subject));
    co_return true;
}

// Waits up to idle_timeout for a request to start, then gives it request_timeout to arrive whole:
// a client sending a byte at a time cannot hold the connection longer than that.
asio::awaitable<Outcome> Session::read_request(RequestParser& parser) {
    const auto& c = config_->http;
    ReadStatus status = ReadStatus::Ok;
    stream_->set_timeout(c.idle_timeout);
    stream_->clear_deadline();
    stream_->set_idle(true);
    auto bytes = co_await stream_->read_available(status);
    stream_->set_idle(false);
    if (status != ReadStatus::Ok) co_return Outcome::Gone;
    stream_->set_timeout(c.request_timeout);
    stream_->set_deadline(std::chrono::steady_clock::now() + c.request_timeout);
    bool continued = false;
    for (;;) {
        stream_->consume(parser.feed(bytes));
        if (parser.error()) co_return Outcome::Refused;
        if (parser.complete()) {
            stream_->clear_deadline();  // the answer's writes have their own timeout
            co_return Outcome::Complete;
        }
        if (parser.expects_continue() && !continued) {
            stream_->send("HTTP/1.1 100 Continue\r\n\r\n");  // written before the next read waits
            continued = true;
        }
        bytes = co_await stream_->read_more(status);
        if (status == ReadStatus::TimedOut) co_return Outcome::TimedOut;
        if (status != ReadStatus::Ok) co_return Outcome::Gone;
    }
}

asio::awaitable<Response> Session::respond(const Request& request) {
    auto found = services_.router.find(request.method, request.path);
    if (auto* response = std::get_if<Response>(&found)) co_return std::move(*response);
    const Router::Route* route = std::get<const Router::Route*>(found);
    if (route->async) {
        auto answering = call_async(route->async, request);
        co_return co_await std::move(answering);
    }
    if (route->run == Run::Inline) co_return call(route->handler, request);
    auto work = run_blocking(services_.blocking, [route, &request] { return call(route->handler, request); });
    co_return co_await std::move(work);
}

void Session::answer(const Request* request, const Response& response, bool head, bool close) {
    static const Response kBroken = Response::text(500, "Internal Server Error\n");
    bool safe = safe_fields(response);
    if (!safe)
        log::error(kWhere, "handler for {} answered a field that could split the response",
                   request ? log::sanitize(request->path) : "-");
    const Response& sent = safe ? response : kBroken;
    stream_->send(render(sent, {head, close, std::time(nullptr)}));
    ++metrics::process().counter("mssd_http_responses_total", "HTTP responses, by status code",
                                 {{"code", std::to_string(sent.status)}});
    if (request)
        log::info(kWhere, "{} {} {} -> {} ({} octets){}", stream_->peer_ip(), log::sanitize(request->method, 20),
                  log::sanitize(request->target), sent.status, sent.body.size(), close ? ", closing" : "");
}

}  // namespace

asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, Admission admission, bool implicit_tls,
                                  Services& services) {
    Session session(std::move(stream), services);
    co_await session.run(admission, implicit_tls);
}

}  // namespace mss::http
