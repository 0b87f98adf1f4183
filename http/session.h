// One HTTP/1.1 connection (RFC 9112) on the HTTPS listener: requests read with the pure parser in
// http/parse, answered in order by the Router's handlers, kept alive and pipelined, each bounded in
// size and in time. Trusts nothing the client sends; the router and the configuration are ours.
#pragma once
#include <asio.hpp>
#include <functional>
#include <memory>

#include "core/config.h"
#include "core/server.h"
#include "http/router.h"

namespace mss::http {

struct Services {
    const Router& router;
    asio::thread_pool& blocking;
    std::function<std::shared_ptr<const Config>()> config;
};

asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, Admission admission, bool implicit_tls,
                                  Services& services);

}  // namespace mss::http
