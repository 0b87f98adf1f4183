// APPEND (RFC 3501 6.3.11) and MULTIAPPEND (RFC 3502) with APPENDUID (RFC 4315): a client files
// messages into a mailbox it holds right "i" on (its Sent copy, drafts, a shared folder), all of them
// or none. Durable when the OK leaves; refused with [OVERQUOTA] past the mailbox's quota and [TOOBIG]
// past the message size limit. APPEND UTF8 (RFC 6855) only once UTF-8 is enabled. A part holding
// NUL octets (literal8, RFC 3516) is stored re-encoded in base64. A CATENATE message (RFC 4469,
// cmd_catenate.cpp) is built whole first, then filed as any other.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <list>

#include "core/blocking.h"
#include "imap/append_encoding.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

struct Filed {
    std::list<std::string> reencoded;         // binary messages as they are stored (nodes never move)
    std::vector<store::NewMessage> messages;  // views into the command's messages, or into reencoded
};

// The message contents, one per message of args, in their order (a catenated one from built);
// nullopt when a message holds NUL octets that no re-encoding can remove (in a header).
std::optional<Filed> new_messages(const AppendArgs& args, const std::list<std::string>& built) {
    Filed out;
    auto next_built = built.begin();
    for (const auto& m : args.messages) {
        std::string_view content = m.catenate.empty() ? std::string_view(m.data) : std::string_view(*next_built++);
        if (content.find('\0') != std::string_view::npos) {
            auto stored = without_nul_octets(content);
            if (!stored) return std::nullopt;
            content = out.reencoded.emplace_back(std::move(*stored));
        }
        out.messages.push_back({content, m.flags, m.internal_date ? m.internal_date->unix_time() : std::time(nullptr)});
    }
    return out;
}

}  // namespace

asio::awaitable<void> Session::cmd_append(const Command& cmd) {
    const auto& args = std::get<AppendArgs>(cmd.args);
    // The UTF8 data item is for clients that enabled UTF-8 (RFC 6855 4); IMAP4rev2 includes it.
    bool utf8_data = std::any_of(args.messages.begin(), args.messages.end(), [](const auto& m) {
        return m.utf8 || std::any_of(m.catenate.begin(), m.catenate.end(), [](const auto& p) { return p.utf8; });
    });
    if (utf8_data && !utf8_names()) co_return bad(cmd, "APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
    for (const auto& message : args.messages)
        if (message.data.size() > config_->limits.max_message_size)
            co_return no(cmd, Code::TooBig, "A message is larger than APPENDLIMIT");
    auto target = co_await find_mailbox(args.mailbox);
    if (!target) co_return no(cmd, Code::TryCreate, "No such mailbox");
    if (!target->may('i')) co_return no(cmd, Code::NoPerm, "You may not add messages to that mailbox");
    std::list<std::string> built;  // CATENATE's messages, each whole before anything is stored
    for (const auto& message : args.messages) {
        if (message.catenate.empty()) continue;
        auto catenated = co_await catenate(message);
        if (auto* refusal = std::get_if<CatenateRefusal>(&catenated)) co_return refuse(cmd, *refusal);
        built.push_back(std::move(std::get<std::string>(catenated)));
    }
    auto filed = new_messages(args, built);
    if (!filed) co_return no(cmd, Code::Cannot, "A message holds NUL octets outside the body of any part");
    auto work = run_blocking(services_.blocking, [&store = services_.store, to = *target, filed = std::move(*filed)] {
        return store.append_all(to.owner, to.folder, filed.messages);
    });
    auto uids = co_await std::move(work);
    if (!uids && uids.error().kind == ErrorKind::OverQuota) co_return no(cmd, Code::OverQuota, "The mailbox is over its quota");
    if (!uids) co_return no(cmd, Code::ServerBug, "The messages could not be stored");
    if (selected_) co_await refresh(Expunges::Report);
    ok(cmd, "APPEND completed", Code::AppendUid, fmt::format("{} {}", target->info.uidvalidity, uid_set(*uids)));
}

}  // namespace mss::imap
