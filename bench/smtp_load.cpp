// SMTP load generator for side-by-side intake benchmarks: N messages over C plain-TCP connections
// (MAIL, RCPT, DATA, no pipelining), every reply checked, latency per message from MAIL to the 250
// after the final dot. Prints one machine-readable line. Talks to whatever server it is pointed at.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <vector>

#include "bench/percentile.h"
#include "core/stream.h"

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 25;
    int messages = 1000;
    int connections = 8;
    std::size_t size = 4096;
    std::string from = "lab@labo.example";
    std::vector<std::string> to;
    std::string ehlo = "bench.example";
};

struct Client {
    std::vector<double> latencies_ms;
    int failures = 0;
    std::string error;
};

std::string message_text(const Options& o, int n) {
    std::string m = fmt::format(
        "From: <{}>\r\nTo: <{}>\r\nSubject: bench {}\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
        "Message-ID: <bench.{}@labo.example>\r\n\r\n",
        o.from, o.to.front(), n, n);
    while (m.size() < o.size) m += std::string(76, 'x') + "\r\n";
    return m + ".\r\n";
}

// Reads one reply (all its lines); returns its code, 0 on a broken connection.
asio::awaitable<int> read_reply(tcp::socket& s, std::string& buf) {
    for (;;) {
        auto op = asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n", mss::use_tuple);
        auto [ec, n] = co_await std::move(op);
        if (ec) co_return 0;
        std::string line = buf.substr(0, n);
        buf.erase(0, n);
        if (line.size() < 4) co_return 0;
        if (line[3] != '-') co_return std::atoi(line.substr(0, 3).c_str());
    }
}

asio::awaitable<bool> command(tcp::socket& s, std::string& buf, const std::string& text, int expected) {
    auto op = asio::async_write(s, asio::buffer(text), mss::use_tuple);
    auto [ec, n] = co_await std::move(op);
    if (ec) co_return false;
    int code = co_await read_reply(s, buf);
    co_return code == expected;
}

asio::awaitable<void> run_client(const Options& o, tcp::endpoint ep, std::atomic<int>& next, Client& c) {
    tcp::socket s(co_await asio::this_coro::executor);
    auto connect = s.async_connect(ep, mss::use_tuple);
    auto [ec] = co_await std::move(connect);
    std::string buf;
    if (ec || co_await read_reply(s, buf) != 220 || !co_await command(s, buf, fmt::format("EHLO {}\r\n", o.ehlo), 250)) {
        c.error = "connect/EHLO failed";
        ++c.failures;
        co_return;
    }
    for (int n = next++; n < o.messages; n = next++) {
        auto start = Clock::now();
        bool ok = co_await command(s, buf, fmt::format("MAIL FROM:<{}>\r\n", o.from), 250);
        for (auto& r : o.to) ok = ok && co_await command(s, buf, fmt::format("RCPT TO:<{}>\r\n", r), 250);
        ok = ok && co_await command(s, buf, "DATA\r\n", 354);
        ok = ok && co_await command(s, buf, message_text(o, n), 250);
        if (!ok) {
            ++c.failures;
            c.error = fmt::format("message {} refused or connection lost", n);
            co_return;
        }
        c.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    co_await command(s, buf, "QUIT\r\n", 221);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"SMTP intake load generator"};
    app.add_option("--host", o.host);
    app.add_option("--port", o.port)->required();
    app.add_option("--messages", o.messages);
    app.add_option("--connections", o.connections);
    app.add_option("--size", o.size, "approximate message size in octets");
    app.add_option("--from", o.from);
    app.add_option("--to", o.to)->required();
    app.add_option("--ehlo", o.ehlo);
    CLI11_PARSE(app, argc, argv);

    asio::io_context io(1);
    tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
    std::atomic<int> next{0};
    std::vector<Client> clients(static_cast<std::size_t>(o.connections));
    auto start = Clock::now();
    for (auto& c : clients) asio::co_spawn(io, run_client(o, ep, next, c), asio::detached);
    io.run();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    int failures = 0;
    std::string error;
    for (auto& c : clients) {
        all.insert(all.end(), c.latencies_ms.begin(), c.latencies_ms.end());
        failures += c.failures;
        if (!c.error.empty()) error = c.error;
    }
    fmt::print("messages={} connections={} size={} seconds={:.3f} msg_per_s={:.0f} p50_ms={:.2f} p99_ms={:.2f} failures={}\n",
               all.size(), o.connections, o.size, seconds, static_cast<double>(all.size()) / seconds,
               percentile(all, 0.50), percentile(all, 0.99), failures);
    if (failures) fmt::print(stderr, "first failure: {}\n", error);
    return failures ? 1 : 0;
}
