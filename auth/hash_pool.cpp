// A fixed set of threads serving clients in turns: each turn runs the oldest job of the client at
// the front of the clean clients' line, or else of the others', and the client goes to the back of
// its line if it has more.
#include "auth/hash_pool.h"

#include <algorithm>

namespace mss::auth {

HashPool::HashPool(unsigned threads) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
}

HashPool::~HashPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

bool HashPool::submit(const std::string& client, const HashQueueLimits& limits, bool clean,
                      std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        auto it = clients_.find(client);
        std::size_t mine = it == clients_.end() ? 0 : it->second.pending;
        if (pending_ >= limits.total || mine >= limits.per_client) return false;
        Client& c = clients_[client];
        c.clean = clean;
        if (c.jobs.empty()) (clean ? clean_turns_ : turns_).push_back(client);
        c.jobs.push_back(std::move(job));
        ++c.pending;
        ++pending_;
    }
    ready_.notify_one();
    return true;
}

std::size_t HashPool::pending() {
    std::lock_guard lock(mutex_);
    return pending_;
}

void HashPool::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ready_.wait(lock, [this] { return stopping_ || !clean_turns_.empty() || !turns_.empty(); });
        auto& line = clean_turns_.empty() ? turns_ : clean_turns_;
        if (line.empty()) return;  // stopping, nothing left
        std::string client = std::move(line.front());
        line.pop_front();
        Client& c = clients_.at(client);
        auto job = std::move(c.jobs.front());
        c.jobs.pop_front();
        if (!c.jobs.empty()) (c.clean ? clean_turns_ : turns_).push_back(client);
        lock.unlock();
        job();
        lock.lock();
        Client& done = clients_.at(client);
        --pending_;
        if (--done.pending == 0) clients_.erase(client);
    }
}

}  // namespace mss::auth
