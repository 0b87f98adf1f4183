// The threads password hashes run on, apart from the store's, so guessing cannot stall mail or
// mailbox work. Bounded: a check waits in line only while fewer than `total` are waiting or running,
// and fewer than `per_client` from its client; otherwise it is refused at once. Clients take turns,
// so one address with many connections delays others by one hash at most per turn, and clients with
// a clean record (no recent failure) go before the others: a guesser's queue never holds up a user
// by more than the hash in progress. Trusts its jobs and the record its callers tell.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mss::auth {

struct HashQueueLimits {
    std::size_t total = 16;
    std::size_t per_client = 4;
};

class HashPool {
public:
    explicit HashPool(unsigned threads);
    ~HashPool();  // runs what is queued, then joins
    HashPool(const HashPool&) = delete;
    HashPool& operator=(const HashPool&) = delete;

    // Queues job for client's next turn; false (job dropped unrun) when the limits are reached.
    // clean: the client has no recent failure, and is served before those who have.
    bool submit(const std::string& client, const HashQueueLimits& limits, bool clean, std::function<void()> job);
    std::size_t pending();  // waiting or running

private:
    struct Client {
        std::deque<std::function<void()>> jobs;
        std::size_t pending = 0;  // its jobs waiting or running
        bool clean = true;        // as told by its latest submit
    };
    void work();

    std::mutex mutex_;
    std::condition_variable ready_;
    std::map<std::string, Client> clients_;
    // Clients with jobs waiting, in the order they are served: clean ones first.
    std::deque<std::string> clean_turns_, turns_;
    std::size_t pending_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace mss::auth
