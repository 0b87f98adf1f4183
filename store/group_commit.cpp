// The group committer's thread: takes what is queued (up to max_batch), files it with one
// transaction, then answers every submitter. One fsync acknowledges the whole batch.
#include "store/group_commit.h"

#include <vector>

namespace mss::store {

GroupCommitter::GroupCommitter(Store& store, std::size_t max_batch)
    : store_(store), max_batch_(max_batch ? max_batch : 1), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void GroupCommitter::submit(Delivery delivery, Callback done) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(delivery), std::move(done)});
    }
    wake_.notify_one();
}

void GroupCommitter::run() {
    for (;;) {
        std::vector<Pending> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to file
            while (!queue_.empty() && batch.size() < max_batch_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        std::vector<Delivery> deliveries;
        deliveries.reserve(batch.size());
        for (auto& p : batch) deliveries.push_back(std::move(p.delivery));
        auto outcomes = store_.deliver_batch(deliveries);
        for (std::size_t i = 0; i < batch.size(); ++i)
            batch[i].done(i < outcomes.size() ? std::move(outcomes[i])
                                              : Result<DeliveryOutcome>(fail(ErrorKind::Io, "the store lost a delivery")));
    }
}

}  // namespace mss::store
