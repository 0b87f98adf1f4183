// The HTTP session on a real loopback socket (plain, without TLS): handlers registered as Blocking run
// on the blocking pool, not on the connection's thread; a handler that throws, or answers a field
// that would split the response, gets 500 and the connection goes on; answers keep request order.
#include <doctest/doctest.h>

#include <asio.hpp>
#include <stdexcept>
#include <thread>

#include "core/server.h"
#include "http/session.h"

using namespace mss;

namespace {

std::string exchange(uint16_t port, std::string_view requests) {
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    sock.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(sock, asio::buffer(requests));
    std::string answers;
    std::error_code ec;
    char buf[4096];
    for (;;) {
        std::size_t n = sock.read_some(asio::buffer(buf), ec);
        if (ec) break;
        answers.append(buf, n);
    }
    return answers;
}

}  // namespace

TEST_CASE("handlers run where they were registered to, and failures become 500") {
    asio::io_context io;
    asio::thread_pool pool(1);
    std::thread::id io_thread, handler_thread;
    http::Router router;
    router.add("GET", "/blocking", [&](const http::Request& r) {
        handler_thread = std::this_thread::get_id();
        return http::Response::text(200, "done for " + r.peer_ip);
    });
    router.add("GET", "/throws", [](const http::Request&) -> http::Response { throw std::runtime_error("boom"); });
    router.add(
        "GET", "/split",
        [](const http::Request&) { return http::Response::text(200, "x").set("X-A", "a\r\nSet-Cookie: s=1"); },
        http::Run::Inline);
    auto config = std::make_shared<const Config>();
    http::Services services{router, pool, [config] { return config; }};
    auto listener = Listener::open(io, "127.0.0.1", 0, "http-test", {10, 10});
    REQUIRE(listener);
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    listener.value()->start([tls] { return tls; }, [&](std::shared_ptr<Stream> s, Admission a) {
        return http::run_session(std::move(s), a, false, services);
    });
    std::thread runner([&] {
        io_thread = std::this_thread::get_id();
        io.run();
    });

    auto answers = exchange(listener.value()->port(),
                            "GET /blocking HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /throws HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /split HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    listener.value()->stop();
    runner.join();  // the accept loop ended and the session closed: nothing left to run

    auto first = answers.find("HTTP/1.1 200 OK");
    auto second = answers.find("HTTP/1.1 500 Internal Server Error", first);
    auto third = answers.find("HTTP/1.1 500 Internal Server Error", second + 1);
    CHECK(first == 0);
    CHECK(answers.find("done for 127.0.0.1") != std::string::npos);
    CHECK(second != std::string::npos);
    CHECK(third != std::string::npos);
    CHECK(answers.find("Set-Cookie") == std::string::npos);
    CHECK(handler_thread != std::thread::id());
    CHECK(handler_thread != io_thread);
    pool.join();
}
