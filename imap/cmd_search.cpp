// SEARCH, SORT and THREAD and their UID forms (RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5182
// SEARCHRES, RFC 7162 MODSEQ, RFC 5256, RFC 5957) over the selected mailbox. The evaluation runs on
// the blocking pool; a message is read from the store only when a key or sort key needs its text.
#include <fmt/format.h>

#include <ctime>

#include "core/blocking.h"
#include "core/text.h"
#include "imap/search_eval.h"
#include "imap/sections.h"
#include "imap/session_state.h"
#include "imap/sort_thread.h"
#include "mime/text.h"

namespace mss::imap {
namespace {

// One stored message, read and decoded on first need.
class StoredMessage final : public MessageContent {
public:
    StoredMessage(store::Store& store, const MailboxRef& mailbox, uint32_t uid)
        : store_(store), mailbox_(mailbox), uid_(uid) {}

    const std::vector<HeaderText>& header() override {
        if (!header_) {
            header_.emplace();
            for (const auto& f : raw_fields()) header_->push_back({f.name, mime::decode_field(f.value)});
        }
        return *header_;
    }

    const std::string& body() override {
        if (!body_) {
            auto text = mime::body_text(bytes());
            body_ = text ? std::move(*text) : section_bytes(bytes(), Section{{}, SectionText::Text, {}}).value_or("");
        }
        return *body_;
    }

    std::optional<Date> sent_on() override {
        auto date = sent_date();
        if (!date) return std::nullopt;
        return Date{date->year, date->month, date->day};
    }

    std::optional<mime::SentDate> sent_date() {
        auto raw = raw_field("date");
        return raw ? mime::parse_date(*raw) : std::nullopt;
    }

    // The first field of that name (lower case), raw.
    std::optional<std::string> raw_field(std::string_view lower_name) {
        for (const auto& f : raw_fields())
            if (ascii_lower(f.name) == lower_name) return f.value;
        return std::nullopt;
    }

private:
    const std::string& bytes() {
        if (!bytes_) {
            auto fetched = store_.fetch_message(mailbox_.owner, mailbox_.folder, uid_);
            bytes_ = fetched ? std::move(*fetched) : std::string();  // expunged meanwhile: no text
        }
        return *bytes_;
    }

    const std::vector<mime::HeaderField>& raw_fields() {
        if (!fields_) fields_ = mime::header_fields(bytes());
        return *fields_;
    }

    store::Store& store_;
    const MailboxRef& mailbox_;
    uint32_t uid_;
    std::optional<std::string> bytes_;
    std::optional<std::vector<mime::HeaderField>> fields_;
    std::optional<std::vector<HeaderText>> header_;
    std::optional<std::string> body_;
};

// What a SEARCH, SORT or THREAD asks of the blocking pool. The session waits for the answer, so the
// mailbox it points to does not change meanwhile.
struct SearchJob {
    store::Store* store;
    const SelectedMailbox* mailbox;
    const SearchKey* criteria;
    int64_t now;
};

// Indexes into the mailbox's messages of those that match, ascending.
std::vector<std::size_t> matching(const SearchJob& job) {
    const SelectedMailbox& box = *job.mailbox;
    SearchScope scope{static_cast<uint32_t>(box.messages.size()), box.max_uid(), box.saved_uids, job.now};
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < box.messages.size(); ++i) {
        StoredMessage content(*job.store, box.ref, box.messages[i].uid);
        if (matches(*job.criteria, SearchMessage{static_cast<uint32_t>(i + 1), box.messages[i]}, content, scope))
            found.push_back(i);
    }
    return found;
}

std::vector<Match> search(const SearchJob& job) {
    std::vector<Match> out;
    for (std::size_t i : matching(job)) {
        const auto& m = job.mailbox->messages[i];
        out.push_back({static_cast<uint32_t>(i + 1), m.uid, m.modseq});
    }
    return out;
}

std::string mailbox_of(const mime::Address& a) { return a.mailbox; }

std::string display_of(const mime::Address& a) {
    if (!a.display_name.empty()) return a.display_name;
    return a.host.empty() ? a.mailbox : a.mailbox + "@" + a.host;
}

std::string address_key(StoredMessage& m, std::string_view field, std::string (*part)(const mime::Address&)) {
    auto raw = m.raw_field(field);
    if (!raw) return {};
    auto address = mime::first_address(*raw);
    return address ? part(*address) : std::string();
}

void read_header_facts(StoredMessage& m, SortFacts& f) {
    if (auto date = m.sent_date()) f.sent = date->utc;
    if (auto subject = m.raw_field("subject")) f.subject = mime::decode_field(*subject);
    f.from = address_key(m, "from", mailbox_of);
    f.to = address_key(m, "to", mailbox_of);
    f.cc = address_key(m, "cc", mailbox_of);
    f.display_from = address_key(m, "from", display_of);
    f.display_to = address_key(m, "to", display_of);
    if (auto id = m.raw_field("message-id")) {
        auto ids = message_ids(*id, 1);
        if (!ids.empty()) f.message_id = ids.front();
    }
    if (auto references = m.raw_field("references")) f.references = message_ids(*references);
    if (auto reply_to = m.raw_field("in-reply-to"); f.references.empty() && reply_to) {
        auto ids = message_ids(*reply_to);
        if (!ids.empty()) f.references = {ids.front()};
    }
}

// The facts of the matching messages, ascending by number; the header is read only when asked.
std::vector<SortFacts> facts_of(const SearchJob& job, bool read_header) {
    const SelectedMailbox& box = *job.mailbox;
    std::vector<SortFacts> facts;
    for (std::size_t i : matching(job)) {
        const auto& s = box.messages[i];
        SortFacts f;
        f.number = static_cast<uint32_t>(i + 1);
        f.uid = s.uid;
        f.size = s.size;
        f.arrival = s.internal_date;
        f.sent = s.internal_date;
        if (read_header) {
            StoredMessage message(*job.store, box.ref, s.uid);
            read_header_facts(message, f);
        }
        facts.push_back(std::move(f));
    }
    return facts;
}

bool reads_header(const std::vector<SortCriterion>& criteria) {
    return std::any_of(criteria.begin(), criteria.end(),
                       [](const SortCriterion& c) { return c.key != SortKey::Arrival && c.key != SortKey::Size; });
}

std::string sort_response(const SearchJob& job, const std::vector<SortCriterion>& criteria, bool by_uid) {
    auto facts = facts_of(job, reads_header(criteria));
    std::string out = "SORT";
    for (std::size_t i : sort_order(facts, criteria)) out += fmt::format(" {}", by_uid ? facts[i].uid : facts[i].number);
    return out;
}

std::string thread_response(const SearchJob& job, const std::string& algorithm, bool by_uid) {
    auto facts = facts_of(job, true);
    auto forest = algorithm == "REFERENCES" ? thread_by_references(facts) : thread_by_subject(facts);
    std::string threads = format_threads(forest, facts, by_uid);
    return threads.empty() ? "THREAD" : "THREAD " + threads;
}

const SearchKey& criteria_of(const Command& cmd) {
    if (auto* sort = std::get_if<SortArgs>(&cmd.args)) return sort->search;
    if (auto* thread = std::get_if<ThreadArgs>(&cmd.args)) return thread->search;
    return std::get<SearchArgs>(cmd.args).criteria;
}

std::string_view completed(const Command& cmd) {
    switch (cmd.verb) {
        case Verb::Sort: return cmd.uid ? "UID SORT completed" : "SORT completed";
        case Verb::Thread: return cmd.uid ? "UID THREAD completed" : "THREAD completed";
        default: return cmd.uid ? "UID SEARCH completed" : "SEARCH completed";
    }
}

}  // namespace

asio::awaitable<void> Session::cmd_search(const Command& cmd) {
    const SearchKey& criteria = criteria_of(cmd);
    const auto* search_args = std::get_if<SearchArgs>(&cmd.args);
    bool saving = search_args && (search_args->returns & ReturnSave);
    if (!numbers_in_range(criteria, static_cast<uint32_t>(selected_->messages.size()))) {
        if (saving) selected_->saved_uids.clear();  // a failed SEARCH RETURN (SAVE) empties "$" (RFC 5182 2.1)
        co_return bad(cmd, "Invalid message sequence number");
    }
    const auto* thread_args = std::get_if<ThreadArgs>(&cmd.args);
    if (thread_args && thread_args->algorithm != "ORDEREDSUBJECT" && thread_args->algorithm != "REFERENCES")
        co_return bad(cmd, "Unknown threading algorithm");
    bool modseq = mentions_modseq(criteria);
    if (modseq) condstore_ = true;  // a CONDSTORE enabling command (RFC 7162 3.1)
    SearchJob job{&services_.store, &*selected_, &criteria, static_cast<int64_t>(std::time(nullptr))};
    if (search_args) {
        auto work = run_blocking(services_.blocking, [job] { return search(job); });
        auto found = co_await std::move(work);
        SearchRequest request{cmd.tag, cmd.uid, search_args->esearch, search_args->returns, modseq};
        if (auto response = search_response(request, found)) untagged(*response);
        if (saving) selected_->saved_uids = saved_result(search_args->returns, found);
    } else if (thread_args) {
        auto work = run_blocking(services_.blocking,
                                 [job, algorithm = thread_args->algorithm, uid = cmd.uid] {
                                     return thread_response(job, algorithm, uid);
                                 });
        auto response = co_await std::move(work);
        untagged(response);
    } else {
        auto work = run_blocking(services_.blocking, [job, criteria = std::get<SortArgs>(cmd.args).criteria,
                                                      uid = cmd.uid] { return sort_response(job, criteria, uid); });
        auto response = co_await std::move(work);
        untagged(response);
    }
    ok(cmd, std::string(completed(cmd)));
}

}  // namespace mss::imap
