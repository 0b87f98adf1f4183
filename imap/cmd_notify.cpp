// NOTIFY (RFC 5465) and the METADATA changes it carries (RFC 5464 4.4.2, RFC 5465 5.7): the session
// watches the mailboxes its event groups name in the store's change notifier, at most
// kMaxWatchedMailboxes of them ([NOTIFICATIONOVERFLOW] past it, and NOTIFY is then off). A watch
// sets a flag and wakes the stream; the news is read from the store and told between commands or
// in IDLE: STATUS for other mailboxes, EXISTS/EXPUNGE/FETCH for the selected one, LIST for names and
// subscriptions, METADATA for annotations. A session that never sends NOTIFY holds none of this.
// Trusts the parser's groups; reads only what the user may see (visible_mailboxes).
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "core/blocking.h"
#include "imap/session_state.h"

namespace mss::imap {

namespace {

constexpr std::size_t kMaxWatchedMailboxes = 100;
constexpr unsigned kMessageEvents = static_cast<unsigned>(NotifyEvent::MessageNew) |
                                    static_cast<unsigned>(NotifyEvent::MessageExpunge) |
                                    static_cast<unsigned>(NotifyEvent::FlagChange);
using Topic = store::ChangeNotifier::Topic;
using Flag = std::shared_ptr<std::atomic<bool>>;

Flag new_flag() { return std::make_shared<std::atomic<bool>>(false); }

// A watch callback: runs on the committing thread, so it only sets the flag and wakes the stream.
std::function<void()> waker(Flag flag, const std::shared_ptr<Stream>& stream) {
    return [flag = std::move(flag), weak = std::weak_ptr<Stream>(stream)] {
        *flag = true;
        if (auto s = weak.lock()) s->wake();
    };
}

bool is_selected_filter(NotifyFilter f) { return f == NotifyFilter::Selected || f == NotifyFilter::SelectedDelayed; }

bool matches(const NotifyGroup& g, const MailboxRef& m, const std::vector<std::string>& subscriptions) {
    auto named = [&](const std::string& n) { return m.name == n; };
    switch (g.filter) {
        case NotifyFilter::Selected:
        case NotifyFilter::SelectedDelayed: return false;
        case NotifyFilter::Inboxes: return m.name == "INBOX";
        case NotifyFilter::Personal: return !m.shared();
        case NotifyFilter::Subscribed: return std::any_of(subscriptions.begin(), subscriptions.end(), named);
        case NotifyFilter::Subtree:
            return std::any_of(g.mailboxes.begin(), g.mailboxes.end(),
                               [&](const std::string& n) { return m.name == n || m.name.starts_with(n + "/"); });
        case NotifyFilter::Mailboxes: return std::any_of(g.mailboxes.begin(), g.mailboxes.end(), named);
    }
    return false;
}

}  // namespace

// One mailbox an event group names (not as the selected mailbox), and what its client last heard.
struct WatchedMailbox {
    MailboxRef ref;
    const NotifyGroup* group = nullptr;  // into NotifyState::spec.groups
    Flag changed = new_flag();
    Flag annotated = new_flag();
    store::ChangeNotifier::Watch watch, metadata_watch;
    std::string last_status;
    std::map<std::string, uint64_t> annotations;  // entry -> hash of its value
};

struct NotifyState {
    NotifyArgs spec;
    unsigned events = 0;  // of every group
    std::vector<WatchedMailbox> mailboxes;
    std::map<int64_t, std::string> names;  // every visible mailbox, by folder id
    std::vector<std::string> subscriptions;
    Flag folders_changed = new_flag(), selected_changed = new_flag(), server_annotated = new_flag();
    // Folder lists watched: the user's and those of each organisational mailbox it sees (RFC 5465
    // 5.4: a folder created there is a name of the shared namespace), by owner address.
    std::map<std::string, store::ChangeNotifier::Watch> folders_watches;
    store::ChangeNotifier::Watch selected_watch, server_watch;
    int64_t selected_id = 0;
    std::map<std::string, uint64_t> server_annotations;

    // The group that covers the selected mailbox: SELECTED or SELECTED-DELAYED, else the first that
    // names it; null when none asks for message events there.
    const NotifyGroup* selected_group(int64_t folder_id) const {
        for (const auto& g : spec.groups)
            if (is_selected_filter(g.filter)) return (g.events & kMessageEvents) ? &g : nullptr;
        for (const auto& w : mailboxes)
            if (w.ref.info.id == folder_id) return (w.group->events & kMessageEvents) ? w.group : nullptr;
        return nullptr;
    }
};

asio::awaitable<void> Session::cmd_notify(const Command& cmd) {
    const auto& args = std::get<NotifyArgs>(cmd.args);
    notify_.reset();
    if (args.none) co_return ok(cmd, "NOTIFY completed");
    auto state = std::make_shared<NotifyState>();
    state->spec = args;
    for (const auto& g : state->spec.groups) state->events |= g.events;
    notify_ = state;
    auto watching = watch_notified_mailboxes(args.status);
    if (!co_await std::move(watching)) {
        notify_.reset();
        co_return no(cmd, Code::ServerBug, "Cannot read the mailbox list");
    }
    notify_follow_selection();
    ok(cmd, "NOTIFY completed");
}

void Session::notification_overflow() {
    notify_.reset();
    send({"", Status::Ok, Code::NotificationOverflow, {}, "Too many mailboxes to watch; NOTIFY is off"});
}

// (Re)reads the visible mailboxes and subscriptions and watches those the groups name, keeping what
// the client was told of the mailboxes already watched. False when the store cannot be read.
asio::awaitable<bool> Session::watch_notified_mailboxes(bool send_status) {
    auto state = notify_;
    auto found = co_await listing();
    if (!found) co_return false;
    if (notify_ != state) co_return true;
    std::vector<WatchedMailbox> watched;
    for (const auto& m : found->mailboxes)
        for (const auto& g : state->spec.groups)
            if (matches(g, m, found->subscriptions)) {
                if (g.events != 0) {
                    watched.emplace_back();
                    watched.back().ref = m;
                    watched.back().group = &g;
                }
                break;
            }
    if (watched.size() > kMaxWatchedMailboxes) {
        notification_overflow();
        co_return true;
    }
    state->names.clear();
    for (const auto& m : found->mailboxes) state->names[m.info.id] = m.name;
    state->subscriptions = std::move(found->subscriptions);
    auto& changes = services_.store.changes();
    std::vector<std::size_t> fresh_metadata;
    for (std::size_t i = 0; i < watched.size(); ++i) {
        auto& w = watched[i];
        auto before = std::find_if(state->mailboxes.begin(), state->mailboxes.end(),
                                   [&](const WatchedMailbox& o) { return o.ref.info.id == w.ref.info.id; });
        bool known = before != state->mailboxes.end() && before->group->has(NotifyEvent::MailboxMetadataChange);
        if (before != state->mailboxes.end()) {
            w.last_status = std::move(before->last_status);
            w.annotations = std::move(before->annotations);
        }
        w.watch = changes.watch(w.ref.info.id, waker(w.changed, stream_));
        if (w.group->has(NotifyEvent::MailboxMetadataChange)) {
            w.metadata_watch = changes.watch(Topic::Annotations, w.ref.info.id, waker(w.annotated, stream_));
            if (!known) fresh_metadata.push_back(i);
        }
    }
    state->mailboxes = std::move(watched);
    co_await watch_folder_lists(state, found->mailboxes);
    if (notify_ != state) co_return true;
    if ((state->events & static_cast<unsigned>(NotifyEvent::ServerMetadataChange)) && !state->server_watch) {
        state->server_watch = changes.watch(Topic::Annotations, 0, waker(state->server_annotated, stream_));
        co_await notify_metadata(0, "\"\"", true, false, state->server_annotations);
    }
    for (std::size_t i : fresh_metadata) {
        auto& w = state->mailboxes[i];
        co_await notify_metadata(w.ref.info.id, wire_name(w.ref.name), w.ref.may('r'), false, w.annotations);
    }
    if (send_status)
        for (std::size_t i = 0; i < state->mailboxes.size(); ++i) {
            bool selected = selected_ && selected_->ref.info.id == state->mailboxes[i].ref.info.id;
            if (!selected && (state->mailboxes[i].group->events & kMessageEvents)) co_await notify_status(i);
        }
    co_return true;
}

// Watches the folder list of the user and of every owner of a visible mailbox, and no other (an
// owner gone meanwhile is left out).
asio::awaitable<void> Session::watch_folder_lists(std::shared_ptr<NotifyState> state,
                                                  const std::vector<MailboxRef>& visible) {
    std::set<std::string> owners{user_->address};
    for (const auto& m : visible) owners.insert(m.owner);
    std::erase_if(state->folders_watches, [&](const auto& w) { return !owners.count(w.first); });
    auto& changes = services_.store.changes();
    for (const auto& owner : owners) {
        if (state->folders_watches.count(owner)) continue;
        int64_t id = user_->id;
        if (owner != user_->address) {
            auto lookup = run_blocking(services_.blocking, [&store = services_.store, owner] { return store.find_account(owner); });
            auto account = co_await std::move(lookup);
            if (!account) continue;
            id = account->id;
        }
        state->folders_watches[owner] = changes.watch(Topic::AccountFolders, id, waker(state->folders_changed, stream_));
    }
}

void Session::notify_follow_selection() {
    if (!notify_) return;
    int64_t id = selected_ ? selected_->ref.info.id : 0;
    if (id == notify_->selected_id) return;
    notify_->selected_id = id;
    notify_->selected_watch.reset();
    if (id != 0 && notify_->selected_group(id))
        notify_->selected_watch = services_.store.changes().watch(id, waker(notify_->selected_changed, stream_));
}

asio::awaitable<void> Session::deliver_notifications() {
    auto state = notify_;
    if (!state) co_return;
    if (state->folders_changed->exchange(false)) {
        co_await notify_mailbox_names();
        if (notify_ != state) co_return;
    }
    notify_follow_selection();
    if (selected_ && state->selected_changed->exchange(false)) co_await notify_selected();
    for (std::size_t i = 0; i < state->mailboxes.size(); ++i) {
        auto& w = state->mailboxes[i];
        bool selected = selected_ && selected_->ref.info.id == w.ref.info.id;
        if (w.changed->exchange(false) && !selected && (w.group->events & kMessageEvents)) co_await notify_status(i);
        auto& again = state->mailboxes[i];
        if (again.annotated->exchange(false))
            co_await notify_metadata(again.ref.info.id, wire_name(again.ref.name), again.ref.may('r'), true, again.annotations);
    }
    if (state->server_annotated->exchange(false)) co_await notify_metadata(0, "\"\"", true, true, state->server_annotations);
}

// RFC 5465 5.2-5.4: the selected mailbox's changes as they happen (expunges held under
// SELECTED-DELAYED until a command may tell them), new messages with MessageNew's attributes.
asio::awaitable<void> Session::notify_selected() {
    const NotifyGroup* group = notify_->selected_group(selected_->ref.info.id);
    if (!group) co_return;
    std::vector<FetchAttribute> attributes = group->fetch;
    bool delayed = group->filter == NotifyFilter::SelectedDelayed;
    uint32_t known = selected_->max_uid();
    co_await refresh(delayed ? Expunges::Hold : Expunges::Report);
    if (attributes.empty() || !selected_) co_return;
    std::vector<std::size_t> fresh;
    for (std::size_t i = 0; i < selected_->messages.size(); ++i)
        if (selected_->messages[i].uid > known) fresh.push_back(i);
    if (!fresh.empty()) co_await send_fetches(attributes, fresh, std::nullopt, false);
}

// RFC 5465 5.2: a watched mailbox other than the selected one is told of as STATUS, when what the
// client would see changed (MESSAGES, UIDNEXT, UNSEEN; HIGHESTMODSEQ once CONDSTORE is on).
asio::awaitable<void> Session::notify_status(std::size_t watched) {
    MailboxRef ref = notify_->mailboxes[watched].ref;
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, ref]() -> Result<std::pair<store::Folder, std::vector<store::MessageSummary>>> {
        auto folders = store.folders(ref.owner);
        if (!folders) return folders.error();
        auto it = std::find_if(folders->begin(), folders->end(), [&](const store::Folder& f) { return f.id == ref.info.id; });
        if (it == folders->end()) return fail(ErrorKind::NotFound, "folder gone");
        auto messages = store.list_messages(ref.owner, ref.folder);
        if (!messages) return messages.error();
        return std::pair{*it, std::move(*messages)};
    });
    auto now = co_await std::move(lookup);
    if (!now || !notify_ || watched >= notify_->mailboxes.size()) co_return;
    ref.info = now->first;
    std::vector<StatusItem> items{StatusItem::Messages, StatusItem::UidNext, StatusItem::Unseen};
    if (condstore_) items.push_back(StatusItem::HighestModSeq);
    std::string line = status_items(ref, now->second, items);
    auto& w = notify_->mailboxes[watched];
    if (line == w.last_status) co_return;
    w.last_status = line;
    untagged(line);
}

// RFC 5465 5.4 and 5.5: names that appeared, vanished or changed (LIST with OLDNAME) and
// subscriptions added or removed, by comparing with the lists the client was last told of.
asio::awaitable<void> Session::notify_mailbox_names() {
    auto state = notify_;
    auto old_names = state->names;
    auto old_subscriptions = state->subscriptions;
    auto watching = watch_notified_mailboxes(false);
    if (!co_await std::move(watching) || notify_ != state) co_return;
    if (state->events & static_cast<unsigned>(NotifyEvent::MailboxName)) {
        for (const auto& [id, name] : state->names) {
            auto old = old_names.find(id);
            if (old == old_names.end()) untagged(fmt::format("LIST () \"/\" {}", wire_name(name)));
            else if (old->second != name)
                untagged(fmt::format("LIST () \"/\" {} (\"OLDNAME\" ({}))", wire_name(name), wire_name(old->second)));
        }
        for (const auto& [id, name] : old_names)
            if (!state->names.count(id)) untagged(fmt::format("LIST (\\NonExistent) \"/\" {}", wire_name(name)));
    }
    if (state->events & static_cast<unsigned>(NotifyEvent::SubscriptionChange)) {
        const auto& now = state->subscriptions;
        for (const auto& name : now)
            if (!std::binary_search(old_subscriptions.begin(), old_subscriptions.end(), name))
                untagged(fmt::format("LIST (\\Subscribed) \"/\" {}", wire_name(name)));
        for (const auto& name : old_subscriptions)
            if (!std::binary_search(now.begin(), now.end(), name)) untagged(fmt::format("LIST () \"/\" {}", wire_name(name)));
    }
}

asio::awaitable<void> Session::notify_metadata(int64_t folder_id, std::string wire, bool read_shared, bool announce,
                                               std::map<std::string, uint64_t>& known) {
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, folder_id, account = user_->id] {
        return store.annotations(folder_id, account);
    });
    auto now = co_await std::move(lookup);
    if (!now) co_return;
    std::map<std::string, uint64_t> fresh;
    for (const auto& a : *now)
        if (read_shared || !a.entry.starts_with("/shared/")) fresh[a.entry] = std::hash<std::string>{}(a.value);
    std::string entries;
    for (const auto& [entry, hash] : fresh) {
        auto old = known.find(entry);
        if (old == known.end() || old->second != hash) entries += " " + entry;
    }
    for (const auto& [entry, hash] : known)
        if (!fresh.count(entry)) entries += " " + entry;
    known = std::move(fresh);
    if (announce && !entries.empty()) untagged(fmt::format("METADATA {}{}", wire, entries));
}

}  // namespace mss::imap
