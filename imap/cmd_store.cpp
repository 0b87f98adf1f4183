// STORE / UID STORE (RFC 3501 6.4.6) and EXPUNGE / UID EXPUNGE (RFC 3501 6.4.3, RFC 4315 2.1).
// Changes go to the store in one transaction each; the client hears the resulting flags (unless
// .SILENT) and one EXPUNGE per removed message, numbered as RFC 3501 7.4.1 says.
#include <fmt/format.h>

#include "core/blocking.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::cmd_store(const Command& cmd) {
    const auto& args = std::get<StoreArgs>(cmd.args);
    if (selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only (EXAMINE)");
    if (args.unchanged_since) co_return no(cmd, Code::Cannot, "CONDSTORE is not enabled");
    auto targets = resolve(args.set, cmd.uid);
    if (!targets) co_return bad(cmd, "Invalid message sequence number");
    std::vector<uint32_t> uids;
    for (std::size_t i : *targets) uids.push_back(selected_->messages[i].uid);
    auto mode = args.mode == StoreMode::Add      ? store::FlagMode::Add
                : args.mode == StoreMode::Remove ? store::FlagMode::Remove
                                                 : store::FlagMode::Replace;
    auto work = run_blocking(services_.blocking, [this, uids, mode, flags = args.flags] {
        return services_.store.update_flags(selected_->ref.owner, selected_->ref.folder, uids, mode, flags);
    });
    auto changed = co_await std::move(work);
    if (!changed) co_return no(cmd, Code::ServerBug, "Flags could not be stored");
    for (auto& update : *changed)
        if (auto i = selected_->index_of_uid(update.uid)) selected_->messages[*i].flags = update.flags;
    if (!args.silent) {
        for (std::size_t i : *targets) {
            auto& m = selected_->messages[i];
            std::string flags;
            for (auto& f : m.flags) flags += (flags.empty() ? "" : " ") + f;
            std::string uid = cmd.uid ? fmt::format("UID {} ", m.uid) : "";
            stream_->send(fmt::format("* {} FETCH ({}FLAGS ({}))\r\n", i + 1, uid, flags));
        }
    }
    ok(cmd, cmd.uid ? "UID STORE completed" : "STORE completed");
}

asio::awaitable<void> Session::cmd_expunge(const Command& cmd) {
    if (selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only (EXAMINE)");
    std::optional<std::vector<uint32_t>> only;
    if (cmd.uid) {
        const auto& set = std::get<UidExpungeArgs>(cmd.args).uids;
        only.emplace();
        for (auto& m : selected_->messages)
            if (set.contains(m.uid, selected_->max_uid())) only->push_back(m.uid);
    }
    auto work = run_blocking(services_.blocking, [this, only] {
        std::optional<std::span<const uint32_t>> limit;
        if (only) limit = std::span<const uint32_t>(*only);
        return services_.store.expunge(selected_->ref.owner, selected_->ref.folder, limit);
    });
    auto gone = co_await std::move(work);
    if (!gone) co_return no(cmd, Code::ServerBug, "Messages could not be expunged");
    report_expunged(*gone);
    ok(cmd, "EXPUNGE completed");
}

}  // namespace mss::imap
