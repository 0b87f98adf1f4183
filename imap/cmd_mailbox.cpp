// Mailbox commands (RFC 3501 6.3, RFC 6154 attributes): LIST, STATUS, SELECT, EXAMINE, CLOSE,
// UNSELECT, and the refresh that tells a selected session what changed since (NOOP, CHECK).
// Only the signed-in account's own folders are reachable here.
#include <fmt/format.h>

#include <algorithm>

#include "core/blocking.h"
#include "core/log.h"
#include "imap/parse/mutf7.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

constexpr const char* kFlags = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)";

// "%" matches anything but the hierarchy separator, "*" anything (RFC 3501 6.3.8).
bool wildcard(std::string_view pattern, std::string_view name) {
    if (pattern.empty()) return name.empty();
    if (pattern[0] == '*' || pattern[0] == '%') {
        for (std::size_t i = 0; i <= name.size(); ++i) {
            if (wildcard(pattern.substr(1), name.substr(i))) return true;
            if (i < name.size() && pattern[0] == '%' && name[i] == '/') return false;
        }
        return false;
    }
    return !name.empty() && pattern[0] == name[0] && wildcard(pattern.substr(1), name.substr(1));
}

std::string quoted_name(std::string_view name) {
    std::string out = "\"";
    for (char c : mutf7_encode(name)) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

bool has_flag(const store::MessageSummary& m, std::string_view flag) {
    return std::find(m.flags.begin(), m.flags.end(), flag) != m.flags.end();
}

std::string flag_list(const std::vector<std::string>& flags) {
    std::string out = "(";
    for (auto& f : flags) out += (out.size() > 1 ? " " : "") + f;
    return out + ")";
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
    for (const auto& range : set.ranges) {
        for (uint32_t end : {range.first, range.last})
            if (end != SequenceSet::star && end > msgs.size()) return std::nullopt;
    }
    set.for_each(static_cast<uint32_t>(msgs.size()), [&](uint32_t n) { out.push_back(n - 1); });
    return out;
}

asio::awaitable<std::optional<MailboxRef>> Session::find_mailbox(const std::string& name) {
    auto lookup = run_blocking(services_.blocking, [this] { return services_.store.folders(user_->address); });
    auto folders = co_await std::move(lookup);
    if (!folders) co_return std::nullopt;
    for (auto& f : *folders)
        if (f.name == name) co_return MailboxRef{user_->address, f.name, f.name, "lrswipkxtea", f};
    co_return std::nullopt;
}

asio::awaitable<void> Session::cmd_list(const Command& cmd) {
    const auto& args = std::get<ListArgs>(cmd.args);
    if (args.patterns.size() == 1 && args.patterns[0].empty()) {
        untagged("LIST (\\Noselect) \"/\" \"\"");
        co_return ok(cmd, "LIST completed");
    }
    auto lookup = run_blocking(services_.blocking, [this] { return services_.store.folders(user_->address); });
    auto folders = co_await std::move(lookup);
    if (!folders) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox list");
    for (auto& f : *folders) {
        bool match = std::any_of(args.patterns.begin(), args.patterns.end(), [&](const std::string& p) {
            std::string full = args.reference + p;
            return wildcard(full == "inbox" || full == "Inbox" ? "INBOX" : full, f.name);
        });
        if (!match || (args.select_special_use && f.special_use.empty())) continue;
        std::string attributes = "\\HasNoChildren";
        if (!f.special_use.empty()) attributes += " " + f.special_use;
        untagged(fmt::format("LIST ({}) \"/\" {}", attributes, quoted_name(f.name)));
    }
    ok(cmd, "LIST completed");
}

asio::awaitable<void> Session::cmd_status(const Command& cmd) {
    const auto& args = std::get<StatusArgs>(cmd.args);
    auto mailbox = co_await find_mailbox(args.mailbox);
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
    if (!mailbox->may('r')) co_return no(cmd, Code::NoPerm, "You may not read that mailbox");
    auto lookup = run_blocking(services_.blocking, [this, owner = mailbox->owner, folder = mailbox->folder] {
        return services_.store.list_messages(owner, folder);
    });
    auto messages = co_await std::move(lookup);
    if (!messages) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
    const store::Folder* folder = &mailbox->info;
    std::string items;
    auto add = [&items](std::string_view name, uint64_t value) {
        items += fmt::format("{}{} {}", items.empty() ? "" : " ", name, value);
    };
    for (StatusItem item : args.items) {
        switch (item) {
            case StatusItem::Messages: add("MESSAGES", messages->size()); break;
            case StatusItem::Recent: add("RECENT", 0); break;
            case StatusItem::UidNext: add("UIDNEXT", folder->uidnext); break;
            case StatusItem::UidValidity: add("UIDVALIDITY", folder->uidvalidity); break;
            case StatusItem::Unseen:
                add("UNSEEN", std::count_if(messages->begin(), messages->end(),
                                            [](auto& m) { return !has_flag(m, "\\Seen"); }));
                break;
            case StatusItem::Deleted:
                add("DELETED", std::count_if(messages->begin(), messages->end(),
                                             [](auto& m) { return has_flag(m, "\\Deleted"); }));
                break;
            case StatusItem::Size: {
                uint64_t size = 0;
                for (auto& m : *messages) size += m.size;
                add("SIZE", size);
                break;
            }
            case StatusItem::HighestModSeq: add("HIGHESTMODSEQ", folder->highest_modseq); break;
            case StatusItem::AppendLimit: add("APPENDLIMIT", config_->limits.max_message_size); break;
        }
    }
    untagged(fmt::format("STATUS {} ({})", quoted_name(mailbox->name), items));
    ok(cmd, "STATUS completed");
}

asio::awaitable<void> Session::cmd_select(const Command& cmd) {
    const auto& args = std::get<SelectArgs>(cmd.args);
    bool read_only = cmd.verb == Verb::Examine;
    selected_.reset();  // a failed SELECT leaves no mailbox selected (RFC 3501 6.3.1)
    state_ = State::Authenticated;
    auto mailbox = co_await find_mailbox(args.mailbox);
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
    if (!mailbox->may('r')) co_return no(cmd, Code::NoPerm, "You may not read that mailbox");
    auto lookup = run_blocking(services_.blocking, [this, owner = mailbox->owner, folder = mailbox->folder] {
        return services_.store.list_messages(owner, folder);
    });
    auto messages = co_await std::move(lookup);
    if (!messages) co_return no(cmd, Code::ServerBug, "Cannot read the mailbox");
    const store::Folder* folder = &mailbox->info;
    selected_ = SelectedMailbox{*mailbox, read_only, std::move(*messages)};
    state_ = State::Selected;
    untagged(fmt::format("FLAGS {}", kFlags));
    send({"", Status::Ok, Code::PermanentFlags, read_only ? "()" : kFlags, "Flags permitted"});
    untagged(fmt::format("{} EXISTS", selected_->messages.size()));
    untagged("0 RECENT");
    auto& msgs = selected_->messages;
    auto unseen = std::find_if(msgs.begin(), msgs.end(), [](auto& m) { return !has_flag(m, "\\Seen"); });
    if (unseen != msgs.end())
        send({"", Status::Ok, Code::Unseen, std::to_string(unseen - msgs.begin() + 1), "First unseen"});
    send({"", Status::Ok, Code::UidValidity, std::to_string(folder->uidvalidity), "UIDs valid"});
    send({"", Status::Ok, Code::UidNext, std::to_string(folder->uidnext), "Predicted next UID"});
    ok(cmd, read_only ? "EXAMINE completed" : "SELECT completed", read_only ? Code::ReadOnly : Code::ReadWrite);
}

asio::awaitable<void> Session::cmd_close(const Command& cmd, bool expunge) {
    if (expunge && !selected_->read_only) {
        auto work = run_blocking(services_.blocking, [this] {
            return services_.store.expunge(selected_->ref.owner, selected_->ref.folder, std::nullopt);
        });
        co_await std::move(work);  // CLOSE reports no EXPUNGE responses (RFC 3501 6.4.2)
    }
    selected_.reset();
    state_ = State::Authenticated;
    ok(cmd, expunge ? "CLOSE completed" : "UNSELECT completed");
}

void Session::report_expunged(const std::vector<uint32_t>& uids) {
    for (uint32_t uid : uids) {
        auto index = selected_->index_of_uid(uid);
        if (!index) continue;
        untagged(fmt::format("{} EXPUNGE", *index + 1));
        selected_->messages.erase(selected_->messages.begin() + static_cast<std::ptrdiff_t>(*index));
    }
}

// What other sessions did since the client last looked: expunges, flag changes, new messages.
asio::awaitable<void> Session::refresh() {
    auto lookup = run_blocking(services_.blocking, [this] {
        return services_.store.list_messages(selected_->ref.owner, selected_->ref.folder);
    });
    auto now = co_await std::move(lookup);
    if (!now) co_return;
    std::vector<uint32_t> gone;
    for (auto& m : selected_->messages) {
        auto still = std::lower_bound(now->begin(), now->end(), m.uid,
                                      [](const store::MessageSummary& x, uint32_t u) { return x.uid < u; });
        if (still == now->end() || still->uid != m.uid) gone.push_back(m.uid);
    }
    report_expunged(gone);
    for (std::size_t i = 0; i < selected_->messages.size(); ++i) {
        auto& mine = selected_->messages[i];
        auto fresh = std::lower_bound(now->begin(), now->end(), mine.uid,
                                      [](const store::MessageSummary& x, uint32_t u) { return x.uid < u; });
        if (fresh->flags != mine.flags) {
            mine.flags = fresh->flags;
            untagged(fmt::format("{} FETCH (FLAGS {})", i + 1, flag_list(mine.flags)));
        }
    }
    std::size_t before = selected_->messages.size();
    for (auto& m : *now)
        if (m.uid > selected_->max_uid()) selected_->messages.push_back(m);
    if (selected_->messages.size() != before) untagged(fmt::format("{} EXISTS", selected_->messages.size()));
}

}  // namespace mss::imap
