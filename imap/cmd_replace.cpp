// REPLACE and UID REPLACE (RFC 8508): a client swaps a message of the selected mailbox (a draft saved
// again) for a new one, filed in the named mailbox, in one command and one store transaction
// (store::Store::replace): a crash leaves the old message or the new one, never both; if filing
// fails, nothing is removed. The new message's APPENDUID comes in an untagged OK. The replacement may
// be a CATENATE (RFC 8508 5, RFC 4469), built whole before the store is touched. Rights: "i" on the target, "t" and "e" on the selected mailbox. Trusts the parser's values.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "core/blocking.h"
#include "imap/append_encoding.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::cmd_replace(const Command& cmd) {
    const auto& args = std::get<ReplaceArgs>(cmd.args);
    const AppendMessage& message = args.replacement.messages.front();
    bool utf8_data = message.utf8 || std::any_of(message.catenate.begin(), message.catenate.end(),
                                                 [](const CatenatePart& p) { return p.utf8; });
    if (utf8_data && !utf8_names()) co_return bad(cmd, "APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
    std::optional<std::size_t> index;
    if (cmd.uid) index = selected_->index_of_uid(args.message);
    else if (args.message <= selected_->messages.size()) index = args.message - 1;
    if (!index && !cmd.uid) co_return bad(cmd, "Invalid message sequence number");
    if (!index) co_return no(cmd, Code::NonExistent, "No message with that UID");
    if (selected_->read_only) co_return no(cmd, Code::ReadOnly, "The mailbox is read-only");
    if (!selected_->ref.may('t') || !selected_->ref.may('e'))
        co_return no(cmd, Code::NoPerm, "You may not remove messages from this mailbox");
    if (message.data.size() > config_->limits.max_message_size)
        co_return no(cmd, Code::TooBig, "The message is larger than APPENDLIMIT");
    auto target = co_await find_mailbox(args.replacement.mailbox);
    if (!target) co_return no(cmd, Code::TryCreate, "No such mailbox");
    if (!target->may('i')) co_return no(cmd, Code::NoPerm, "You may not add messages to that mailbox");
    std::string content = message.data;
    if (!message.catenate.empty()) {  // RFC 8508 5: CATENATE builds the replacement (cmd_catenate.cpp)
        auto catenated = co_await catenate(message);
        if (auto* refusal = std::get_if<CatenateRefusal>(&catenated)) co_return refuse(cmd, *refusal);
        content = std::move(std::get<std::string>(catenated));
    }
    if (content.find('\0') != std::string::npos) {
        auto stored = without_nul_octets(content);
        if (!stored) co_return no(cmd, Code::Cannot, "The message holds NUL octets outside the body of any part");
        content = std::move(*stored);
    }
    int64_t date = message.internal_date ? message.internal_date->unix_time() : std::time(nullptr);
    uint32_t old = selected_->messages[*index].uid;
    auto swap = run_blocking(services_.blocking, [&store = services_.store, from = selected_->ref, old, to = *target,
                                                  content = std::move(content), flags = message.flags, date] {
        return store.replace(from.owner, from.folder, old, to.owner, to.folder, store::NewMessage{content, flags, date});
    });
    auto replaced = co_await std::move(swap);
    if (!replaced && replaced.error().kind == ErrorKind::OverQuota) co_return no(cmd, Code::OverQuota, "The mailbox is over its quota");
    if (!replaced) co_return no(cmd, Code::ServerBug, "The message could not be stored");
    send({"", Status::Ok, Code::AppendUid, fmt::format("{} {}", target->info.uidvalidity, replaced->uid), "Replacement filed"});
    co_await refresh(Expunges::Report);
    report_expunged(replaced->expunged);
    co_await tell_highest_modseq();
    ok(cmd, cmd.uid ? "UID REPLACE completed" : "REPLACE completed");
}

}  // namespace mss::imap
