// The filing worker (issue 12): takes the store's filing jobs after intake, turns each message's CDA
// attachments into an ITI-65 deposit (filing/documents.h), hands it to the DmpDeposit sink as the
// feed actor of the submitting mailbox, and acknowledges the sender (RFC 8098 MDN, CI-SIS codes)
// and notifies the patient, the notices and the job's end in one store write. A temporary failure
// of the DMP is retried with backoff; a job survives restarts (it is a row until done), and the DMP
// files a document id once, so a job run twice files nothing twice.
// Runs on the event loop (one strand); the jobs on one low-priority thread of its own. Trusts the
// store and the sink.
#pragma once
#include <asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "dmp/deposit.h"
#include "store/store.h"

namespace mss::filing {

struct FilingServices {
    store::Store& store;
    dmp::DmpDeposit& deposit;
    std::function<std::shared_ptr<const Config>()> config;
    // The address to tell of a new document in this patient's DMP, when one is known.
    std::function<std::optional<std::string>(std::string_view ins)> patient_address;
    std::function<void()> outbound_ready;  // a notice for another operator was queued
};

// Seconds before trying a job again after `attempts` temporary failures: 2 doubled each time, at
// most an hour. A job the DMP could not take for a day is refused (906) to its sender.
int64_t retry_delay(unsigned attempts);
inline constexpr int64_t kGiveUpAfter = 24 * 3600;

// The due jobs, start to end, blocking: what the worker runs on its thread. Their bundles go to the
// DMP together (one transaction); each job then ends Over (filed or refused, notices written with
// the job's end), Unnoticed (over with nothing to write: the caller ends such jobs together, in one
// store write), or Retry (waits for its next attempt: the DMP could not be reached, or the notices
// could not be written). One end per job, in order.
enum class JobEnd { Over, Unnoticed, Retry };
std::vector<JobEnd> work_jobs(const FilingServices& services, const std::vector<store::FilingJob>& jobs, int64_t now);

class FilingWorker {
public:
    FilingWorker(asio::io_context& io, FilingServices services);
    void start();
    void wake();  // from any thread: a job was queued
    void stop();

private:
    asio::awaitable<void> run();

    asio::strand<asio::io_context::executor_type> strand_;
    asio::steady_timer timer_;
    asio::steady_timer pace_;  // between passes while intake keeps queuing; wake() does not cut it
    FilingServices services_;
    bool woken_ = false;
    bool stopping_ = false;
    // One thread of its own at the lowest CPU priority (nice 19): one job at a time, and intake's
    // threads always go first when the cores are busy; the jobs wait, durable, meanwhile. Last, so
    // that it is joined before the rest goes.
    asio::thread_pool thread_{1};
};

}  // namespace mss::filing
