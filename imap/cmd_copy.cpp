// COPY, MOVE (RFC 6851) and their UID forms, with COPYUID (RFC 4315), between any two mailboxes the
// user may use (own folders, shared organisational ones): "i" on the target, "t" and "e" on the
// source for MOVE (RFC 4314). One store transaction; MOVE then reports the removed messages.
#include <fmt/format.h>

#include "core/blocking.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::cmd_copy(const Command& cmd) {
    const auto& args = std::get<CopyArgs>(cmd.args);
    bool move = cmd.verb == Verb::Move;
    if (move && selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only");
    auto targets = resolve(args.set, cmd.uid);
    if (!targets) co_return bad(cmd, "Invalid message sequence number");
    auto target = co_await find_mailbox(args.mailbox);
    if (!target) co_return no(cmd, Code::TryCreate, "No such mailbox");
    if (!target->may('i')) co_return no(cmd, Code::NoPerm, "You may not add messages to that mailbox");
    if (move && !(selected_->ref.may('t') && selected_->ref.may('e')))
        co_return no(cmd, Code::NoPerm, "You may not remove messages from this mailbox");
    std::vector<uint32_t> uids;
    for (std::size_t i : *targets) uids.push_back(selected_->messages[i].uid);
    auto work = run_blocking(services_.blocking, [&store = services_.store, from = selected_->ref, to = *target, uids, move] {
        return store.copy(from.owner, from.folder, uids, to.owner, to.folder, move);
    });
    auto outcome = co_await std::move(work);
    if (!outcome && outcome.error().kind == ErrorKind::OverQuota)
        co_return no(cmd, Code::OverQuota, "The target mailbox is over its quota");
    if (!outcome) co_return no(cmd, Code::ServerBug, move ? "The messages could not be moved" : "The messages could not be copied");
    std::string copyuid = fmt::format("{} {} {}", outcome->uidvalidity, uid_set(outcome->source_uids),
                                      uid_set(outcome->destination_uids));
    bool any = !outcome->source_uids.empty();
    if (!move) {
        if (any) co_return ok(cmd, "COPY completed", Code::CopyUid, copyuid);
        co_return ok(cmd, "COPY completed");
    }
    if (any) send({"", Status::Ok, Code::CopyUid, copyuid, "Moved"});
    report_expunged(outcome->source_uids);
    co_await tell_highest_modseq();
    ok(cmd, "MOVE completed");
}

}  // namespace mss::imap
