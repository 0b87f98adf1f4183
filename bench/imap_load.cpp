// IMAP load generator over implicit TLS for side-by-side benchmarks: fills mailboxes, times a fixed
// command mix (commands/s, p50/p99 per command), or holds connections in IDLE for memory measurements.
// Trusts no reply from the server it is pointed at: any NO/BAD is an error; reads are bounded.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <string_view>
#include <vector>

#include "bench/percentile.h"
#include "core/stream.h"

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxResponse = 64u << 20;  // one response line with its literals, at most

struct Options {
    std::string mode = "load";
    std::string host = "127.0.0.1";
    uint16_t port = 993;
    int connections = 8;
    int users = 0;  // 0: one user per connection
    std::string user_prefix = "user";
    std::string user_suffix;
    std::string password = "password";
    int iterations = 50;     // load: mix rounds per connection
    double seconds = 120;    // load: no new round after this; idle: hold at most this long
    int messages = 100;      // fill: messages appended to each user's INBOX
    std::size_t size = 4096; // octets of an appended message, about
    int ramp = 100;          // connections logging in at once
    std::vector<std::string> skip;  // load: kinds of command left out of the mix (diagnosis)
};

// The commands of the mix, in the order a round runs them.
enum Kind { Noop, FetchFlags, FetchBody, UidStore, Append, SearchUnseen, SearchSubject, IdleDone, kKinds };
constexpr std::array<const char*, kKinds> kKindNames = {"noop", "fetch_flags", "fetch_body", "uid_store",
                                                        "append", "uid_search_unseen", "search_subject", "idle_done"};

enum class Reply { Ok, No, Bad, Lost };

struct Conn {
    Conn(asio::any_io_executor ex, asio::ssl::context& tls) : s(tcp::socket(ex), tls) {}
    asio::ssl::stream<tcp::socket> s;
    std::string buf;       // bytes read, not yet taken; buf[pos..] is unread
    std::size_t pos = 0;
    int next_tag = 0;
    uint32_t exists = 0;   // from "* N EXISTS"
    uint32_t uidnext = 0;  // from [UIDNEXT n] and [APPENDUID v u]
    bool bye = false;
    std::string tag() { return fmt::format("a{}", ++next_tag); }
};

struct Stats {
    std::array<std::vector<double>, kKinds> latencies_ms;
    std::array<int, kKinds> errors{};
    int lost = 0;          // connections that broke or failed to log in
    std::string first_error;
};

// Shared state of one run; single-threaded (one io_context thread), so no locks.
struct Run {
    Options o;
    asio::io_context& io;
    asio::ssl::context& tls;
    tcp::endpoint ep;
    std::vector<Stats> stats;
    int launched = 0;
    int settled = 0;            // connections that reached their steady state or failed on the way
    int ready = 0;              // connections logged in, selected (and idling, in idle mode)
    asio::steady_timer gate;    // load: opens when every connection is ready; idle: the release
    bool gate_open = false;
    Clock::time_point start{}, stop{};
    int appended = 0;
    int finished = 0;
    asio::steady_timer* hard_stop = nullptr;  // idle: the bound on the orderly goodbye
    void note(int i, std::string what) {
        if (stats[static_cast<std::size_t>(i)].first_error.empty()) stats[static_cast<std::size_t>(i)].first_error = std::move(what);
    }
    void open_gate() {
        gate_open = true;
        gate.expires_at(Clock::time_point::min());  // wakes waiters; later waits return at once
    }
};

std::string user_name(const Options& o, int i) {
    int users = o.users > 0 ? o.users : o.connections;
    return fmt::format("{}{}{}", o.user_prefix, i % users, o.user_suffix);
}

std::string message_text(const std::string& to, const std::string& subject, std::size_t size, const std::string& id) {
    std::string m = fmt::format(
        "From: <lab@labo.example>\r\nTo: <{}>\r\nSubject: {}\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
        "Message-ID: <{}@labo.example>\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
        to, subject, id);
    while (m.size() + 78 <= size) m += std::string(76, 'x') + "\r\n";
    return m;
}

uint32_t number_after(std::string_view line, std::string_view key) {
    auto at = line.find(key);
    if (at == std::string_view::npos) return 0;
    return static_cast<uint32_t>(std::strtoul(std::string(line.substr(at + key.size(), 12)).c_str(), nullptr, 10));
}

// Octets of the literal announced at the end of a response line ("... {123}\r\n"), or -1.
long literal_size(std::string_view line) {
    if (line.size() < 5 || !line.ends_with("}\r\n")) return -1;
    auto open = line.rfind('{');
    if (open == std::string_view::npos) return -1;
    std::string_view digits = line.substr(open + 1, line.size() - 3 - open - 1);
    if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
    return std::atol(std::string(digits).c_str());
}

// Reads more bytes from the server into c.buf; false when the connection is gone.
asio::awaitable<bool> fill(Conn& c) {
    if (c.pos > 0) {
        c.buf.erase(0, c.pos);
        c.pos = 0;
    }
    if (c.buf.size() > kMaxResponse) co_return false;
    std::size_t old = c.buf.size();
    c.buf.resize(old + 16384);
    auto op = c.s.async_read_some(asio::buffer(c.buf.data() + old, 16384), mss::use_tuple);
    auto [ec, n] = co_await std::move(op);
    c.buf.resize(old + n);
    co_return !ec && n > 0;
}

// One response line with any literals it carries, into `line`; false when the connection is gone.
asio::awaitable<bool> read_line(Conn& c, std::string& line) {
    line.clear();
    std::size_t scanned = c.pos;
    for (;;) {
        auto crlf = c.buf.find("\r\n", scanned);
        if (crlf == std::string::npos) {
            std::size_t keep = c.buf.size() > c.pos ? c.buf.size() - c.pos : 0;
            auto more = fill(c);
            if (!co_await std::move(more)) co_return false;
            scanned = keep > 0 ? keep - 1 : 0;
            continue;
        }
        line.append(c.buf, c.pos, crlf + 2 - c.pos);
        c.pos = crlf + 2;
        long literal = literal_size(line);
        if (literal < 0) co_return true;
        while (c.buf.size() - c.pos < static_cast<std::size_t>(literal)) {
            auto more = fill(c);
            if (!co_await std::move(more)) co_return false;
        }
        line.append(c.buf, c.pos, static_cast<std::size_t>(literal));
        c.pos += static_cast<std::size_t>(literal);
        if (line.size() > kMaxResponse) co_return false;
        scanned = c.pos;
    }
}

void note_untagged(Conn& c, std::string_view line) {
    if (line.starts_with("* BYE")) c.bye = true;
    if (line.ends_with(" EXISTS\r\n") && line.size() > 2 && std::isdigit(static_cast<unsigned char>(line[2])))
        c.exists = number_after(line, "* ");
    if (auto n = number_after(line, "[UIDNEXT ")) c.uidnext = n;
}

Reply status_of(std::string_view rest) {
    if (rest.starts_with("OK") || rest.starts_with("ok")) return Reply::Ok;
    if (rest.starts_with("NO") || rest.starts_with("no")) return Reply::No;
    return Reply::Bad;
}

// Reads responses up to the tagged one for `tag` (untagged ones update c); what it said.
asio::awaitable<Reply> await_tagged(Conn& c, const std::string& tag, std::string& line) {
    for (;;) {
        auto next = read_line(c, line);
        if (!co_await std::move(next)) co_return Reply::Lost;
        if (line.starts_with("* ")) {
            note_untagged(c, line);
            continue;
        }
        if (line.size() > tag.size() && line.starts_with(tag) && line[tag.size()] == ' ') {
            if (auto uid = number_after(line, "[APPENDUID ")) {  // "[APPENDUID validity uid]"
                auto space = line.find(' ', line.find("[APPENDUID ") + 11);
                if (space != std::string::npos) uid = number_after(std::string_view(line).substr(space), " ");
                c.uidnext = std::max(c.uidnext, uid + 1);
            }
            co_return status_of(std::string_view(line).substr(tag.size() + 1));
        }
        // a "+" continuation nobody asked for, or garbage: go on to the tagged reply
    }
}

// Reads up to the "+" continuation request; false (and the reply in `line`) if a tagged reply or
// a broken connection came instead.
asio::awaitable<bool> await_continuation(Conn& c, std::string& line) {
    for (;;) {
        auto next = read_line(c, line);
        if (!co_await std::move(next)) co_return false;
        if (line.starts_with("+")) co_return true;
        if (line.starts_with("* ")) {
            note_untagged(c, line);
            continue;
        }
        co_return false;
    }
}

asio::awaitable<bool> write(Conn& c, const std::string& bytes) {
    auto op = asio::async_write(c.s, asio::buffer(bytes), mss::use_tuple);
    auto [ec, n] = co_await std::move(op);
    co_return !ec;
}

// Sends "tag text\r\n" and waits for its tagged reply.
asio::awaitable<Reply> command(Conn& c, const std::string& text) {
    std::string tag = c.tag();
    std::string line = fmt::format("{} {}\r\n", tag, text);
    auto sent = write(c, line);
    if (!co_await std::move(sent)) co_return Reply::Lost;
    auto reply = await_tagged(c, tag, line);
    co_return co_await std::move(reply);
}

// APPEND with a synchronizing literal: the command line, the "+", the message, the tagged reply.
asio::awaitable<Reply> append(Conn& c, const std::string& message) {
    std::string tag = c.tag();
    std::string line = fmt::format("{} APPEND INBOX {{{}}}\r\n", tag, message.size());
    auto sent = write(c, line);
    if (!co_await std::move(sent)) co_return Reply::Lost;
    auto go = await_continuation(c, line);
    if (!co_await std::move(go)) co_return line.starts_with(tag + " ") ? status_of(line.substr(tag.size() + 1)) : Reply::Lost;
    std::string data = message + "\r\n";
    auto body = write(c, data);
    if (!co_await std::move(body)) co_return Reply::Lost;
    auto reply = await_tagged(c, tag, line);
    co_return co_await std::move(reply);
}

// IDLE up to the server's "+"; the caller later ends it with idle_done().
asio::awaitable<Reply> idle_start(Conn& c, std::string& tag) {
    tag = c.tag();
    std::string line = fmt::format("{} IDLE\r\n", tag);
    auto sent = write(c, line);
    if (!co_await std::move(sent)) co_return Reply::Lost;
    auto go = await_continuation(c, line);
    if (co_await std::move(go)) co_return Reply::Ok;
    co_return line.starts_with(tag + " ") ? status_of(line.substr(tag.size() + 1)) : Reply::Lost;
}

asio::awaitable<Reply> idle_done(Conn& c, const std::string& tag) {
    std::string line = "DONE\r\n";
    auto sent = write(c, line);
    if (!co_await std::move(sent)) co_return Reply::Lost;
    auto reply = await_tagged(c, tag, line);
    co_return co_await std::move(reply);
}

// TCP connect, TLS handshake, greeting, LOGIN, and SELECT INBOX unless `select` is false.
asio::awaitable<bool> open_session(Run& run, Conn& c, int i, bool select) {
    auto connect = c.s.next_layer().async_connect(run.ep, mss::use_tuple);
    auto [ec] = co_await std::move(connect);
    if (ec) {
        run.note(i, "connect: " + ec.message());
        co_return false;
    }
    std::error_code ignored;
    c.s.next_layer().set_option(tcp::no_delay(true), ignored);
    auto handshake = c.s.async_handshake(asio::ssl::stream_base::client, mss::use_tuple);
    auto [hec] = co_await std::move(handshake);
    if (hec) {
        run.note(i, "TLS handshake: " + hec.message());
        co_return false;
    }
    std::string line;
    auto greeting = read_line(c, line);
    if (!co_await std::move(greeting) || !line.starts_with("* OK")) {
        run.note(i, "no greeting");
        co_return false;
    }
    std::string login = fmt::format("LOGIN \"{}\" \"{}\"", user_name(run.o, i), run.o.password);
    auto logged = command(c, login);
    if (co_await std::move(logged) != Reply::Ok) {
        run.note(i, fmt::format("LOGIN {} refused", user_name(run.o, i)));
        co_return false;
    }
    if (!select) co_return true;
    std::string text = "SELECT INBOX";
    auto selected = command(c, text);
    if (co_await std::move(selected) != Reply::Ok) {
        run.note(i, "SELECT INBOX refused");
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> logout(Conn& c) {
    std::string text = "LOGOUT";
    auto bye = command(c, text);
    co_await std::move(bye);
    std::error_code ignored;
    c.s.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    c.s.next_layer().close(ignored);
}

void launch_next(Run& run);

// Counts a connection's coroutine out whichever way it ends; fill starts the next one then.
struct Finished {
    Run& run;
    ~Finished() {
        if (run.o.mode == "fill") launch_next(run);
        if (++run.finished == run.o.connections && run.hard_stop) run.hard_stop->cancel();
    }
};

// A connection has logged in (or failed to): let the next one start (load, idle); the last one
// opens the gate (load) or says the connections are all idling (idle).
void settle(Run& run, bool ready) {
    ++run.settled;
    if (ready) ++run.ready;
    if (run.o.mode != "fill") launch_next(run);
    if (run.settled == run.o.connections) {
        run.start = Clock::now();
        if (run.o.mode == "idle")
            fmt::print("mode=idle connections={} idling={} failed={} setup_s={:.1f}\n", run.o.connections, run.ready,
                       run.o.connections - run.ready, std::chrono::duration<double>(run.start - run.stop).count());
        std::fflush(stdout);
        if (run.o.mode == "load") run.open_gate();
    }
}

asio::awaitable<void> wait_gate(Run& run) {
    if (run.gate_open) co_return;
    auto op = run.gate.async_wait(mss::use_tuple);
    co_await std::move(op);
}

// --mode load: one connection's rounds of the mix, each command timed from its first octet sent
// to its tagged reply.
asio::awaitable<void> load_client(Run& run, int i) {
    Finished finished{run};
    Stats& st = run.stats[static_cast<std::size_t>(i)];
    Conn c(run.io.get_executor(), run.tls);
    auto opened = open_session(run, c, i, true);
    bool ok = co_await std::move(opened);
    settle(run, ok);
    if (!ok) {
        ++st.lost;
        co_return;
    }
    auto gate = wait_gate(run);
    co_await std::move(gate);
    auto deadline = run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run.o.seconds));
    std::string to = user_name(run.o, i);
    std::string idle_tag;
    std::array<bool, kKinds> skipped{};
    for (int kind = 0; kind < kKinds; ++kind)
        skipped[static_cast<std::size_t>(kind)] = std::find(run.o.skip.begin(), run.o.skip.end(),
                                                            kKindNames[static_cast<std::size_t>(kind)]) != run.o.skip.end();
    for (int k = 0; k < run.o.iterations && Clock::now() < deadline; ++k) {
        for (int kind = 0; kind < kKinds; ++kind) {
            if (skipped[static_cast<std::size_t>(kind)] || (kind == FetchBody && c.exists == 0)) continue;
            auto t0 = Clock::now();
            Reply r = Reply::Ok;
            if (kind == Append) {
                std::string m = message_text(to, fmt::format("bench append {} {}", i, k), run.o.size,
                                             fmt::format("append.{}.{}", i, k));
                auto op = append(c, m);
                r = co_await std::move(op);
            } else if (kind == IdleDone) {
                auto start = idle_start(c, idle_tag);
                r = co_await std::move(start);
                if (r == Reply::Ok) {
                    auto done = idle_done(c, idle_tag);
                    r = co_await std::move(done);
                }
            } else {
                std::string text;
                switch (kind) {
                    case Noop: text = "NOOP"; break;
                    case FetchFlags: text = "FETCH 1:* (FLAGS)"; break;
                    case FetchBody: text = fmt::format("FETCH {} BODY.PEEK[]", 1 + (k * 7 + i) % c.exists); break;
                    case UidStore:
                        text = fmt::format("UID STORE {} +FLAGS (\\Seen)", 1 + (k * 13 + i) % std::max(1u, c.uidnext - 1));
                        break;
                    case SearchUnseen: text = "UID SEARCH UNSEEN"; break;
                    default: text = fmt::format("SEARCH SUBJECT \"bench {}\"", k % 10); break;
                }
                auto op = command(c, text);
                r = co_await std::move(op);
            }
            if (r == Reply::Lost) {
                ++st.lost;
                run.note(i, fmt::format("connection lost during {}", kKindNames[static_cast<std::size_t>(kind)]));
                co_return;
            }
            if (r != Reply::Ok) {
                ++st.errors[static_cast<std::size_t>(kind)];
                run.note(i, fmt::format("{} refused", kKindNames[static_cast<std::size_t>(kind)]));
                continue;
            }
            st.latencies_ms[static_cast<std::size_t>(kind)].push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
    }
    auto t = Clock::now();
    if (t > run.stop) run.stop = t;
    auto bye = logout(c);
    co_await std::move(bye);
}

// --mode idle: log in, select, IDLE, and stay there until the run is released.
asio::awaitable<void> idle_client(Run& run, int i) {
    Finished finished{run};
    Stats& st = run.stats[static_cast<std::size_t>(i)];
    Conn c(run.io.get_executor(), run.tls);
    auto opened = open_session(run, c, i, true);
    bool ok = co_await std::move(opened);
    std::string tag;
    if (ok) {
        auto start = idle_start(c, tag);
        ok = co_await std::move(start) == Reply::Ok;
        if (!ok) run.note(i, "IDLE refused");
    }
    settle(run, ok);
    if (!ok) {
        ++st.lost;
        co_return;
    }
    auto gate = wait_gate(run);
    co_await std::move(gate);
    auto done = idle_done(c, tag);
    if (co_await std::move(done) != Reply::Ok) ++st.errors[IdleDone];
    auto bye = logout(c);
    co_await std::move(bye);
}

// --mode fill: connection i appends --messages messages to user i's INBOX, subjects "bench N".
asio::awaitable<void> fill_client(Run& run, int i) {
    Finished finished{run};
    Stats& st = run.stats[static_cast<std::size_t>(i)];
    Conn c(run.io.get_executor(), run.tls);
    auto opened = open_session(run, c, i, false);
    bool ok = co_await std::move(opened);
    settle(run, ok);
    if (!ok) {
        ++st.lost;
        co_return;
    }
    std::string to = user_name(run.o, i);
    for (int n = 0; n < run.o.messages; ++n) {
        std::string m = message_text(to, fmt::format("bench {}", n), run.o.size, fmt::format("bench.{}.{}", i, n));
        auto op = append(c, m);
        Reply r = co_await std::move(op);
        if (r == Reply::Lost) {
            ++st.lost;
            co_return;
        }
        if (r != Reply::Ok) ++st.errors[Append];
        else ++run.appended;
    }
    auto bye = logout(c);
    co_await std::move(bye);
}

void launch_next(Run& run) {
    if (run.launched >= run.o.connections) return;
    int i = run.launched++;
    if (run.o.mode == "load") asio::co_spawn(run.io, load_client(run, i), asio::detached);
    else if (run.o.mode == "idle") asio::co_spawn(run.io, idle_client(run, i), asio::detached);
    else asio::co_spawn(run.io, fill_client(run, i), asio::detached);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"IMAP load generator (implicit TLS)"};
    app.add_option("--mode", o.mode, "load | idle | fill")->check(CLI::IsMember({"load", "idle", "fill"}));
    app.add_option("--host", o.host);
    app.add_option("--port", o.port, "IMAPS port")->required();
    app.add_option("--connections", o.connections);
    app.add_option("--users", o.users, "connection i logs in as user (i mod users); 0: one user per connection");
    app.add_option("--user-prefix", o.user_prefix);
    app.add_option("--user-suffix", o.user_suffix, "e.g. @bench.mssante.fr");
    app.add_option("--password", o.password);
    app.add_option("--iterations", o.iterations, "load: rounds of the mix per connection");
    app.add_option("--seconds", o.seconds, "load: no new round after this; idle: release after this");
    app.add_option("--messages", o.messages, "fill: messages per user");
    app.add_option("--size", o.size, "octets of an appended message, about");
    app.add_option("--ramp", o.ramp, "connections setting up at once");
    app.add_option("--skip", o.skip, "load: leave this command out of the mix (noop, fetch_flags, fetch_body, "
                                     "uid_store, append, uid_search_unseen, search_subject, idle_done)");
    CLI11_PARSE(app, argc, argv);
    if (o.connections < 1 || o.ramp < 1) return 2;

    asio::io_context io(1);
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_none);  // a load generator: the server is ours, on loopback
    SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    Run run{o, io, tls, tcp::endpoint(asio::ip::make_address(o.host), o.port), {}, 0, 0, 0,
            asio::steady_timer(io, Clock::time_point::max()), false, {}, {}, 0};
    run.stats.resize(static_cast<std::size_t>(o.connections));
    run.stop = Clock::now();  // setup start until the gate opens; then the last round's end

    // idle: release on SIGTERM/SIGINT/SIGUSR1 or after --seconds, whichever first; then a bounded
    // shutdown. load/fill: bounded by their own counts and --seconds.
    asio::signal_set signals(io);
    asio::steady_timer hold(io), hard_stop(io);
    run.hard_stop = &hard_stop;
    auto release = [&] {
        if (!run.gate_open) run.open_gate();
        signals.cancel();
        hold.cancel();
        if (run.finished == o.connections) return;
        hard_stop.expires_after(std::chrono::seconds(60));
        hard_stop.async_wait([&io](std::error_code ec) {
            if (!ec) io.stop();
        });
    };
    if (o.mode == "idle") {
        signals.add(SIGINT);
        signals.add(SIGTERM);
        signals.add(SIGUSR1);
        signals.async_wait([&](std::error_code ec, int) {
            if (!ec) release();
        });
        hold.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds)));
        hold.async_wait([&](std::error_code ec) {
            if (!ec) release();
        });
    }
    for (int i = 0; i < std::min(o.ramp, o.connections); ++i) launch_next(run);
    auto t0 = Clock::now();
    io.run();

    int lost = 0, errors = 0;
    std::string first_error;
    std::array<std::vector<double>, kKinds> by_kind;
    for (auto& s : run.stats) {
        lost += s.lost;
        for (int k = 0; k < kKinds; ++k) {
            errors += s.errors[static_cast<std::size_t>(k)];
            auto& v = by_kind[static_cast<std::size_t>(k)];
            v.insert(v.end(), s.latencies_ms[static_cast<std::size_t>(k)].begin(),
                     s.latencies_ms[static_cast<std::size_t>(k)].end());
        }
        if (first_error.empty()) first_error = s.first_error;
    }
    if (o.mode == "load") {
        double seconds = std::chrono::duration<double>(run.stop - run.start).count();
        std::vector<double> all;
        for (auto& v : by_kind) all.insert(all.end(), v.begin(), v.end());
        fmt::print("mode=load connections={} iterations={} commands={} seconds={:.3f} cmd_per_s={:.0f} p50_ms={:.2f} "
                   "p99_ms={:.2f} errors={} lost={}\n",
                   o.connections, o.iterations, all.size(), seconds, static_cast<double>(all.size()) / seconds,
                   percentile(all, 0.50), percentile(all, 0.99), errors, lost);
        for (int k = 0; k < kKinds; ++k) {
            auto& v = by_kind[static_cast<std::size_t>(k)];
            if (v.empty()) continue;  // left out with --skip
            fmt::print("command={} count={} p50_ms={:.2f} p99_ms={:.2f}\n", kKindNames[static_cast<std::size_t>(k)],
                       v.size(), percentile(v, 0.50), percentile(v, 0.99));
        }
    } else if (o.mode == "fill") {
        fmt::print("mode=fill users={} messages={} appended={} seconds={:.3f} errors={} lost={}\n", o.connections,
                   o.messages, run.appended, std::chrono::duration<double>(Clock::now() - t0).count(), errors, lost);
    } else {
        fmt::print("mode=idle released connections={} done_errors={} lost={}\n", o.connections, errors, lost);
    }
    if (errors || lost) fmt::print(stderr, "first failure: {}\n", first_error);
    return errors || lost ? 1 : 0;
}
