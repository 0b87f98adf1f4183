// APPEND (RFC 3501 6.3.11) with APPENDUID (RFC 4315): a client files a message into a mailbox it
// holds right "i" on (its Sent copy, a draft, a shared folder). Durable when the OK leaves; refused
// with [OVERQUOTA] past the mailbox's quota and [TOOBIG] past the message size limit.
#include <fmt/format.h>

#include <ctime>

#include "core/blocking.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::cmd_append(const Command& cmd) {
    const auto& args = std::get<AppendArgs>(cmd.args);
    if (args.messages.size() != 1) co_return no(cmd, Code::Cannot, "MULTIAPPEND is not offered");
    const AppendMessage& message = args.messages.front();
    if (message.data.size() > config_->limits.max_message_size)
        co_return no(cmd, Code::TooBig, "The message is larger than APPENDLIMIT");
    auto target = co_await find_mailbox(args.mailbox);
    if (!target) co_return no(cmd, Code::TryCreate, "No such mailbox");
    if (!target->may('i')) co_return no(cmd, Code::NoPerm, "You may not add messages to that mailbox");
    int64_t when = message.internal_date ? message.internal_date->unix_time() : std::time(nullptr);
    auto work = run_blocking(services_.blocking, [&store = services_.store, to = *target, data = message.data,
                                                  flags = message.flags, when] {
        return store.append(to.owner, to.folder, data, flags, when);
    });
    auto uid = co_await std::move(work);
    if (!uid && uid.error().kind == ErrorKind::OverQuota) co_return no(cmd, Code::OverQuota, "The mailbox is over its quota");
    if (!uid) co_return no(cmd, Code::ServerBug, "The message could not be stored");
    if (selected_ && selected_->ref.owner == target->owner && selected_->ref.folder == target->folder)
        co_await refresh();
    ok(cmd, "APPEND completed", Code::AppendUid, fmt::format("{} {}", target->info.uidvalidity, *uid));
}

}  // namespace mss::imap
