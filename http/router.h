// Which handler answers a request: the modules that own an interface register their handlers here
// by method and path prefix (the directory its FHIR searches, the DMP its PDSm transactions), and
// never see the session. A handler is a plain function from Request to Response; it runs on the
// blocking pool (SQLite, RSA) unless registered Inline (quick, no I/O); an asynchronous handler (one
// that must wait on others, such as the password guard) is awaited on the connection's strand and
// sends its own blocking work to the pool. Filled once at start, then only read, from any thread.
#pragma once
#include <asio/awaitable.hpp>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "http/message.h"

namespace mss::http {

using Handler = std::function<Response(const Request&)>;
// Must not block: waits on timers and pools only. The request outlives the wait.
using AsyncHandler = std::function<asio::awaitable<Response>(const Request&)>;

enum class Run {
    Blocking,  // on core/blocking.h's pool: may touch the database or do RSA
    Inline     // on the connection's thread: quick, no I/O (autoconfiguration, metrics)
};

class Router {
public:
    struct Route {
        std::string method;
        std::string prefix;  // "/fhir/" matches under it; "/metrics" matches itself and "/metrics/..."
        Handler handler;
        Run run = Run::Blocking;
        AsyncHandler async;  // when set, awaited instead of handler
    };

    void add(std::string method, std::string prefix, Handler handler, Run run = Run::Blocking);
    void add_async(std::string method, std::string prefix, AsyncHandler handler);

    // The route of the longest prefix matching path with this method (HEAD falls back to GET), or
    // the answer to give instead: 404 when no prefix matches, 405 with Allow when others' methods do.
    std::variant<const Route*, Response> find(std::string_view method, std::string_view path) const;

private:
    std::vector<Route> routes_;
};

}  // namespace mss::http
