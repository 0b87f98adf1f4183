// STORE / UID STORE (RFC 3501 6.4.6, RFC 7162 UNCHANGEDSINCE) and EXPUNGE / UID EXPUNGE (RFC 3501
// 6.4.3, RFC 4315 2.1). Rights as RFC 4314 says: "s" for \Seen, "t" for \Deleted, "w" for the
// others, "e" to expunge; flags the user may not set are left out. Each change is one store
// transaction; the client hears the resulting flags (unless .SILENT) and the removed messages.
#include <fmt/format.h>

#include "core/blocking.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

char right_for(const std::string& flag) {
    if (flag == "\\Seen") return 's';
    if (flag == "\\Deleted") return 't';
    return 'w';
}

store::FlagMode mode_of(StoreMode mode) {
    return mode == StoreMode::Add ? store::FlagMode::Add : mode == StoreMode::Remove ? store::FlagMode::Remove
                                                                                     : store::FlagMode::Replace;
}

}  // namespace

asio::awaitable<void> Session::cmd_store(const Command& cmd) {
    const auto& args = std::get<StoreArgs>(cmd.args);
    if (selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only");
    auto targets = resolve(args.set, cmd.uid);
    if (!targets) co_return bad(cmd, "Invalid message sequence number");
    std::vector<std::string> flags;
    for (const auto& f : args.flags)
        if (selected_->ref.may(right_for(f))) flags.push_back(f);
    if (flags.size() != args.flags.size() && (flags.empty() || args.mode == StoreMode::Replace))
        co_return no(cmd, Code::NoPerm, "You may not change those flags here");
    if (args.unchanged_since) enable_condstore();
    std::vector<uint32_t> uids;
    for (std::size_t i : *targets) uids.push_back(selected_->messages[i].uid);
    auto work = run_blocking(services_.blocking, [&store = services_.store, ref = selected_->ref, uids, mode = mode_of(args.mode),
                                                  flags, since = args.unchanged_since]() {
        std::vector<uint32_t> modified;
        auto changed = since ? store.update_flags_unchanged_since(ref.owner, ref.folder, uids, mode, flags, *since, modified)
                             : store.update_flags(ref.owner, ref.folder, uids, mode, flags);
        return std::pair{std::move(changed), std::move(modified)};
    });
    auto [changed, modified] = co_await std::move(work);
    if (!changed) co_return no(cmd, Code::ServerBug, "Flags could not be stored");
    for (auto& update : *changed)
        if (auto i = selected_->index_of_uid(update.uid)) {
            announce_keywords(update.flags);
            selected_->messages[*i].flags = update.flags;
            selected_->messages[*i].modseq = update.modseq;
        }
    report_stored(cmd, args, *targets, modified);
    if (!modified.empty()) {
        std::vector<uint32_t> numbers;
        for (uint32_t uid : modified)
            if (auto i = selected_->index_of_uid(uid)) numbers.push_back(cmd.uid ? uid : static_cast<uint32_t>(*i + 1));
        co_return ok(cmd, "Some messages were modified meanwhile", Code::Modified, uid_set(numbers));
    }
    ok(cmd, cmd.uid ? "UID STORE completed" : "STORE completed");
}

// The untagged FETCH of each stored message (all of them unless .SILENT; with UNCHANGEDSINCE,
// .SILENT still reports MODSEQ, RFC 7162 3.1.3); never those left alone as modified.
void Session::report_stored(const Command& cmd, const StoreArgs& args, const std::vector<std::size_t>& targets,
                            const std::vector<uint32_t>& modified) {
    if (args.silent && !args.unchanged_since) return;
    for (std::size_t i : targets) {
        const auto& m = selected_->messages[i];
        if (std::find(modified.begin(), modified.end(), m.uid) != modified.end()) continue;
        std::string uid = cmd.uid || qresync_ ? fmt::format("UID {} ", m.uid) : "";
        std::string modseq = condstore_ ? fmt::format(" MODSEQ ({})", m.modseq) : "";
        if (args.silent) stream_->send(fmt::format("* {} FETCH ({}MODSEQ ({}))\r\n", i + 1, uid, m.modseq));
        else stream_->send(fmt::format("* {} FETCH ({}FLAGS {}{})\r\n", i + 1, uid, flags_of(m), modseq));
    }
}

asio::awaitable<void> Session::cmd_expunge(const Command& cmd) {
    if (selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only");
    if (!selected_->ref.may('e')) co_return no(cmd, Code::NoPerm, "You may not expunge this mailbox");
    std::optional<std::vector<uint32_t>> only;
    if (cmd.uid) {
        const auto& set = std::get<UidExpungeArgs>(cmd.args).uids;
        only.emplace();
        for (auto& m : selected_->messages)
            if (set.contains(m.uid, selected_->max_uid())) only->push_back(m.uid);
    }
    auto work = run_blocking(services_.blocking, [&store = services_.store, ref = selected_->ref, only] {
        std::optional<std::span<const uint32_t>> limit;
        if (only) limit = std::span<const uint32_t>(*only);
        return store.expunge(ref.owner, ref.folder, limit);
    });
    auto gone = co_await std::move(work);
    if (!gone) co_return no(cmd, Code::ServerBug, "Messages could not be expunged");
    report_expunged(*gone);
    co_await tell_highest_modseq();
    ok(cmd, "EXPUNGE completed");
}

}  // namespace mss::imap
