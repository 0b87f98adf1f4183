// The relay's record of delivery outcomes (issue 11): outcomes from every connection are written to
// the store in batches, one transaction (one fsync) per batch; while a batch is being written, what
// comes meanwhile waits for the next. Each outcome's `done` runs on the relay's strand once it is on
// disk (or failed), which is when its connection may let its message go. Trusts its callers.
#pragma once
#include <asio.hpp>
#include <functional>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace mss::smtp {

class OutcomeRecorder {
public:
    struct Pending {
        store::RecipientOutcome outcome;
        std::function<void()> before;      // on the blocking pool, before the write (the bounce); may be empty
        std::function<void(Status)> done;  // on the strand, once written
    };

    OutcomeRecorder(asio::strand<asio::io_context::executor_type> strand, asio::thread_pool& blocking,
                    store::Store& store)
        : strand_(strand), blocking_(blocking), store_(store) {}
    // On the strand.
    void add(Pending pending);

private:
    void write();

    asio::strand<asio::io_context::executor_type> strand_;
    asio::thread_pool& blocking_;
    store::Store& store_;
    std::vector<Pending> waiting_;
    bool writing_ = false;
};

}  // namespace mss::smtp
