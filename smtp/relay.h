// The outbound relay (issue 11): takes what the store's outbound queue holds for other operators and
// delivers it, per destination domain, over connections that must turn to TLS (STARTTLS required,
// never plain text) with our operator certificate as client certificate, the peer's certificate
// checked against the trust anchors, CRLs, the route's host name and the whitelist entry of the
// domain. One connection carries several messages (PIPELINING when offered). 2xx: delivered; 5xx:
// failed for good; anything else: retried with exponential backoff until relay.give_up.
// Runs on the event loop (one strand); the store and the directory are used on the blocking pool.
// Trusts the store, the directory and the trust anchors; nothing a peer says.
#pragma once
#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/tls.h"
#include "directory/directory.h"
#include "smtp/relay_outcomes.h"
#include "store/store.h"

namespace mss::smtp {

struct RelayServices {
    store::Store& store;
    directory::Directory& directory;
    asio::thread_pool& blocking;
    std::function<std::shared_ptr<const Config>()> config;
    std::function<tls::Context()> client_tls;  // our operator certificate, the trust anchors and CRLs
    // Our own relay listener (address, port): a route or MX leading there is a loop, refused.
    std::string own_address;
    uint16_t own_port = 0;
};

class Relay {
public:
    Relay(asio::io_context& io, RelayServices services);
    void start();
    // From any thread: something new is queued, or was flushed; look now rather than at the next tick.
    void wake();
    // Stops taking work and ends the connections in progress; what they had not finished stays queued.
    void stop();

private:
    asio::awaitable<void> run();
    asio::awaitable<void> tick();
    asio::awaitable<void> connection(std::string domain, std::vector<store::OutboundMessage> batch);
    // Up to `most` due messages of the domain that no connection holds, now held by the caller.
    asio::awaitable<std::vector<store::OutboundMessage>> claim(std::string domain, std::size_t most);
    // claim, or else wait (a moment, woken by wake()) for mail to come and claim it.
    asio::awaitable<std::vector<store::OutboundMessage>> claim_or_wait(std::string domain, std::size_t most);

    asio::strand<asio::io_context::executor_type> strand_;
    asio::steady_timer timer_;
    RelayServices services_;
    OutcomeRecorder outcomes_;                // every connection's outcomes, written in batches
    std::map<std::string, unsigned> active_;  // connections open per domain
    std::set<std::string> in_flight_;         // message ids some connection holds
    std::map<unsigned, std::function<void()>> cancels_;  // how to end each connection in progress
    std::map<std::string, unsigned> idle_;    // connections per domain waiting for mail
    std::set<asio::steady_timer*> idle_timers_;  // their waits, ended by wake() and stop()
    unsigned next_connection_ = 0;
    bool woken_ = false;
    bool stopping_ = false;

};

}  // namespace mss::smtp
