// The hashing pool's bounds and turns: a full queue refuses at once, one client cannot take the
// whole queue, and clients are served in turns. Jobs block on a gate the test opens: no timing.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "auth/hash_pool.h"

using namespace mss::auth;

namespace {

// Holds jobs until opened; records the order jobs ran in.
struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
    unsigned entered = 0;
    std::vector<std::string> order;

    std::function<void()> job(std::string name) {
        return [this, name] {
            std::unique_lock lock(mutex);
            ++entered;
            cv.notify_all();
            cv.wait(lock, [this] { return open; });
            order.push_back(name);
        };
    }
    void wait_entered(unsigned n) {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return entered >= n; });
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        cv.notify_all();
    }
};

}  // namespace

TEST_CASE("beyond the total bound, or a client's own, a check is refused at once") {
    Gate gate;
    {
        HashPool pool(1);
        HashQueueLimits limits{4, 2};
        CHECK(pool.submit("a", limits, true, gate.job("a1")));
        gate.wait_entered(1);  // a1 runs and holds the only thread
        CHECK(pool.submit("a", limits, true, gate.job("a2")));
        CHECK_FALSE(pool.submit("a", limits, true, gate.job("a3")));  // a has 2 waiting or running
        CHECK(pool.submit("b", limits, true, gate.job("b1")));
        CHECK(pool.submit("c", limits, true, gate.job("c1")));
        CHECK_FALSE(pool.submit("d", limits, true, gate.job("d1")));  // 4 in all
        CHECK(pool.pending() == 4);
        gate.release();
    }
    CHECK(gate.order.size() == 4);
}

TEST_CASE("clients take turns: one with many checks waiting delays another by one check") {
    Gate gate;
    {
        HashPool pool(1);
        HashQueueLimits limits{16, 8};
        CHECK(pool.submit("guesser", limits, true, gate.job("g1")));
        gate.wait_entered(1);
        for (const char* g : {"g2", "g3", "g4", "g5"}) CHECK(pool.submit("guesser", limits, true, gate.job(g)));
        CHECK(pool.submit("owner", limits, true, gate.job("owner")));
        gate.release();
    }
    REQUIRE(gate.order.size() == 6);
    CHECK(gate.order[0] == "g1");
    CHECK(gate.order[1] == "g2");
    CHECK(gate.order[2] == "owner");
}

TEST_CASE("clients with a clean record go before those with failures, in turns among themselves") {
    Gate gate;
    {
        HashPool pool(1);
        HashQueueLimits limits{16, 8};
        CHECK(pool.submit("first", limits, true, gate.job("first")));
        gate.wait_entered(1);
        for (const char* g : {"g1", "g2", "g3"}) CHECK(pool.submit("guesser", limits, false, gate.job(g)));
        CHECK(pool.submit("user", limits, true, gate.job("user1")));
        CHECK(pool.submit("other", limits, true, gate.job("other")));
        CHECK(pool.submit("user", limits, true, gate.job("user2")));
        gate.release();
    }
    CHECK(gate.order == std::vector<std::string>{"first", "user1", "other", "user2", "g1", "g2", "g3"});
}

TEST_CASE("a finished check frees its place") {
    Gate gate;
    gate.release();
    HashPool pool(2);
    std::atomic<int> done = 0;
    HashQueueLimits limits{1, 1};
    for (int i = 0; i < 50; ++i) {
        while (!pool.submit("a", limits, true, [&done] { ++done; })) std::this_thread::yield();
    }
    while (pool.pending() != 0) std::this_thread::yield();
    CHECK(done == 50);
}
