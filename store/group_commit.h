// Group commit: gathers deliveries from every session and files them with one transaction, so one
// fsync acknowledges many messages. Knows nothing of the network: callbacks run on its own thread.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace mss::store {

class GroupCommitter {
public:
    using Callback = std::function<void(Result<DeliveryOutcome>)>;

    GroupCommitter(Store& store, std::size_t max_batch);
    ~GroupCommitter();  // files what was submitted, then stops
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;

    // Queues a delivery; done runs on the committer's thread once it is durable (or failed).
    void submit(Delivery delivery, Callback done);

private:
    struct Pending {
        Delivery delivery;
        Callback done;
    };
    void run();

    Store& store_;
    std::size_t max_batch_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Pending> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace mss::store
