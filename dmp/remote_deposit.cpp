// ITI-65 to a remote PDSm server (see remote_deposit.h): one TLS connection per bundle, the request
// written whole, the answer read to the server's close and parsed by http/parse/response_parser.
#include "dmp/remote_deposit.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <array>

#include "core/log.h"
#include "dmp/pdsm_provide.h"
#include "http/parse/response_parser.h"

namespace mss::dmp {
namespace {

constexpr const char* kWhere = "dmp";

// Sends and receive time out on the socket itself (Linux applies SO_SNDTIMEO to connect too).
void bound_waits(asio::ip::tcp::socket& socket, std::chrono::seconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

class RemoteDeposit final : public DmpDeposit {
public:
    RemoteDeposit(RemotePdsm server, std::function<tls::Context()> tls, std::chrono::seconds timeout)
        : server_(std::move(server)), tls_(std::move(tls)), timeout_(timeout) {}

    Result<std::vector<DepositOutcome>> provide_all(const std::vector<BundleFrom>& bundles) override {
        std::vector<DepositOutcome> out;
        for (const auto& b : bundles) {
            auto one = provide(*b.bundle, b.by);
            if (!one) return one.error();
            out.push_back(std::move(one).value());
        }
        return out;
    }

    Result<DepositOutcome> provide(const ProvideBundle& bundle, const Actor&) override {
        auto answer = exchange(provide_bundle_json(bundle));
        if (!answer) {
            log::warn(kWhere, "ITI-65 to {}: {}", server_.host, answer.error().message);
            return answer.error();
        }
        auto outcome = read_provide_response(answer->status, answer->body, bundle.deposits.size());
        if (!outcome) log::warn(kWhere, "ITI-65 to {}: {}", server_.host, outcome.error().message);
        else if (auto* refusal = std::get_if<Refusal>(&*outcome))
            log::info(kWhere, "ITI-65 to {} refused: {} {}", server_.host, static_cast<int>(refusal->ack),
                      log::sanitize(refusal->message));
        return outcome;
    }

private:
    Result<http::ClientResponse> exchange(const std::string& body) {
        auto context = tls_();
        if (!context) return fail(ErrorKind::Io, "no TLS client context");
        asio::io_context io;
        asio::ssl::stream<asio::ip::tcp::socket> stream(io, *context);
        std::error_code ec;
        asio::ip::tcp::resolver resolver(io);
        auto endpoints = resolver.resolve(server_.host, server_.port, ec);
        if (ec) return fail(ErrorKind::Io, fmt::format("cannot resolve {}: {}", server_.host, ec.message()));
        auto& socket = stream.next_layer();
        for (const auto& e : endpoints) {
            socket.close(ec);
            socket.open(e.endpoint().protocol(), ec);
            if (ec) continue;
            bound_waits(socket, timeout_);
            socket.connect(e.endpoint(), ec);
            if (!ec) break;
        }
        if (ec) return fail(ErrorKind::Io, fmt::format("cannot connect to {}:{}: {}", server_.host, server_.port, ec.message()));
        if (auto named = tls::expect_peer_name(stream.native_handle(), server_.host); !named) return named.error();
        stream.handshake(asio::ssl::stream_base::client, ec);
        if (ec) {
            auto why = tls::verify_failure(stream.native_handle());
            return fail(ErrorKind::Io, fmt::format("TLS with {}: {}", server_.host, why.empty() ? ec.message() : why));
        }
        std::string request = fmt::format(
            "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/fhir+json\r\nAccept: application/fhir+json\r\n"
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            server_.base_path.empty() ? "/" : server_.base_path, server_.host, server_.port, body.size());
        asio::write(stream, std::array<asio::const_buffer, 2>{asio::buffer(request), asio::buffer(body)}, ec);
        if (ec) return fail(ErrorKind::Io, fmt::format("sending to {}: {}", server_.host, ec.message()));
        std::string received;
        std::array<char, 16384> chunk;
        for (;;) {
            auto n = stream.read_some(asio::buffer(chunk), ec);
            received.append(chunk.data(), n);
            if (ec || received.size() > kMaxAnswer) break;
        }
        if (ec && ec != asio::error::eof && ec != asio::ssl::error::stream_truncated)
            return fail(ErrorKind::Io, fmt::format("reading from {}: {}", server_.host, ec.message()));
        stream.shutdown(ec);
        return http::parse_response(received);
    }

    static constexpr std::size_t kMaxAnswer = 8 * 1024 * 1024;
    RemotePdsm server_;
    std::function<tls::Context()> tls_;
    std::chrono::seconds timeout_;
};

}  // namespace

Result<RemotePdsm> parse_remote_pdsm(std::string_view url) {
    constexpr std::string_view kScheme = "https://";
    if (url.substr(0, kScheme.size()) != kScheme) return fail(ErrorKind::Invalid, "dmp.filing_remote must be an https:// URL");
    url.remove_prefix(kScheme.size());
    RemotePdsm out;
    auto slash = url.find('/');
    auto authority = url.substr(0, slash);
    out.base_path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
    bool port_ok = !out.port.empty() && out.port.size() <= 5 && out.port.find_first_not_of("0123456789") == std::string::npos;
    if (out.host.empty() || !port_ok || out.base_path.find_first_of(" \r\n") != std::string::npos)
        return fail(ErrorKind::Invalid, "dmp.filing_remote: https://host[:port][/path] expected");
    return out;
}

std::unique_ptr<DmpDeposit> remote_deposit(RemotePdsm server, std::function<tls::Context()> tls, std::chrono::seconds timeout) {
    return std::make_unique<RemoteDeposit>(std::move(server), std::move(tls), timeout);
}

}  // namespace mss::dmp
