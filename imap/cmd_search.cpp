// SEARCH, SORT and THREAD and their UID forms (RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5182
// SEARCHRES, RFC 7162 MODSEQ, RFC 5256, RFC 5957) over the selected mailbox. The evaluation runs on
// the blocking pool; messages are read from the store, in one walk, only when a key or sort key
// needs their text, and only their header block unless a key reads the body.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "core/blocking.h"
#include "imap/search_eval.h"
#include "imap/sections.h"
#include "imap/session_state.h"
#include "imap/sort_thread.h"
#include "mime/structure.h"
#include "mime/text.h"

namespace mss::imap {
namespace {

// A field name as written against a lower-case one, without making a lower-case copy.
bool is_named(std::string_view name, std::string_view lower_name) {
    return name.size() == lower_name.size() &&
           std::equal(name.begin(), name.end(), lower_name.begin(),
                      [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + 32 : a) == b; });
}

bool is_address_field(std::string_view lower_name) {
    for (std::string_view name : {"from", "to", "cc", "bcc", "sender", "reply-to"})
        if (lower_name == name) return true;
    return false;
}

// One message's text as the store gave it (its header block, or all of it when a key reads the
// body), decoded on first need. Empty for a message expunged meanwhile: then it has no text.
class StoredMessage final : public MessageContent {
public:
    explicit StoredMessage(std::string_view text) : text_(text) {}

    const std::vector<HeaderText>& header() override {
        if (!header_) {
            header_.emplace();
            for (const auto& f : raw_fields()) header_->push_back({f.name, mime::decode_field(f.value)});
        }
        return *header_;
    }

    // An address field also gives each of its addresses as plain "mailbox@host" and its decoded
    // display name, so that FROM "user@domain.org" finds <user (comment)@ (comment) domain.org>
    // (RFC 5322 CFWS) and folded lists.
    std::vector<std::string> field_values(std::string_view lower_name) override {
        std::vector<std::string> values;
        bool addresses = is_address_field(lower_name);
        for (const auto& f : raw_fields()) {
            if (!is_named(f.name, lower_name)) continue;
            values.push_back(mime::decode_field(f.value));
            if (!addresses) continue;
            for (const auto& a : mime::parse_addresses(f.value)) {
                if (a.mailbox && a.host) values.push_back(*a.mailbox + "@" + *a.host);
                if (a.name) values.push_back(mime::decode_field(*a.name));
            }
        }
        return values;
    }

    const std::string& body() override {
        if (!body_) {
            auto text = mime::body_text(text_);
            body_ = text ? std::move(*text) : section_bytes(text_, Section{{}, SectionText::Text, {}}).value_or("");
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
            if (is_named(f.name, lower_name)) return f.value;
        return std::nullopt;
    }

private:
    const std::vector<mime::HeaderField>& raw_fields() {
        if (!fields_) fields_ = mime::header_fields(text_);
        return *fields_;
    }

    std::string_view text_;
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

SearchMessage message_at(const SelectedMailbox& box, std::size_t index) {
    const auto& m = box.messages[index];
    return SearchMessage{static_cast<uint32_t>(index + 1), m, box.recent.count(m.uid) > 0};
}

// Those of open (indexes, ascending) whose text matches, read in one walk of the store and only
// as far as the keys need (header block, or whole message for BODY and TEXT). A message the store
// no longer has (expunged meanwhile) is judged on no text.
Result<std::vector<std::size_t>> matching_text(const SearchJob& job, const SearchScope& scope,
                                               const std::vector<std::size_t>& open) {
    const SelectedMailbox& box = *job.mailbox;
    std::vector<uint32_t> uids;
    for (std::size_t i : open) uids.push_back(box.messages[i].uid);
    std::vector<std::size_t> found;
    auto judge = [&](std::size_t i, std::string_view text) {
        StoredMessage content(text);
        if (matches(*job.criteria, message_at(box, i), content, scope)) found.push_back(i);
    };
    std::size_t next = 0;  // open[next] is the first message not judged yet
    auto extent = needs_body(*job.criteria) ? store::TextExtent::Whole : store::TextExtent::Header;
    auto walked = job.store->read_texts(box.ref.owner, box.ref.folder, uids, extent, [&](uint32_t uid, std::string_view text) {
        for (; next < open.size() && box.messages[open[next]].uid != uid; ++next) judge(open[next], {});
        if (next < open.size()) judge(open[next++], text);
        return true;
    });
    if (!walked) return walked.error();
    for (; next < open.size(); ++next) judge(open[next], {});
    return found;
}

// Indexes into the mailbox's messages of those that match, ascending. The message list settles
// what it can (flags, dates, sizes, numbers) without reading any message.
Result<std::vector<std::size_t>> matching(const SearchJob& job) {
    const SelectedMailbox& box = *job.mailbox;
    SearchScope scope{static_cast<uint32_t>(box.messages.size()), box.max_uid(), box.saved_uids, job.now};
    std::vector<std::size_t> found, open;
    for (std::size_t i = 0; i < box.messages.size(); ++i) {
        auto verdict = verdict_without_content(*job.criteria, message_at(box, i), scope);
        if (!verdict) open.push_back(i);
        else if (*verdict) found.push_back(i);
    }
    if (open.empty()) return found;
    auto by_text = matching_text(job, scope, open);
    if (!by_text) return by_text.error();
    found.insert(found.end(), by_text->begin(), by_text->end());
    std::sort(found.begin(), found.end());
    return found;
}

Result<std::vector<Match>> search(const SearchJob& job) {
    auto found = matching(job);
    if (!found) return found.error();
    std::vector<Match> out;
    for (std::size_t i : *found) {
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

// The header facts of each of facts (ascending by UID), from one walk of the store's header blocks;
// a message the store no longer has keeps what the message list says.
mss::Status read_headers(const SearchJob& job, std::vector<SortFacts>& facts) {
    std::vector<uint32_t> uids;
    for (const auto& f : facts) uids.push_back(f.uid);
    std::size_t next = 0;
    return job.store->read_texts(job.mailbox->ref.owner, job.mailbox->ref.folder, uids, store::TextExtent::Header,
                                 [&](uint32_t uid, std::string_view text) {
                                     while (next < facts.size() && facts[next].uid != uid) ++next;
                                     if (next == facts.size()) return false;
                                     StoredMessage message(text);
                                     read_header_facts(message, facts[next++]);
                                     return true;
                                 });
}

// The facts of the matching messages, ascending by number; the header is read only when asked.
Result<std::vector<SortFacts>> facts_of(const SearchJob& job, bool read_header) {
    auto found = matching(job);
    if (!found) return found.error();
    std::vector<SortFacts> facts;
    for (std::size_t i : *found) {
        const auto& s = job.mailbox->messages[i];
        SortFacts f;
        f.number = static_cast<uint32_t>(i + 1);
        f.uid = s.uid;
        f.size = s.size;
        f.arrival = s.internal_date;
        f.sent = s.internal_date;
        facts.push_back(std::move(f));
    }
    if (read_header)
        if (auto read = read_headers(job, facts); !read) return read.error();
    return facts;
}

bool reads_header(const std::vector<SortCriterion>& criteria) {
    return std::any_of(criteria.begin(), criteria.end(),
                       [](const SortCriterion& c) { return c.key != SortKey::Arrival && c.key != SortKey::Size; });
}

Result<std::string> sort_response(const SearchJob& job, const std::vector<SortCriterion>& criteria, bool by_uid) {
    auto facts = facts_of(job, reads_header(criteria));
    if (!facts) return facts.error();
    std::string out = "SORT";
    for (std::size_t i : sort_order(*facts, criteria))
        out += fmt::format(" {}", by_uid ? (*facts)[i].uid : (*facts)[i].number);
    return out;
}

Result<std::string> thread_response(const SearchJob& job, const std::string& algorithm, bool by_uid) {
    auto facts = facts_of(job, true);
    if (!facts) return facts.error();
    auto forest = algorithm == "REFERENCES" ? thread_by_references(*facts) : thread_by_subject(*facts);
    std::string threads = format_threads(forest, *facts, by_uid);
    return threads.empty() ? std::string("THREAD") : "THREAD " + threads;
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
    if (modseq) enable_condstore();  // a CONDSTORE enabling command (RFC 7162 3.1)
    SearchJob job{&services_.store, &*selected_, &criteria, static_cast<int64_t>(std::time(nullptr))};
    if (search_args) {
        auto work = run_blocking(services_.blocking, [job] { return search(job); });
        auto found = co_await std::move(work);
        if (!found) {
            if (saving) selected_->saved_uids.clear();
            co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
        }
        // IMAP4rev2 answers every SEARCH with ESEARCH, RETURN (ALL) when none was given (RFC 9051 6.4.4).
        bool esearch = search_args->esearch || rev2_;
        unsigned returns = search_args->esearch ? search_args->returns : static_cast<unsigned>(ReturnAll);
        SearchRequest request{cmd.tag, cmd.uid, esearch, returns, modseq};
        if (auto response = search_response(request, *found)) untagged(*response);
        if (saving) selected_->saved_uids = saved_result(search_args->returns, *found);
    } else if (thread_args) {
        auto work = run_blocking(services_.blocking,
                                 [job, algorithm = thread_args->algorithm, uid = cmd.uid] {
                                     return thread_response(job, algorithm, uid);
                                 });
        auto response = co_await std::move(work);
        if (!response) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
        untagged(*response);
    } else {
        auto work = run_blocking(services_.blocking, [job, criteria = std::get<SortArgs>(cmd.args).criteria,
                                                      uid = cmd.uid] { return sort_response(job, criteria, uid); });
        auto response = co_await std::move(work);
        if (!response) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
        untagged(*response);
    }
    ok(cmd, std::string(completed(cmd)));
}

}  // namespace mss::imap
