// When a filtered stream lets its filter rest (COMPRESS=DEFLATE's window packed, issue 13): never
// while a request/response client keeps it busy, once after it has waited for a command for the
// stream's rest_after (5 s here: no busy round trip takes that long). A real loopback TCP pair (no TLS); the filter passes octets through and
// counts its rests.
#include <doctest/doctest.h>

#include <asio.hpp>
#include <atomic>
#include <thread>

#include "core/stream.h"

using namespace mss;

namespace {

struct CountingFilter final : StreamFilter {
    explicit CountingFilter(std::atomic<int>& rests) : rests(rests) {}
    bool decode(std::string_view wire, std::string& plain, std::size_t) override {
        plain.append(wire);
        return true;
    }
    bool has_pending_input() const override { return false; }
    bool encode(std::string_view plain, std::string& wire) override {
        wire.append(plain);
        return true;
    }
    void rest() override { ++rests; }
    std::atomic<int>& rests;
};

std::string ask(asio::ip::tcp::socket& client, std::string_view line) {
    asio::write(client, asio::buffer(line));
    std::string reply;
    char c = 0;
    while (c != '\n') {
        asio::read(client, asio::buffer(&c, 1));
        reply += c;
    }
    return reply;
}

}  // namespace

TEST_CASE("a filtered stream rests only after waiting rest_after for a command, not between busy commands") {
    constexpr int kCommands = 20;
    asio::io_context io, client_io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket peer(client_io);
    peer.connect(acceptor.local_endpoint());
    auto stream = std::make_shared<Stream>(acceptor.accept(), std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server));
    std::atomic<int> rests = 0;
    stream->set_filter(std::make_unique<CountingFilter>(rests), std::chrono::seconds(5));  // far longer than a round trip
    stream->set_idle(true);
    int lines = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (;;) {
                auto read = co_await stream->read_line(1024);
                if (read.status != ReadStatus::Ok) co_return;
                ++lines;
                stream->send("ok\r\n");
                co_await stream->flush();
            }
        },
        asio::detached);
    std::thread server([&] { io.run(); });

    int busy_rests = -1;
    {
        for (int i = 0; i < kCommands; ++i) CHECK(ask(peer, "a NOOP\r\n") == "ok\r\n");
        busy_rests = rests.load();
        while (rests.load() == busy_rests) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CHECK(ask(peer, "b NOOP\r\n") == "ok\r\n");
        peer.shutdown(asio::ip::tcp::socket::shutdown_both);
    }
    server.join();
    // Each command answered before the next was sent: a rest between them would be one per command.
    CHECK(busy_rests == 0);
    CHECK(rests.load() == 1);
    CHECK(lines == kCommands + 1);
}

TEST_CASE("news told to a waiting session (wake) do not put off its filter's rest") {
    asio::io_context io, client_io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket peer(client_io);
    peer.connect(acceptor.local_endpoint());
    auto stream = std::make_shared<Stream>(acceptor.accept(), std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server));
    std::atomic<int> rests = 0;
    std::atomic<int> woken = 0;
    stream->set_filter(std::make_unique<CountingFilter>(rests), std::chrono::seconds(1));
    stream->set_idle(true);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (;;) {
                auto read = co_await stream->read_line(1024);
                if (read.status == ReadStatus::Woken) {
                    ++woken;
                    continue;
                }
                if (read.status != ReadStatus::Ok) co_return;
                stream->send("ok\r\n");
                co_await stream->flush();
            }
        },
        asio::detached);
    std::thread server([&] { io.run(); });

    CHECK(ask(peer, "a NOOP\r\n") == "ok\r\n");
    // News every 100 ms for up to 30 s, far longer than rest_after: the rest comes all the same.
    for (int i = 0; i < 300 && rests.load() == 0; ++i) {
        stream->wake();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    bool rested_while_woken = rests.load() >= 1;
    CHECK(ask(peer, "b NOOP\r\n") == "ok\r\n");
    peer.shutdown(asio::ip::tcp::socket::shutdown_both);
    server.join();
    CHECK(rested_while_woken);
    CHECK(woken.load() > 0);
}
