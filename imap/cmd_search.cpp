// SEARCH, SORT and THREAD and their UID forms (RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5182
// SEARCHRES, RFC 7162 MODSEQ, RFC 5256, RFC 5957, RFC 5267 ESORT and CONTEXT=SEARCH, THREAD=REFS)
// over the selected mailbox. The evaluation runs on
// the blocking pool; messages are read from the store, in one walk, only when a key or sort key
// needs their text, and only their header block unless a key reads the body.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <iterator>

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

// The matches in the order the criteria give (RFC 5256 3), each with its MODSEQ for ESORT.
Result<std::vector<Match>> sorted(const SearchJob& job, const std::vector<SortCriterion>& criteria) {
    auto facts = facts_of(job, reads_header(criteria));
    if (!facts) return facts.error();
    std::vector<Match> out;
    for (std::size_t i : sort_order(*facts, criteria)) {
        const SortFacts& f = (*facts)[i];
        out.push_back({f.number, f.uid, job.mailbox->messages[f.number - 1].modseq});
    }
    return out;
}

std::string sort_response(std::span<const Match> order, bool by_uid) {
    std::string out = "SORT";
    for (const Match& m : order) out += fmt::format(" {}", by_uid ? m.uid : m.number);
    return out;
}

Result<std::string> thread_response(const SearchJob& job, const std::string& algorithm, bool by_uid) {
    auto facts = facts_of(job, true);
    if (!facts) return facts.error();
    auto forest = algorithm == "REFERENCES" ? thread_by_references(*facts)
                  : algorithm == "REFS"     ? thread_by_refs(*facts)
                                            : thread_by_subject(*facts);
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

constexpr std::size_t kMaxSearchUpdates = 10;  // kept per selected mailbox, as Dovecot does

// What a kept search's result depends on: message count, highest UID, highest MODSEQ (any flag
// change, ours or another session's, raises it) and the expunges held back.
std::array<uint64_t, 4> mailbox_state(const SelectedMailbox& box) {
    uint64_t highest = box.seen_modseq;
    for (const auto& m : box.messages) highest = std::max(highest, m.modseq);
    return {box.messages.size(), box.max_uid(), highest, box.expunged_elsewhere.size()};
}

// The UIDs of the matches the client still sees (not expunged elsewhere meanwhile), ascending.
std::vector<uint32_t> visible_uids(const SelectedMailbox& box, std::span<const Match> matches) {
    std::vector<uint32_t> uids;
    for (const Match& m : matches)
        if (!box.expunged_elsewhere.count(m.uid)) uids.push_back(m.uid);
    return uids;
}

// "REMOVEFROM (0 2:3)" or "ADDTO (0 7)": position 0, as for an unsorted result (RFC 5267 4.3);
// message numbers unless the search was a UID SEARCH.
std::string update_part(std::string_view name, const SelectedMailbox& box, const std::vector<uint32_t>& uids, bool by_uid) {
    std::vector<uint32_t> ids;
    for (uint32_t uid : uids) {
        if (by_uid) ids.push_back(uid);
        else if (auto index = box.index_of_uid(uid)) ids.push_back(static_cast<uint32_t>(*index + 1));
    }
    return ids.empty() ? std::string() : fmt::format(" {} (0 {})", name, compact_set(ids));
}

// The untagged ESEARCH telling how a kept result changed, "" when it did not. A message gone from
// the view is not named: its EXPUNGE (or VANISHED) told the client already. One expunged elsewhere
// but held back (during FETCH, STORE, SEARCH) is still numbered: REMOVEFROM names it.
std::string update_response(const SelectedMailbox& box, const SearchUpdate& update, const std::vector<uint32_t>& now) {
    std::vector<uint32_t> added, removed;
    std::set_difference(now.begin(), now.end(), update.uids.begin(), update.uids.end(), std::back_inserter(added));
    std::set_difference(update.uids.begin(), update.uids.end(), now.begin(), now.end(), std::back_inserter(removed));
    std::erase_if(removed, [&](uint32_t uid) { return !box.index_of_uid(uid); });
    std::string parts = update_part("REMOVEFROM", box, removed, update.uid) + update_part("ADDTO", box, added, update.uid);
    if (parts.empty()) return {};
    return fmt::format("ESEARCH (TAG \"{}\"){}{}", update.tag, update.uid ? " UID" : "", parts);
}

bool keeps_update(const SelectedMailbox& box, std::string_view tag) {
    return std::any_of(box.search_updates.begin(), box.search_updates.end(),
                       [&](const SearchUpdate& u) { return u.tag == tag; });
}

}  // namespace

// RFC 5267 4.2: the result is kept with the state it was computed on; beyond kMaxSearchUpdates the
// client hears NOUPDATE and gets its answer without updates.
void Session::keep_for_updates(const Command& cmd, const SearchKey& criteria, std::vector<uint32_t> uids) {
    auto& box = *selected_;
    if (box.search_updates.size() >= kMaxSearchUpdates) {
        send({"", Status::No, Code::NoUpdate, fmt::format("\"{}\"", cmd.tag), "Too many searches kept up to date"});
        return;
    }
    box.search_updates.push_back({cmd.tag, cmd.uid, criteria, std::move(uids), mailbox_state(box)});
}

asio::awaitable<void> Session::send_search_updates() {
    if (!selected_ || selected_->search_updates.empty()) co_return;
    auto state = mailbox_state(*selected_);
    for (auto& update : selected_->search_updates) {
        if (update.computed_on == state) continue;
        SearchJob job{&services_.store, &*selected_, &update.criteria, static_cast<int64_t>(std::time(nullptr))};
        auto work = run_blocking(services_.blocking, [job] { return search(job); });
        auto found = co_await std::move(work);
        if (!found) continue;  // computed again at the next command
        auto now = visible_uids(*selected_, *found);
        if (auto response = update_response(*selected_, update, now); !response.empty()) untagged(response);
        update.uids = std::move(now);
        update.computed_on = state;
    }
}

// CANCELUPDATE: every tag named must be a kept search, else NO (as Dovecot) and nothing is forgotten.
void Session::cmd_cancel_update(const Command& cmd) {
    auto& box = *selected_;
    const auto& tags = std::get<CancelUpdateArgs>(cmd.args).tags;
    for (const auto& tag : tags)
        if (!keeps_update(box, tag)) return no(cmd, Code::None, "Unknown search update tag");
    std::erase_if(box.search_updates, [&](const SearchUpdate& u) {
        return std::find(tags.begin(), tags.end(), u.tag) != tags.end();
    });
    ok(cmd, "CANCELUPDATE completed");
}

asio::awaitable<void> Session::cmd_search(const Command& cmd) {
    const SearchKey& criteria = criteria_of(cmd);
    const auto* search_args = std::get_if<SearchArgs>(&cmd.args);
    const auto* sort_args = std::get_if<SortArgs>(&cmd.args);
    // SAVE keeps the matches as a set, with SORT too (RFC 5267 3: MIN and MAX in sort order).
    unsigned returns = search_args ? search_args->returns : sort_args ? sort_args->returns : 0;
    bool saving = returns & ReturnSave;
    if (search_args && (search_args->returns & ReturnUpdate) && keeps_update(*selected_, cmd.tag))
        co_return bad(cmd, "Duplicate search update tag");
    if (!numbers_in_range(criteria, static_cast<uint32_t>(selected_->messages.size()))) {
        if (saving) selected_->saved_uids.clear();  // a failed SEARCH RETURN (SAVE) empties "$" (RFC 5182 2.1)
        co_return bad(cmd, "Invalid message sequence number");
    }
    const auto* thread_args = std::get_if<ThreadArgs>(&cmd.args);
    if (thread_args && thread_args->algorithm != "ORDEREDSUBJECT" && thread_args->algorithm != "REFERENCES" &&
        thread_args->algorithm != "REFS")
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
        SearchRequest request{cmd.tag, cmd.uid, esearch, returns, modseq, search_args->partial};
        if (auto response = search_response(request, *found)) untagged(*response);
        if (saving) selected_->saved_uids = saved_result(search_args->returns, *found);
        if (search_args->returns & ReturnUpdate) keep_for_updates(cmd, criteria, visible_uids(*selected_, *found));
    } else if (thread_args) {
        auto work = run_blocking(services_.blocking,
                                 [job, algorithm = thread_args->algorithm, uid = cmd.uid] {
                                     return thread_response(job, algorithm, uid);
                                 });
        auto response = co_await std::move(work);
        if (!response) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
        untagged(*response);
    } else {
        auto work = run_blocking(services_.blocking, [job, criteria = sort_args->criteria] { return sorted(job, criteria); });
        auto order = co_await std::move(work);
        if (!order) {
            if (saving) selected_->saved_uids.clear();
            co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
        }
        if (!sort_args->esearch) {
            untagged(sort_response(*order, cmd.uid));
        } else {
            SearchRequest request{cmd.tag, cmd.uid, true, sort_args->returns, modseq, sort_args->partial};
            if (auto response = search_response(request, *order)) untagged(*response);
        }
        if (saving) selected_->saved_uids = saved_result(sort_args->returns, *order);
    }
    ok(cmd, std::string(completed(cmd)));
}

}  // namespace mss::imap
