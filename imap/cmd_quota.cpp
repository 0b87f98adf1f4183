// QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA, and SETQUOTA (refused: quotas are the operator's, set
// with `mssctl account quota`). One quota root per mailbox account: "" for the user's own, and
// "Shared/<org>" for an organisational mailbox the user is a member of.
#include <fmt/format.h>

#include "core/blocking.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

struct QuotaState {
    store::Quota limits;
    store::QuotaUsage used;
};

std::string root_of(const MailboxRef& mailbox) {
    return mailbox.shared() ? fmt::format("{}{}", kSharedRoot, "/" + mailbox.owner) : std::string();
}

// "STORAGE 12 1024 MESSAGE 3 100": only the resources that have a limit (RFC 9208 5.2).
std::string resources(const QuotaState& q) {
    std::string out;
    if (q.limits.storage_kib)
        out += fmt::format("STORAGE {} {}", (q.used.storage_octets + 1023) / 1024, *q.limits.storage_kib);
    if (q.limits.messages) out += fmt::format("{}MESSAGE {} {}", out.empty() ? "" : " ", q.used.messages, *q.limits.messages);
    return out;
}

}  // namespace

asio::awaitable<void> Session::cmd_quota(const Command& cmd) {
    if (cmd.verb == Verb::SetQuota) co_return no(cmd, Code::NoPerm, "Quotas are set by the operator");
    std::optional<MailboxRef> mailbox;
    if (cmd.verb == Verb::GetQuotaRoot) {
        mailbox = co_await find_mailbox(std::get<MailboxArgs>(cmd.args).mailbox);
    } else {
        const std::string& root = std::get<QuotaRootArgs>(cmd.args).root;
        std::string inbox = root.empty() ? "INBOX" : root + "/INBOX";
        mailbox = co_await find_mailbox(inbox);
        if (mailbox && root_of(*mailbox) != root) mailbox.reset();
    }
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox or quota root");
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, owner = mailbox->owner]() -> Result<QuotaState> {
        auto limits = store.quota(owner);
        if (!limits) return limits.error();
        auto used = store.usage(owner);
        if (!used) return used.error();
        return QuotaState{*limits, *used};
    });
    auto state = co_await std::move(lookup);
    if (!state) co_return no(cmd, Code::ServerBug, "Cannot read the quota");
    std::string root = wire_name(root_of(*mailbox));
    if (cmd.verb == Verb::GetQuotaRoot) untagged(fmt::format("QUOTAROOT {} {}", wire_name(mailbox->name), root));
    untagged(fmt::format("QUOTA {} ({})", root, resources(*state)));
    ok(cmd, cmd.verb == Verb::GetQuotaRoot ? "GETQUOTAROOT completed" : "GETQUOTA completed");
}

}  // namespace mss::imap
