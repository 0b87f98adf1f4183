// COPY, MOVE (RFC 6851) and their UID forms, with COPYUID (RFC 4315), between the signed-in
// account's own folders. MOVE is one store transaction; the client then hears one EXPUNGE per
// moved message.
#include <fmt/format.h>

#include "core/blocking.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {
std::string uid_list(const std::vector<uint32_t>& uids) {
    std::string out;
    for (uint32_t u : uids) out += (out.empty() ? "" : ",") + std::to_string(u);
    return out;
}
}  // namespace

asio::awaitable<void> Session::cmd_copy(const Command& cmd) {
    const auto& args = std::get<CopyArgs>(cmd.args);
    bool move = cmd.verb == Verb::Move;
    if (move && selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only (EXAMINE)");
    auto targets = resolve(args.set, cmd.uid);
    if (!targets) co_return bad(cmd, "Invalid message sequence number");
    auto target = co_await find_mailbox(args.mailbox);
    if (!target) co_return no(cmd, Code::TryCreate, "No such mailbox");
    if (!target->may('i')) co_return no(cmd, Code::NoPerm, "You may not add messages to that mailbox");
    if (move && !(selected_->ref.may('t') && selected_->ref.may('e')))
        co_return no(cmd, Code::NoPerm, "You may not remove messages from this mailbox");
    if (target->owner != selected_->ref.owner)
        co_return no(cmd, Code::Cannot, "Messages can only be copied between folders of one mailbox");
    std::vector<uint32_t> uids;
    for (std::size_t i : *targets) uids.push_back(selected_->messages[i].uid);
    auto work = run_blocking(services_.blocking, [this, uids, to = target->folder, move] {
        return services_.store.copy(selected_->ref.owner, selected_->ref.folder, uids, to, move);
    });
    auto outcome = co_await std::move(work);
    if (!outcome) co_return no(cmd, Code::ServerBug, move ? "The messages could not be moved" : "The messages could not be copied");
    std::string copyuid = fmt::format("{} {} {}", outcome->uidvalidity, uid_list(outcome->source_uids),
                                      uid_list(outcome->destination_uids));
    bool any = !outcome->source_uids.empty();
    if (!move) {
        if (any) co_return ok(cmd, "COPY completed", Code::CopyUid, copyuid);
        co_return ok(cmd, "COPY completed");
    }
    if (any) send({"", Status::Ok, Code::CopyUid, copyuid, "Moved"});
    report_expunged(outcome->source_uids);
    ok(cmd, "MOVE completed");
}

}  // namespace mss::imap
