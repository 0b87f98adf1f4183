// LIST (RFC 3501 6.3.8 / RFC 9051 6.3.9 with LIST-EXTENDED RFC 5258, CHILDREN RFC 3348, SPECIAL-USE
// RFC 6154, LIST-STATUS RFC 5819), LSUB (RFC 3501 6.3.9), NAMESPACE (RFC 2342) and the LIST an
// IMAP4rev2 SELECT sends. The names listed are those imap/namespace lets the user see, plus the
// namespace roots "Shared" and "Shared/<org>", which are not mailboxes (\Noselect).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/blocking.h"
#include "core/text.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

struct Entry {
    std::optional<MailboxRef> mailbox;  // nullopt for a namespace root or a subscribed name that is gone
    bool exists = false;                // a mailbox, or a namespace root (\Noselect)
    bool has_children = false;          // an existing name below it
    bool subscribed = false;
    bool child_subscribed = false;  // RECURSIVEMATCH: a child is subscribed
};

// Client patterns name INBOX in any case (RFC 3501 5.1).
std::string canonical_pattern(std::string pattern) {
    if (pattern.size() >= 5 && ascii_lower(pattern.substr(0, 5)) == "inbox" && (pattern.size() == 5 || pattern[5] == '/'))
        pattern.replace(0, 5, "INBOX");
    return pattern;
}

// Every name with its mailbox (if any), children and subscription state.
std::map<std::string, Entry> entries_of(const Listing& listing) {
    std::map<std::string, Entry> out;
    for (const auto& m : listing.mailboxes) {
        out[m.name].mailbox = m;
        out[m.name].exists = true;
        if (m.shared()) {
            out[std::string(kSharedRoot)].exists = true;
            out[fmt::format("{}{}", kSharedPrefix, m.owner)].exists = true;
        }
    }
    std::set<std::string> subscribed(listing.subscriptions.begin(), listing.subscriptions.end());
    for (auto& [name, entry] : out) entry.subscribed = subscribed.count(name) > 0;
    for (const auto& name : subscribed) {
        auto& entry = out[name];
        entry.subscribed = true;
        for (auto slash = name.rfind('/'); slash != std::string::npos; slash = name.rfind('/', slash - 1)) {
            out[name.substr(0, slash)].child_subscribed = true;
            if (slash == 0) break;
        }
    }
    for (auto& [name, entry] : out) {
        for (auto it = out.upper_bound(name); it != out.end() && it->first.starts_with(name + "/"); ++it)
            if (it->second.exists) {
                entry.has_children = true;
                break;
            }
    }
    return out;
}

std::string attributes(const Entry& e, bool show_subscribed) {
    std::vector<std::string> out;
    if (!e.exists) out.push_back("\\NonExistent");  // implies \Noselect (RFC 5258 3.4)
    else if (!e.mailbox) out.push_back("\\Noselect");
    out.push_back(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
    if (e.mailbox && !e.mailbox->info.special_use.empty()) out.push_back(e.mailbox->info.special_use);
    if (show_subscribed && e.subscribed) out.push_back("\\Subscribed");
    std::string text;
    for (auto& a : out) text += (text.empty() ? "" : " ") + a;
    return text;
}

bool matches_any(const ListArgs& args, const std::string& name) {
    return std::any_of(args.patterns.begin(), args.patterns.end(), [&](const std::string& p) {
        return list_match(canonical_pattern(args.reference + p), name);
    });
}

// Whether a subscribed name below parent matches the patterns itself (then LSUB lists that one).
bool subscribed_child_matches(const ListArgs& args, const std::map<std::string, Entry>& entries, const std::string& parent) {
    for (auto it = entries.upper_bound(parent); it != entries.end() && it->first.starts_with(parent + "/"); ++it)
        if (it->second.subscribed && matches_any(args, it->first)) return true;
    return false;
}

}  // namespace

asio::awaitable<std::optional<Listing>> Session::listing() {
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, user = user_->address]() -> Result<Listing> {
        auto mailboxes = visible_mailboxes(store, user);
        if (!mailboxes) return mailboxes.error();
        auto subscriptions = store.subscriptions(user);
        if (!subscriptions) return subscriptions.error();
        return Listing{std::move(*mailboxes), std::move(*subscriptions)};
    });
    auto found = co_await std::move(lookup);
    if (!found) co_return std::nullopt;
    co_return std::move(*found);
}

asio::awaitable<void> Session::cmd_list(const Command& cmd) {
    const auto& args = std::get<ListArgs>(cmd.args);
    if (!args.extended && args.patterns.size() == 1 && args.patterns[0].empty()) {
        untagged("LIST (\\Noselect) \"/\" \"\"");
        co_return ok(cmd, "LIST completed");
    }
    auto found = co_await listing();
    if (!found) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox list");
    bool show_subscribed = args.return_subscribed || args.select_subscribed;
    for (const auto& [name, entry] : entries_of(*found)) {
        bool match = matches_any(args, name);
        bool childinfo = args.select_subscribed && args.select_recursive_match && !entry.subscribed &&
                         entry.child_subscribed && match;
        if (!match || (args.select_subscribed && !entry.subscribed && !childinfo)) continue;
        if (!args.select_subscribed && !entry.exists) continue;  // only subscriptions name it
        if (args.select_special_use && !(entry.mailbox && !entry.mailbox->info.special_use.empty())) continue;
        std::string extra = childinfo ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))" : "";
        untagged(fmt::format("LIST ({}) \"/\" {}{}", attributes(entry, show_subscribed), wire_name(name), extra));
        if (args.return_status && entry.mailbox && entry.mailbox->may('r')) {
            auto messages = co_await messages_of(*entry.mailbox);
            if (messages) untagged(status_items(*entry.mailbox, *messages, *args.return_status));
        }
    }
    ok(cmd, "LIST completed");
}

asio::awaitable<void> Session::cmd_lsub(const Command& cmd) {
    const auto& args = std::get<ListArgs>(cmd.args);
    auto found = co_await listing();
    if (!found) co_return no(cmd, Code::ServerBug, "Cannot read the subscriptions");
    auto entries = entries_of(*found);
    for (const auto& [name, entry] : entries) {
        if (!matches_any(args, name)) continue;
        // A parent of a subscribed name that "%" stops at is listed \Noselect (RFC 3501 6.3.9).
        if (!entry.subscribed && !(entry.child_subscribed && !subscribed_child_matches(args, entries, name))) continue;
        bool selectable = entry.subscribed && entry.mailbox.has_value();
        untagged(fmt::format("LSUB ({}) \"/\" {}", selectable ? "" : "\\Noselect", wire_name(name)));
    }
    ok(cmd, "LSUB completed");
}

asio::awaitable<void> Session::announce_list_entry() {
    auto found = co_await listing();
    if (!found) co_return;
    auto entries = entries_of(*found);
    const std::string& name = selected_->ref.name;
    auto it = entries.find(name);
    if (it == entries.end()) co_return;
    untagged(fmt::format("LIST ({}) \"/\" {}", attributes(it->second, false), wire_name(name)));
}

void Session::cmd_namespace(const Command& cmd) {
    untagged(fmt::format("NAMESPACE ((\"\" \"/\")) NIL ((\"{}\" \"/\"))", kSharedPrefix));
    ok(cmd, "NAMESPACE completed");
}

}  // namespace mss::imap
