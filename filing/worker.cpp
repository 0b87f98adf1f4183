// The filing worker (see worker.h): a tick a second, or at once when woken; the jobs due, deposited
// together on its own low-priority thread; a job ends with its notices delivered in one write, and the
// jobs with nothing to tell end together.
#include "filing/worker.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <sched.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/blocking.h"
#include "core/date.h"
#include "core/log.h"
#include "core/stream.h"
#include "core/text.h"
#include "core/unique.h"
#include "cda/metadata.h"
#include "filing/documents.h"
#include "mime/message.h"
#include "mime/structure.h"
#include "mime/text.h"
#include "pipeline/mdn.h"

namespace mss::filing {
namespace {

constexpr const char* kWhere = "filing";
constexpr auto kTick = std::chrono::seconds(1);
constexpr auto kPace = std::chrono::milliseconds(50);
constexpr std::size_t kJobsPerTick = 16;

std::string trim(std::string_view v) {
    auto first = v.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return std::string(v.substr(first, v.find_last_not_of(" \t") - first + 1));
}

std::optional<std::string> field(std::string_view message, std::string_view name) {
    auto found = mime::fields_named(message, name, 1);
    if (found.empty()) return std::nullopt;
    return trim(found.front().value);
}

std::optional<std::string> address_in(std::string_view message, std::string_view name) {
    auto raw = field(message, name);
    if (!raw) return std::nullopt;
    auto a = mime::first_address(*raw);
    if (!a || a->mailbox.empty() || a->host.empty()) return std::nullopt;
    return ascii_lower(a->mailbox + "@" + a->host);
}

// What one job decided: the documents filed, or the code that refused them.
struct Decision {
    std::optional<cda::AckCode> refused;
    std::string reason;
    std::string subject;        // CI-SIS subject of the documents, or the message's own
    std::vector<dmp::DepositReceipt> receipts;
    std::string ins;
};

// A notice for an address: local mailboxes through the store, others through the outbound queue.
std::optional<store::Delivery> notice_to(const FilingServices& s, const Config& config, const std::string& address,
                                         std::string content) {
    store::Delivery d;
    d.internal_date = std::time(nullptr);
    auto domain = address.substr(address.rfind('@') + 1);
    if (config.serves_domain(domain)) {
        auto account = s.store.find_account(address);
        if (!account) {
            log::warn(kWhere, "no local mailbox {} for a notice: {}", log::sanitize(address), account.error().message);
            return std::nullopt;
        }
        d.account_ids = {account->id};
        d.content = std::move(content);
    } else {
        d.queue_id = new_queue_id();
        d.remote_recipients = {address};
        d.outbound_content = std::move(content);
    }
    return d;
}

std::string mdn_of(const Config& config, const store::FilingJob& job, const Decision& decision, const std::string& to,
                   const std::vector<pipeline::AttachedPart>& parts) {
    pipeline::MdnRequest r;
    r.from = "postmaster@" + job.submitter.substr(job.submitter.rfind('@') + 1);
    r.to = to;
    r.subject = decision.refused ? cda::failure_subject(*decision.refused, decision.subject) : decision.subject;
    r.date = rfc5322_date(std::time(nullptr));
    r.message_id = fmt::format("<{}@{}>", random_hex(12), config.hostname);
    r.boundary = "=_mssd_filing_" + random_hex(12);
    r.reporting_ua = config.hostname + "; mssd";
    r.final_recipient = job.submitter;
    r.original_message_id = field(job.content, "Message-ID");
    r.original_header = job.content.substr(0, mime::header_length(job.content));
    if (decision.refused) {
        r.error = pipeline::MdnError{static_cast<int>(*decision.refused), std::string(cda::ack_label(*decision.refused))};
        r.human_text = fmt::format("Les documents n'ont pas été intégrés au DMP du patient.\r\nErreur {} : {}.\r\n",
                                   static_cast<int>(*decision.refused), cda::ack_label(*decision.refused));
        for (const auto& p : parts)
            if (!p.filename.empty()) r.attachments.push_back({p.filename, p.content_type, p.octets});
    } else {
        r.human_text = fmt::format("{} document(s) intégré(s) au DMP du patient.\r\n", decision.receipts.size());
    }
    auto built = pipeline::build_mdn(r);
    if (built) return std::move(built).value();
    // A header value the MDN builder refuses (CR/LF in the original's fields): without the original.
    log::warn(kWhere, "{}: acknowledgement without the original's header: {}", job.queue_id, built.error().message);
    r.original_message_id.reset();
    r.original_header = "";
    r.attachments.clear();
    auto again = pipeline::build_mdn(r);
    return again ? std::move(again).value() : std::string();
}

// Without Disposition-Notification-To, only a failure is told, as a plain message.
std::string plain_failure(const Config& config, const store::FilingJob& job, const Decision& d, const std::string& to) {
    auto subject = cda::failure_subject(*d.refused, d.subject);
    return fmt::format("From: postmaster@{}\r\nTo: <{}>\r\nSubject: =?UTF-8?B?{}?=\r\nDate: {}\r\nMessage-ID: <{}@{}>\r\n"
                       "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                       "Les documents du message {} n'ont pas été intégrés au DMP du patient.\r\nErreur {} : {}.\r\n",
                       job.submitter.substr(job.submitter.rfind('@') + 1), to, base64_encode(subject),
                       rfc5322_date(std::time(nullptr)), random_hex(12), config.hostname,
                       field(job.content, "Message-ID").value_or(job.queue_id), static_cast<int>(*d.refused),
                       cda::ack_label(*d.refused));
}

// To the patient: that a document was added, nothing of its content (no title, no type, no author).
std::string patient_notice(const Config& config, const std::string& to) {
    return fmt::format("From: postmaster@{}\r\nTo: <{}>\r\nSubject: =?UTF-8?B?{}?=\r\nDate: {}\r\nMessage-ID: <{}@{}>\r\n"
                       "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                       "Un nouveau document a été ajouté à votre DMP (dossier médical partagé).\r\n"
                       "A new document was added to your DMP.\r\n",
                       config.hostname, to, base64_encode("Nouveau document dans votre DMP"), rfc5322_date(std::time(nullptr)),
                       random_hex(12), config.hostname);
}

}  // namespace

int64_t retry_delay(unsigned attempts) {
    int64_t delay = 2;
    for (unsigned i = 0; i < attempts && delay < 3600; ++i) delay *= 2;
    return std::min<int64_t>(delay, 3600);
}

namespace {

// A job read and checked, waiting for its deposit.
struct Prepared {
    const store::FilingJob* job = nullptr;
    std::vector<pipeline::AttachedPart> parts;
    Decision decision;
    std::optional<Documents> documents;  // none when the checks refused them
};

Prepared prepare(const store::FilingJob& job) {
    Prepared p;
    p.job = &job;
    p.parts = pipeline::attached_parts(job.content);
    p.decision.subject = mime::decode_header_text(field(job.content, "Subject").value_or(""));
    MssHeaders mss{field(job.content, "X-MSS-CODECDA"), field(job.content, "X-MSS-INS")};
    auto documents = documents_of(p.parts, mss, job.queue_id);
    if (!documents) {
        p.decision.refused = documents.refusal().code;
        p.decision.reason = documents.refusal().reason;
        return p;
    }
    p.decision.subject = documents->subject;
    p.decision.ins = documents->ins;
    p.documents = std::move(documents.value());
    return p;
}

// The deposit's outcome, or its temporary failure (a retry, or after a day a refusal), into the decision.
bool decide(const FilingServices& s, Prepared& p, const Result<dmp::DepositOutcome>& filed, int64_t now) {
    const auto& job = *p.job;
    Decision& d = p.decision;
    if (!filed && now - job.created_at < kGiveUpAfter) {
        auto next = now + retry_delay(job.attempts);
        log::warn(kWhere, "{}: DMP unavailable, next try in {} s: {}", job.queue_id, next - now, filed.error().message);
        if (auto r = s.store.filing_retry(job.id, next, filed.error().message); !r)
            log::error(kWhere, "{}: cannot schedule the retry: {}", job.queue_id, r.error().message);
        return false;
    }
    if (!filed) {
        d.refused = cda::AckCode::Other;
        d.reason = "the DMP could not be reached for a day: " + filed.error().message;
    } else if (auto* refusal = std::get_if<dmp::Refusal>(&*filed)) {
        d.refused = static_cast<cda::AckCode>(static_cast<int>(refusal->ack));
        d.reason = refusal->message;
    } else {
        d.receipts = std::get<std::vector<dmp::DepositReceipt>>(*filed);
    }
    return true;
}

// Every notice was refused, and the job's end with them (a store that cannot write now, mailboxes
// that take nothing): the job runs again later, its deposits coming back as its own, so that the
// sender and the patient are told then; after a day it ends untold.
JobEnd notice_failed(const FilingServices& s, const store::FilingJob& job, int64_t now, const std::string& why) {
    if (now - job.created_at < kGiveUpAfter) {
        auto next = now + retry_delay(job.attempts);
        log::warn(kWhere, "{}: notices not written, the job runs again in {} s", job.queue_id, next - now);
        if (auto r = s.store.filing_retry(job.id, next, "notices not written: " + why); !r)
            log::error(kWhere, "{}: cannot schedule the retry: {}", job.queue_id, r.error().message);
        return JobEnd::Retry;
    }
    log::error(kWhere, "{}: notices not written for a day, the job ends without them", job.queue_id);
    if (auto r = s.store.filing_done(job.id); !r) log::error(kWhere, "{}: cannot end the job: {}", job.queue_id, r.error().message);
    return JobEnd::Over;
}

// The decision told: logged, the acknowledgement and the patient's notice written with the job's end.
JobEnd tell(const FilingServices& s, const Prepared& p, int64_t now) {
    auto config = s.config();
    const auto& job = *p.job;
    const auto& parts = p.parts;
    const Decision& d = p.decision;
    if (d.refused)
        log::info(kWhere, "{}: from=<{}> not filed: {} {}", job.queue_id, job.submitter, static_cast<int>(*d.refused),
                  log::sanitize(d.reason));
    else
        for (const auto& r : d.receipts)
            log::info(kWhere, "{}: from=<{}> document {} {}", job.queue_id, job.submitter, r.id,
                      r.duplicate ? "already filed" : "filed");

    std::vector<store::Delivery> notices;
    auto add = [&](const std::string& to, std::string content) {
        if (content.empty()) return;
        if (auto n = notice_to(s, *config, to, std::move(content))) notices.push_back(std::move(*n));
    };
    if (auto dnt = address_in(job.content, "Disposition-Notification-To"))
        add(*dnt, mdn_of(*config, job, d, *dnt, parts));
    else if (d.refused)
        add(job.submitter, plain_failure(*config, job, d, job.submitter));
    // A duplicate of this job's own earlier run is new to the patient: that run died before its notice.
    bool new_document = std::any_of(d.receipts.begin(), d.receipts.end(),
                                    [](const auto& r) { return !r.duplicate || r.same_submission; });
    if (new_document && s.patient_address)
        if (auto patient = s.patient_address(d.ins)) add(ascii_lower(*patient), patient_notice(*config, ascii_lower(*patient)));

    if (notices.empty()) return JobEnd::Unnoticed;
    notices.back().finishes_filing_job = job.id;
    auto written = s.store.deliver_batch(notices);
    bool remote = std::any_of(notices.begin(), notices.end(), [](const auto& n) { return !n.remote_recipients.empty(); });
    for (const auto& w : written)
        if (!w) log::error(kWhere, "{}: a notice was not written: {}", job.queue_id, w.error().message);
    if (remote && s.outbound_ready) s.outbound_ready();
    if (!written.empty() && written.back()) return JobEnd::Over;
    bool none_written = std::none_of(written.begin(), written.end(), [](const auto& w) { return w.ok(); });
    if (none_written)
        return notice_failed(s, job, now, written.empty() ? "no answer from the store" : written.back().error().message);
    // Some notices were written, not the one carrying the job's end: end it alone, rather than
    // run it again and tell twice those who were told.
    if (auto r = s.store.filing_done(job.id); !r) log::error(kWhere, "{}: cannot end the job: {}", job.queue_id, r.error().message);
    return JobEnd::Over;
}


}  // namespace

std::vector<JobEnd> work_jobs(const FilingServices& s, const std::vector<store::FilingJob>& jobs, int64_t now) {
    std::vector<Prepared> prepared;
    for (const auto& job : jobs) prepared.push_back(prepare(job));
    std::vector<dmp::BundleFrom> bundles;
    for (const auto& p : prepared)
        if (p.documents) bundles.push_back({&p.documents->bundle, dmp::Actor{dmp::Actor::Kind::Feed, p.job->submitter}});
    Result<std::vector<dmp::DepositOutcome>> filed = std::vector<dmp::DepositOutcome>{};
    if (!bundles.empty()) filed = s.deposit.provide_all(bundles);
    std::vector<JobEnd> ends;
    std::size_t next = 0;
    for (auto& p : prepared) {
        if (p.documents) {
            auto one = filed ? Result<dmp::DepositOutcome>((*filed)[next++]) : Result<dmp::DepositOutcome>(filed.error());
            if (!decide(s, p, one, now)) {
                ends.push_back(JobEnd::Retry);
                continue;
            }
        }
        ends.push_back(tell(s, p, now));
    }
    return ends;
}

FilingWorker::FilingWorker(asio::io_context& io, FilingServices services)
    : strand_(asio::make_strand(io)), timer_(strand_), pace_(strand_), services_(std::move(services)) {}

void FilingWorker::start() {
    asio::post(thread_, [] {
        sched_param none{};
        if (sched_setscheduler(gettid(), SCHED_IDLE, &none) != 0)
            log::warn(kWhere, "cannot make the filing thread SCHED_IDLE: {}", std::strerror(errno));
    });
    asio::co_spawn(strand_, run(), asio::detached);
}

void FilingWorker::wake() {
    asio::post(strand_, [this] {
        woken_ = true;
        timer_.cancel();
    });
}

void FilingWorker::stop() {
    asio::post(strand_, [this] {
        stopping_ = true;
        timer_.cancel();
        pace_.cancel();
    });
}

asio::awaitable<void> FilingWorker::run() {
    while (!stopping_) {
        woken_ = false;
        auto worked = co_await run_blocking(thread_, [this] {
            int64_t now = std::time(nullptr);
            auto due = services_.store.filing_due(now, kJobsPerTick);
            if (!due) {
                log::error(kWhere, "cannot read the filing queue: {}", due.error().message);
                return std::size_t{0};
            }
            std::vector<int64_t> unnoticed;
            auto ends = work_jobs(services_, *due, now);
            for (std::size_t i = 0; i < ends.size(); ++i)
                if (ends[i] == JobEnd::Unnoticed) unnoticed.push_back((*due)[i].id);
            // A crash before this write runs these jobs again: their deposits come back as their own.
            if (auto r = services_.store.filing_done(unnoticed); !r)
                log::error(kWhere, "cannot end {} jobs: {}", unnoticed.size(), r.error().message);
            return due->size();
        });
        if (stopping_) break;
        if (woken_ && worked == kJobsPerTick) {
            // A full pass and intake still queuing: a backlog under load. Let the sessions have the
            // cores and the disk a while, and take the next full pass then. A message alone waits
            // not, and a backlog left once intake is quiet is worked at full speed.
            pace_.expires_after(kPace);
            co_await pace_.async_wait(use_tuple);
            continue;
        }
        if (woken_ || worked == kJobsPerTick) continue;
        timer_.expires_after(kTick);
        co_await timer_.async_wait(use_tuple);
    }
}

}  // namespace mss::filing
