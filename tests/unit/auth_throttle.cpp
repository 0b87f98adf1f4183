// The throttle's arithmetic: back-off growth and cap, lock-outs per address and per account from an
// address, delays per account, forgetting after a quiet period, reset on success, bounded memory,
// and the keys (IPv6 by /64, account names case-folded). Times are made up: no clock, no waiting.
#include <doctest/doctest.h>

#include "auth/throttle.h"

using namespace mss::auth;
using std::chrono::seconds;

namespace {

const ThrottlePolicy kPolicy{.pair = {3, seconds{60}, seconds{900}},
                             .address = {10, seconds{60}, seconds{900}},
                             .account = {5, seconds{1}, seconds{15}},
                             .forget_after = seconds{3600}};
const Clock::time_point t0{};

Attempt from(const char* address, const char* account) { return {address, account}; }

// n failures of attempt, one per second from `at`, the last one at at + n - 1 s.
void fail(Throttle& t, const Attempt& a, unsigned n, Clock::time_point at = t0) {
    for (unsigned i = 0; i < n; ++i) t.failed(a, kPolicy, at + seconds{i});
}

}  // namespace

TEST_CASE("back-off: nothing before `after` failures, then first, doubling, capped") {
    BackoffRule rule{3, seconds{60}, seconds{900}};
    CHECK(backoff(rule, 0) == seconds{0});
    CHECK(backoff(rule, 2) == seconds{0});
    CHECK(backoff(rule, 3) == seconds{60});
    CHECK(backoff(rule, 4) == seconds{120});
    CHECK(backoff(rule, 7) == seconds{900});
    CHECK(backoff(rule, 1000000) == seconds{900});
}

TEST_CASE("an account is locked out from one address after 3 failures there, not from another") {
    Throttle t(100);
    auto guesser = from("192.0.2.7", "jean@a.fr");
    fail(t, guesser, 2);
    CHECK_FALSE(t.before_check(guesser, kPolicy, t0 + seconds{2}).locked_out);
    auto started = t.failed(guesser, kPolicy, t0 + seconds{2});
    REQUIRE(started.size() == 1);
    CHECK(started[0].kind == LockKind::Pair);
    CHECK(started[0].duration == seconds{60});
    CHECK(started[0].failures == 3);
    auto v = t.before_check(guesser, kPolicy, t0 + seconds{12});
    CHECK(v.locked_out);
    CHECK(v.wait == seconds{50});
    CHECK_FALSE(t.before_check(from("192.0.2.7", "marie@a.fr"), kPolicy, t0 + seconds{12}).clean);
    CHECK(t.before_check(from("198.51.100.1", "marie@a.fr"), kPolicy, t0 + seconds{12}).clean);
    CHECK_FALSE(t.before_check(from("198.51.100.1", "jean@a.fr"), kPolicy, t0 + seconds{12}).locked_out);
    CHECK_FALSE(t.before_check(from("192.0.2.7", "marie@a.fr"), kPolicy, t0 + seconds{12}).locked_out);
    CHECK_FALSE(t.before_check(guesser, kPolicy, t0 + seconds{62}).locked_out);
}

TEST_CASE("each failure after a lock-out doubles the next one") {
    Throttle t(100);
    auto guesser = from("192.0.2.7", "jean@a.fr");
    fail(t, guesser, 3);
    auto later = t0 + seconds{100};
    auto started = t.failed(guesser, kPolicy, later);
    REQUIRE(started.size() == 1);
    CHECK(started[0].duration == seconds{120});
    CHECK(t.before_check(guesser, kPolicy, later + seconds{119}).locked_out);
    CHECK_FALSE(t.before_check(guesser, kPolicy, later + seconds{120}).locked_out);
}

TEST_CASE("an address trying many accounts is locked out for all of them after 10 failures") {
    Throttle t(100);
    const char* accounts[] = {"a@a.fr", "b@a.fr", "c@a.fr", "d@a.fr", "e@a.fr"};
    for (unsigned i = 0; i < 9; ++i) t.failed(from("192.0.2.7", accounts[i % 5]), kPolicy, t0);
    CHECK_FALSE(t.before_check(from("192.0.2.7", "z@a.fr"), kPolicy, t0).locked_out);
    auto started = t.failed(from("192.0.2.7", "e@a.fr"), kPolicy, t0);
    REQUIRE_FALSE(started.empty());
    CHECK(started[0].kind == LockKind::Address);
    CHECK(started[0].failures == 10);
    CHECK(t.before_check(from("192.0.2.7", "z@a.fr"), kPolicy, t0 + seconds{59}).locked_out);
    CHECK_FALSE(t.before_check(from("192.0.2.8", "z@a.fr"), kPolicy, t0 + seconds{59}).locked_out);
}

TEST_CASE("failures on an account from many addresses delay its checks, never lock them out") {
    Throttle t(100);
    const char* addresses[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"};
    for (unsigned i = 0; i < 4; ++i) t.failed(from(addresses[i], "jean@a.fr"), kPolicy, t0);
    auto owner = from("203.0.113.9", "jean@a.fr");
    CHECK(t.before_check(owner, kPolicy, t0).wait == seconds{0});
    auto started = t.failed(from(addresses[4], "jean@a.fr"), kPolicy, t0);
    REQUIRE(started.size() == 1);
    CHECK(started[0].kind == LockKind::Account);
    CHECK(started[0].duration == seconds{1});
    auto v = t.before_check(owner, kPolicy, t0);
    CHECK_FALSE(v.locked_out);
    CHECK(v.wait == seconds{1});
    for (unsigned i = 0; i < 20; ++i) t.failed(from(addresses[i % 6], "jean@a.fr"), kPolicy, t0);
    v = t.before_check(owner, kPolicy, t0);
    CHECK_FALSE(v.locked_out);
    CHECK(v.wait == seconds{15});
    CHECK(t.before_check(owner, kPolicy, t0 + seconds{15}).wait == seconds{0});
}

TEST_CASE("counts are forgotten after a quiet period") {
    Throttle t(100);
    auto guesser = from("192.0.2.7", "jean@a.fr");
    fail(t, guesser, 2);
    auto quiet = t0 + seconds{1} + seconds{3600};
    CHECK(t.failed(guesser, kPolicy, quiet).empty());  // the count started again at 1
    CHECK_FALSE(t.before_check(guesser, kPolicy, quiet).locked_out);
    CHECK(t.tracked() == 3);
}

TEST_CASE("a success resets the address and the pair, not the other pairs of that address") {
    Throttle t(100);
    auto owner = from("192.0.2.7", "jean@a.fr");
    fail(t, owner, 2);
    for (unsigned i = 0; i < 8; ++i) t.failed(from("192.0.2.7", "x@a.fr"), kPolicy, t0);
    t.succeeded(owner, kPolicy, t0 + seconds{4});
    CHECK(t.before_check(owner, kPolicy, t0 + seconds{4}).clean);
    CHECK(t.failed(owner, kPolicy, t0 + seconds{5}).empty());
    CHECK(t.failed(owner, kPolicy, t0 + seconds{6}).empty());
    CHECK_FALSE(t.before_check(owner, kPolicy, t0 + seconds{6}).locked_out);
    // the other account's pair still counts from that address
    CHECK(t.before_check(from("192.0.2.7", "x@a.fr"), kPolicy, t0 + seconds{6}).locked_out);
}

TEST_CASE("an address the account signed in from lately is spared the account's delay, others are not") {
    Throttle t(100);
    auto owner = from("203.0.113.9", "jean@a.fr");
    t.succeeded(owner, kPolicy, t0);
    const char* addresses[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"};
    for (const char* a : addresses) t.failed(from(a, "jean@a.fr"), kPolicy, t0 + seconds{10});
    CHECK(t.before_check(owner, kPolicy, t0 + seconds{10}).wait == seconds{0});
    CHECK(t.before_check(from("198.51.100.1", "jean@a.fr"), kPolicy, t0 + seconds{10}).wait == seconds{1});
    // the owner's success does not wipe the count of guesses from elsewhere
    t.succeeded(owner, kPolicy, t0 + seconds{10});
    CHECK(t.before_check(from("198.51.100.1", "jean@a.fr"), kPolicy, t0 + seconds{10}).wait == seconds{1});
    // a week later the address is no longer known
    auto later = t0 + seconds{10} + kPolicy.known_for;
    fail(t, from("192.0.2.1", "jean@a.fr"), 5, later);
    CHECK(t.before_check(owner, kPolicy, later + seconds{4}).wait > seconds{0});
}

TEST_CASE("memory is bounded: past capacity the oldest counts go") {
    Throttle t(3);
    for (int i = 0; i < 1000; ++i) {
        std::string address = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
        t.failed({address, "jean@a.fr"}, kPolicy, t0 + seconds{i});
    }
    CHECK(t.tracked() <= 9);
    // the newest ones are still known
    auto newest = from("10.0.3.231", "jean@a.fr");
    fail(t, newest, 2, t0 + seconds{1000});
    CHECK(t.before_check(newest, kPolicy, t0 + seconds{1002}).locked_out);
}

TEST_CASE("keys: IPv6 by /64, IPv4-mapped as IPv4, account names case-folded and capped") {
    CHECK(client_key("192.0.2.7") == "192.0.2.7");
    CHECK(client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
    CHECK(client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9"));
    CHECK(client_key("::ffff:192.0.2.7") == "192.0.2.7");
    CHECK(account_key("Jean.Dupont@Test.MSSante.fr") == "jean.dupont@test.mssante.fr");
    CHECK(account_key(std::string(1000, 'A')).size() == 255);
}
