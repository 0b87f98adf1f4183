// Accept loops and the connection table. Handlers run on a strand per connection, so a session's
// coroutine never runs on two threads at once.
#include "core/server.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/metrics.h"

namespace mss {
namespace {

// One connection's life: the handler, then its slot back to the table (parameters, not captures:
// see core/blocking.h).
asio::awaitable<void> serve(ConnectionTable& table, ConnectionHandler handler, std::shared_ptr<Stream> stream,
                            Admission admission, metrics::Value& open) {
    ++open;
    auto session = handler(stream, admission);
    co_await std::move(session);
    table.release(stream, admission.admitted);
    --open;
}

}  // namespace

Admission ConnectionTable::admit(const std::shared_ptr<Stream>& stream) {
    std::lock_guard lock(mutex_);
    streams_.insert(stream);
    if (draining_) return {false, "server shutting down"};
    if (streams_.size() > max_total_) return {false, "too many connections"};
    unsigned& n = per_ip_[stream->peer_ip()];
    if (n >= max_per_ip_) return {false, fmt::format("too many connections from {}", stream->peer_ip())};
    ++n;
    return {};
}

void ConnectionTable::release(const std::shared_ptr<Stream>& stream, bool admitted) {
    std::lock_guard lock(mutex_);
    streams_.erase(stream);
    if (!admitted) return;
    auto it = per_ip_.find(stream->peer_ip());
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

void ConnectionTable::set_limits(unsigned max_total, unsigned max_per_ip) {
    std::lock_guard lock(mutex_);
    max_total_ = max_total;
    max_per_ip_ = max_per_ip;
}

void ConnectionTable::drain() {
    std::lock_guard lock(mutex_);
    draining_ = true;
    for (auto& s : streams_) s->interrupt();
}

void ConnectionTable::abort() {
    std::lock_guard lock(mutex_);
    for (auto& s : streams_) s->abort();
}

std::size_t ConnectionTable::size() {
    std::lock_guard lock(mutex_);
    return streams_.size();
}

Listener::Listener(asio::io_context& io, asio::ip::tcp::acceptor acceptor, std::string name, ConnectionBudget budget)
    : io_(io), acceptor_(std::move(acceptor)), name_(std::move(name)), table_(budget.max_total, budget.max_per_ip) {
    port_ = acceptor_.local_endpoint().port();
}

Result<std::unique_ptr<Listener>> Listener::open(asio::io_context& io, const std::string& address, uint16_t port,
                                                 std::string name, ConnectionBudget budget) {
    std::error_code ec;
    auto addr = asio::ip::make_address(address, ec);
    if (ec) return fail(ErrorKind::Invalid, fmt::format("listen address '{}': {}", address, ec.message()));
    asio::ip::tcp::endpoint ep(addr, port);
    asio::ip::tcp::acceptor acceptor(io);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(ErrorKind::Io, fmt::format("{} listener on {}:{}: {}", name, address, port, ec.message()));
    return std::unique_ptr<Listener>(new Listener(io, std::move(acceptor), std::move(name), budget));
}

void Listener::start(ContextSource tls, ConnectionHandler handler) {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(std::move(tls), std::move(handler)), asio::detached);
}

void Listener::stop() {
    std::error_code ignored;
    acceptor_.close(ignored);
    table_.drain();
}

asio::awaitable<void> Listener::accept_loop(ContextSource tls, ConnectionHandler handler) {
    auto& registry = metrics::process();
    const metrics::Labels labels{{"listener", name_}};
    auto& accepted = registry.counter("mssd_connections_accepted_total", "Connections accepted, by listener", labels);
    auto& refused = registry.counter("mssd_connections_refused_total",
                                     "Connections refused by the connection limits, by listener", labels);
    auto& open = registry.gauge("mssd_connections_open", "Connections open now, by listener", labels);
    for (;;) {
        auto strand = asio::make_strand(io_);
        auto [ec, socket] = co_await acceptor_.async_accept(strand, use_tuple);
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec) {
            log::warn(name_, "accept failed: {}", ec.message());
            continue;
        }
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        auto stream = std::make_shared<Stream>(std::move(socket), tls());
        Admission admission = table_.admit(stream);
        ++(admission.admitted ? accepted : refused);
        asio::co_spawn(
            strand, serve(table_, handler, stream, admission, open),
            [name = name_](std::exception_ptr e) {
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    log::error(name, "session ended by exception: {}", ex.what());
                }
            });
    }
}

}  // namespace mss
