// TCP listeners and the connections they accept: each listener has its own budget of connections,
// in total and per client IP (a flood on 25 never shuts 587 or 993 out), and an orderly drain for
// SIGTERM. Knows no protocol: each accepted socket goes to a handler coroutine.
#pragma once
#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/result.h"
#include "core/stream.h"

namespace mss {

// Whether a new connection may proceed; the protocol tells a refused peer why (SMTP 421 4.7.0).
struct Admission {
    bool admitted = true;
    std::string reason;
};

class ConnectionTable {
public:
    ConnectionTable(unsigned max_total, unsigned max_per_ip) : max_total_(max_total), max_per_ip_(max_per_ip) {}
    Admission admit(const std::shared_ptr<Stream>& stream);
    void release(const std::shared_ptr<Stream>& stream, bool admitted);
    void set_limits(unsigned max_total, unsigned max_per_ip);
    // Interrupts every connection's idle wait (SIGTERM): sessions then say goodbye and close.
    void drain();
    // Ends every connection's waits now: the drain's grace time is over.
    void abort();
    std::size_t size();

private:
    std::mutex mutex_;
    unsigned max_total_;
    unsigned max_per_ip_;
    std::map<std::string, unsigned> per_ip_;
    std::set<std::shared_ptr<Stream>> streams_;
    bool draining_ = false;
};

using ConnectionHandler = std::function<asio::awaitable<void>(std::shared_ptr<Stream>, Admission)>;
using ContextSource = std::function<tls::Context()>;

struct ConnectionBudget {
    unsigned max_total;
    unsigned max_per_ip;
};

// Binds address:port and runs handler for each connection on its own strand, within its own budget.
class Listener {
public:
    static Result<std::unique_ptr<Listener>> open(asio::io_context& io, const std::string& address, uint16_t port,
                                                  std::string name, ConnectionBudget budget);
    void start(ContextSource tls, ConnectionHandler handler);
    // Stops accepting and interrupts every connection's idle wait (SIGTERM).
    void stop();
    ConnectionTable& connections() { return table_; }
    uint16_t port() const { return port_; }
    const std::string& name() const { return name_; }

private:
    Listener(asio::io_context& io, asio::ip::tcp::acceptor acceptor, std::string name, ConnectionBudget budget);
    asio::awaitable<void> accept_loop(ContextSource tls, ConnectionHandler handler);

    asio::io_context& io_;
    asio::ip::tcp::acceptor acceptor_;
    std::string name_;
    uint16_t port_ = 0;
    ConnectionTable table_;
};

}  // namespace mss
