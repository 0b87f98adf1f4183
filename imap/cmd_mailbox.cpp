// Mailbox commands (RFC 3501 6.3, RFC 9051 6.3): STATUS, SELECT and EXAMINE (with CONDSTORE and
// QRESYNC, RFC 7162), CLOSE, UNSELECT, and the refresh that tells a selected session what other
// sessions changed (NOOP, CHECK, IDLE). Mailboxes are reached through imap/namespace, which applies
// the user's rights.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/blocking.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

constexpr std::string_view kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

bool has_flag(const store::MessageSummary& m, std::string_view flag) {
    return std::find(m.flags.begin(), m.flags.end(), flag) != m.flags.end();
}

// Every keyword in use in the mailbox.
std::set<std::string> keywords_of(const std::vector<store::MessageSummary>& messages) {
    std::set<std::string> keywords;
    for (auto& m : messages)
        for (auto& f : m.flags)
            if (!f.starts_with("\\")) keywords.insert(f);
    return keywords;
}

}  // namespace

std::optional<std::size_t> SelectedMailbox::index_of_uid(uint32_t uid) const {
    auto it = std::lower_bound(messages.begin(), messages.end(), uid,
                               [](const store::MessageSummary& m, uint32_t u) { return m.uid < u; });
    if (it == messages.end() || it->uid != uid) return std::nullopt;
    return static_cast<std::size_t>(it - messages.begin());
}

std::optional<std::vector<std::size_t>> Session::resolve(const SequenceSet& set, bool by_uid) const {
    std::vector<std::size_t> out;
    const auto& msgs = selected_->messages;
    if (set.saved) {  // "$": the saved UIDs still present, whatever by_uid says (RFC 5182 2.1)
        for (uint32_t uid : selected_->saved_uids)
            if (auto i = selected_->index_of_uid(uid)) out.push_back(*i);
        return out;
    }
    if (by_uid) {
        for (std::size_t i = 0; i < msgs.size(); ++i)
            if (set.contains(msgs[i].uid, selected_->max_uid())) out.push_back(i);
        return out;
    }
    if (msgs.empty() && set.has_star()) return std::nullopt;  // "*" names no message of an empty mailbox
    for (const auto& range : set.ranges) {
        for (uint32_t end : {range.first, range.last})
            if (end != SequenceSet::star && end > msgs.size()) return std::nullopt;
    }
    set.for_each(static_cast<uint32_t>(msgs.size()), [&](uint32_t n) { out.push_back(n - 1); });
    return out;
}

asio::awaitable<std::optional<MailboxRef>> Session::find_mailbox(const std::string& name) {
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, user = user_->address, name] {
        return imap::find_mailbox(store, user, name);
    });
    auto found = co_await std::move(lookup);
    if (!found) co_return std::nullopt;
    co_return std::move(*found);
}

std::string Session::status_items(const MailboxRef& mailbox, const std::vector<store::MessageSummary>& messages,
                                  const std::vector<StatusItem>& wanted) const {
    std::string items;
    auto add = [&items](std::string_view name, uint64_t value) {
        items += fmt::format("{}{} {}", items.empty() ? "" : " ", name, value);
    };
    for (StatusItem item : wanted) {
        switch (item) {
            case StatusItem::Messages: add("MESSAGES", messages.size()); break;
            case StatusItem::Recent: {
                // The messages no session has claimed yet, and those this session holds as recent.
                auto unclaimed = std::count_if(messages.begin(), messages.end(),
                                               [&](auto& m) { return m.uid >= mailbox.info.recent_from; });
                bool mine = selected_ && selected_->ref.info.id == mailbox.info.id;
                add("RECENT", static_cast<uint64_t>(unclaimed) + (mine ? selected_->recent.size() : 0));
                break;
            }
            case StatusItem::UidNext: add("UIDNEXT", mailbox.info.uidnext); break;
            case StatusItem::UidValidity: add("UIDVALIDITY", mailbox.info.uidvalidity); break;
            case StatusItem::Unseen:
                add("UNSEEN", std::count_if(messages.begin(), messages.end(), [](auto& m) { return !has_flag(m, "\\Seen"); }));
                break;
            case StatusItem::Deleted:
                add("DELETED", std::count_if(messages.begin(), messages.end(), [](auto& m) { return has_flag(m, "\\Deleted"); }));
                break;
            case StatusItem::Size: {
                uint64_t size = 0;
                for (auto& m : messages) size += m.size;
                add("SIZE", size);
                break;
            }
            case StatusItem::HighestModSeq: add("HIGHESTMODSEQ", mailbox.info.highest_modseq); break;
            case StatusItem::AppendLimit: add("APPENDLIMIT", config_->limits.max_message_size); break;
            case StatusItem::MailboxId:  // RFC 8474 4.4
                items += fmt::format("{}MAILBOXID ({})", items.empty() ? "" : " ", mailbox.info.mailbox_id);
                break;
        }
    }
    return fmt::format("STATUS {} ({})", wire_name(mailbox.name), items);
}

asio::awaitable<std::optional<std::vector<store::MessageSummary>>> Session::messages_of(const MailboxRef& mailbox) {
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, owner = mailbox.owner, folder = mailbox.folder] {
        return store.list_messages(owner, folder);
    });
    auto messages = co_await std::move(lookup);
    if (!messages) co_return std::nullopt;
    co_return std::move(*messages);
}

asio::awaitable<void> Session::cmd_status(const Command& cmd) {
    const auto& args = std::get<StatusArgs>(cmd.args);
    auto mailbox = co_await find_mailbox(args.mailbox);
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
    if (!mailbox->may('r')) co_return no(cmd, Code::NoPerm, "You may not read that mailbox");
    auto messages = co_await messages_of(*mailbox);
    if (!messages) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
    if (std::find(args.items.begin(), args.items.end(), StatusItem::HighestModSeq) != args.items.end()) enable_condstore();
    if (selected_ && selected_->ref.info.id == mailbox->info.id) co_await refresh(Expunges::Hold);
    untagged(status_items(*mailbox, *messages, args.items));
    ok(cmd, "STATUS completed");
}

asio::awaitable<void> Session::cmd_select(const Command& cmd) {
    const auto& args = std::get<SelectArgs>(cmd.args);
    bool read_only = cmd.verb == Verb::Examine;
    if (args.qresync && !qresync_) co_return bad(cmd, "QRESYNC is not enabled");
    if (selected_ && (qresync_ || rev2_)) send({"", Status::Ok, Code::Closed, {}, "Previous mailbox closed"});
    selected_.reset();  // a failed SELECT leaves no mailbox selected (RFC 3501 6.3.1)
    state_ = State::Authenticated;
    auto mailbox = co_await find_mailbox(args.mailbox);
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
    if (!mailbox->may('r')) co_return no(cmd, Code::NoPerm, "You may not read that mailbox");
    auto messages = co_await messages_of(*mailbox);
    if (!messages) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
    if (args.condstore) condstore_ = true;
    // Without the rights to change anything, SELECT opens read-only (RFC 4314 4).
    read_only = read_only || !(mailbox->may('s') || mailbox->may('w') || mailbox->may('t') || mailbox->may('e'));
    // The folder's HIGHESTMODSEQ was read before its messages: a change between the two reads is
    // above it, so refresh reads it again rather than missing it.
    uint64_t seen = mailbox->info.highest_modseq;
    selected_.emplace();
    selected_->ref = *mailbox;
    selected_->read_only = read_only;
    selected_->messages = std::move(*messages);
    selected_->seen_modseq = seen;
    selected_->keywords = keywords_of(selected_->messages);
    selected_->claims_recent = !rev2_ && cmd.verb == Verb::Select;
    // What changed after the messages were read is seen by the first command: a change before the
    // watch began is looked for once, since the flag starts set.
    selected_->watch = services_.store.changes().watch(selected_->ref.info.id, [changed = selected_->changed] { *changed = true; });
    *selected_->changed = true;
    state_ = State::Selected;
    co_await claim_recent();
    announce_selected(read_only);
    if (rev2_) co_await announce_list_entry();
    if (args.qresync) co_await resynchronise(*args.qresync);
    ok(cmd, cmd.verb == Verb::Examine ? "EXAMINE completed" : "SELECT completed", read_only ? Code::ReadOnly : Code::ReadWrite);
}

void Session::send_flags() {
    std::string flags(kSystemFlags);
    for (auto& k : selected_->keywords) flags += " " + k;
    untagged(fmt::format("FLAGS ({})", flags));
    send({"", Status::Ok, Code::PermanentFlags, selected_->read_only ? "()" : fmt::format("({} \\*)", flags),
          "Flags permitted"});
}

void Session::announce_keywords(const std::vector<std::string>& flags) {
    bool added = false;
    for (auto& f : flags)
        if (!f.starts_with("\\")) added = selected_->keywords.insert(f).second || added;
    if (added) send_flags();
}

void Session::enable_condstore() {
    if (condstore_) return;
    condstore_ = true;
    if (selected_)
        send({"", Status::Ok, Code::HighestModSeq, std::to_string(selected_->ref.info.highest_modseq), "Highest"});
}

void Session::announce_selected(bool read_only) {
    const auto& msgs = selected_->messages;
    const auto& info = selected_->ref.info;
    send_flags();
    untagged(fmt::format("{} EXISTS", msgs.size()));
    // IMAP4rev2 has neither RECENT nor the UNSEEN response code (RFC 9051 Appendix E).
    if (!rev2_) untagged(fmt::format("{} RECENT", selected_->recent.size()));
    auto unseen = std::find_if(msgs.begin(), msgs.end(), [](auto& m) { return !has_flag(m, "\\Seen"); });
    if (!rev2_ && unseen != msgs.end())
        send({"", Status::Ok, Code::Unseen, std::to_string(unseen - msgs.begin() + 1), "First unseen"});
    send({"", Status::Ok, Code::UidValidity, std::to_string(info.uidvalidity), "UIDs valid"});
    send({"", Status::Ok, Code::UidNext, std::to_string(info.uidnext), "Predicted next UID"});
    send({"", Status::Ok, Code::HighestModSeq, std::to_string(info.highest_modseq), "Highest"});
    send({"", Status::Ok, Code::MailboxId, fmt::format("({})", info.mailbox_id), "Mailbox id"});  // RFC 8474 4.2
}

// RFC 7162 3.2.5.1: what changed since the client's MODSEQ, when its UIDVALIDITY still holds.
asio::awaitable<void> Session::resynchronise(const QresyncParams& known) {
    if (known.uidvalidity != selected_->ref.info.uidvalidity) co_return;
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, ref = selected_->ref, since = known.modseq] {
        return store.vanished_since(ref.owner, ref.folder, since);
    });
    auto vanished = co_await std::move(lookup);
    if (vanished) {
        std::vector<uint32_t> gone;
        for (uint32_t uid : *vanished)
            if (!known.known_uids || known.known_uids->contains(uid, UINT32_MAX)) gone.push_back(uid);
        if (!gone.empty()) untagged(fmt::format("VANISHED (EARLIER) {}", uid_set(gone)));
    }
    for (std::size_t i = 0; i < selected_->messages.size(); ++i) {
        const auto& m = selected_->messages[i];
        if (m.modseq > known.modseq && (!known.known_uids || known.known_uids->contains(m.uid, UINT32_MAX)))
            untagged(fmt::format("{} FETCH (UID {} FLAGS {} MODSEQ ({}))", i + 1, m.uid, flags_of(m), m.modseq));
    }
}

asio::awaitable<void> Session::cmd_close(const Command& cmd, bool expunge) {
    if (expunge && !selected_->read_only && selected_->ref.may('e')) {
        auto work = run_blocking(services_.blocking, [&store = services_.store, ref = selected_->ref] {
            return store.expunge(ref.owner, ref.folder, std::nullopt);
        });
        co_await std::move(work);  // CLOSE reports no EXPUNGE responses (RFC 3501 6.4.2)
    }
    selected_.reset();
    state_ = State::Authenticated;
    ok(cmd, expunge ? "CLOSE completed" : "UNSELECT completed");
}

void Session::report_expunged(const std::vector<uint32_t>& uids) {
    std::vector<uint32_t> reported;
    for (uint32_t uid : uids) {
        auto index = selected_->index_of_uid(uid);
        if (!index) continue;
        if (!qresync_) untagged(fmt::format("{} EXPUNGE", *index + 1));
        selected_->recent.erase(uid);
        selected_->messages.erase(selected_->messages.begin() + static_cast<std::ptrdiff_t>(*index));
        reported.push_back(uid);
    }
    if (qresync_ && !reported.empty()) untagged(fmt::format("VANISHED {}", uid_set(reported)));
}

std::string Session::flags_update(std::size_t index) const {
    const auto& m = selected_->messages[index];
    std::string uid = qresync_ ? fmt::format("UID {} ", m.uid) : "";
    std::string modseq = condstore_ ? fmt::format(" MODSEQ ({})", m.modseq) : "";
    return fmt::format("{} FETCH ({}FLAGS {}{})", index + 1, uid, flags_of(m), modseq);
}

std::string Session::flags_of(const store::MessageSummary& m) const {
    std::string out = "(";
    if (selected_ && selected_->recent.count(m.uid)) out += "\\Recent";
    for (auto& f : m.flags) out += (out.size() > 1 ? " " : "") + f;
    return out + ")";
}

asio::awaitable<void> Session::claim_recent() {
    auto& view = *selected_;
    if (!view.claims_recent || view.messages.empty()) co_return;
    uint32_t up_to = view.max_uid() + 1;
    auto claim = run_blocking(services_.blocking, [&store = services_.store, ref = view.ref, up_to] {
        return store.claim_recent(ref.owner, ref.folder, up_to);
    });
    auto first = co_await std::move(claim);
    if (!first) co_return;  // nothing shown as recent rather than a failed command
    for (auto it = view.messages.rbegin(); it != view.messages.rend() && it->uid >= *first; ++it)
        view.recent.insert(it->uid);
}

// What other sessions did since the client last looked: flag changes and new messages, read as
// the changes above the MODSEQ this session has already seen, and only when the store said the
// folder changed. Expunges wait in expunged_elsewhere for a command that may report them.
asio::awaitable<void> Session::refresh(Expunges expunges) {
    auto& view = *selected_;
    std::vector<uint32_t> flags_changed;
    std::size_t before = view.messages.size();
    bool looked = view.changed->exchange(false);
    if (looked) {
        auto lookup = run_blocking(services_.blocking, [&store = services_.store, ref = view.ref, since = view.seen_modseq] {
            return store.changes_since(ref.owner, ref.folder, since);
        });
        auto changes = co_await std::move(lookup);
        if (!changes) {
            *view.changed = true;  // looked at again by the next command
            co_return;
        }
        for (uint32_t uid : changes->vanished)
            if (view.index_of_uid(uid)) view.expunged_elsewhere.insert(uid);
        uint32_t known = view.max_uid();
        for (auto& fresh : changes->changed) {
            announce_keywords(fresh.flags);
            if (fresh.uid > known) {
                view.messages.push_back(std::move(fresh));
                continue;
            }
            auto index = view.index_of_uid(fresh.uid);
            if (!index || view.expunged_elsewhere.count(fresh.uid)) continue;
            auto& mine = view.messages[*index];
            if (fresh.flags != mine.flags) flags_changed.push_back(fresh.uid);
            mine = std::move(fresh);
        }
        view.seen_modseq = changes->highest_modseq;
    }
    std::size_t added = view.messages.size() - before;
    bool expunged = expunges == Expunges::Report && !view.expunged_elsewhere.empty();
    if (expunged) {
        report_expunged(std::vector<uint32_t>(view.expunged_elsewhere.begin(), view.expunged_elsewhere.end()));
        view.expunged_elsewhere.clear();
    }
    for (uint32_t uid : flags_changed)
        if (auto index = view.index_of_uid(uid)) untagged(flags_update(*index));
    if (added > 0) {
        co_await claim_recent();
        untagged(fmt::format("{} EXISTS", view.messages.size()));
        if (!rev2_) untagged(fmt::format("{} RECENT", view.recent.size()));
    }
    if (expunged || added > 0) co_await tell_highest_modseq();
    co_await send_search_updates();  // kept searches (RFC 5267), in the numbers the client now has
}

// A CONDSTORE client learns the mailbox's new HIGHESTMODSEQ after changes it heard of as EXISTS,
// EXPUNGE or VANISHED, which carry no MODSEQ, so its next resynchronisation starts from there.
asio::awaitable<void> Session::tell_highest_modseq() {
    if (!condstore_ || !selected_) co_return;
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, owner = selected_->ref.owner] {
        return store.folders(owner);
    });
    auto folders = co_await std::move(lookup);
    if (!folders) co_return;
    for (const auto& f : *folders) {
        if (f.id != selected_->ref.info.id || f.highest_modseq <= selected_->ref.info.highest_modseq) continue;
        selected_->ref.info.highest_modseq = f.highest_modseq;
        send({"", Status::Ok, Code::HighestModSeq, std::to_string(f.highest_modseq), "Highest"});
    }
}

// UID FETCH ... (CHANGEDSINCE n VANISHED): the UIDs of the set expunged since n (RFC 7162 3.2.6).
asio::awaitable<void> Session::report_vanished_since(const SequenceSet& uids, uint64_t modseq) {
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, ref = selected_->ref, modseq] {
        return store.vanished_since(ref.owner, ref.folder, modseq);
    });
    auto vanished = co_await std::move(lookup);
    if (!vanished) co_return;
    std::vector<uint32_t> named;
    for (uint32_t uid : *vanished)
        if (uids.contains(uid, UINT32_MAX)) named.push_back(uid);
    if (!named.empty()) untagged(fmt::format("VANISHED (EARLIER) {}", uid_set(named)));
}

// Rights on a shared mailbox can be withdrawn while it is selected (SETACL, mssctl): a member who
// lost "r" is disconnected rather than left reading what is no longer theirs.
asio::awaitable<bool> Session::still_allowed() {
    if (!selected_->ref.shared()) co_return true;
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, org = selected_->ref.owner,
                                                    user = user_->address] { return store.rights_of(org, user); });
    auto rights = co_await std::move(lookup);
    if (rights && rights->find('r') != std::string::npos) {
        selected_->ref.rights = *rights;
        co_return true;
    }
    untagged("BYE Your access to this mailbox was withdrawn");
    state_ = State::Logout;
    co_return false;
}

}  // namespace mss::imap
