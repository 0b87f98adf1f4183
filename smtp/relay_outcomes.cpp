// Group commit of the relay's outcomes: one writer at a time, everything that waited goes in one
// transaction.
#include "smtp/relay_outcomes.h"

#include <memory>

#include "core/blocking.h"

namespace mss::smtp {

void OutcomeRecorder::add(Pending pending) {
    waiting_.push_back(std::move(pending));
    if (!writing_) write();
}

void OutcomeRecorder::write() {
    writing_ = true;
    auto batch = std::make_shared<std::vector<Pending>>(std::move(waiting_));
    waiting_.clear();
    run_blocking(blocking_,
                 [this, batch] {
                     std::vector<store::RecipientOutcome> rows;
                     rows.reserve(batch->size());
                     for (auto& p : *batch) {
                         if (p.before) p.before();
                         rows.push_back(p.outcome);
                     }
                     return store_.outbound_record_batch(rows);
                 },
                 asio::bind_executor(strand_, [this, batch](Status saved) {
                     for (auto& p : *batch) p.done(saved);
                     writing_ = false;
                     if (!waiting_.empty()) write();
                 }));
}

}  // namespace mss::smtp
