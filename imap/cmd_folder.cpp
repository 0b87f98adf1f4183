// Mailbox management (RFC 3501 6.3.3-6.3.7, RFC 6154 CREATE-SPECIAL-USE): CREATE, DELETE, RENAME,
// SUBSCRIBE, UNSUBSCRIBE. Rights as RFC 4314 says: "k" to create, "x" to delete or rename. Names in
// the shared namespace reach an organisational mailbox only for its members.
#include <fmt/format.h>

#include "core/blocking.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

std::string without_trailing_separator(std::string name) {
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    return name;
}

}  // namespace

asio::awaitable<std::optional<NameTarget>> Session::target_for(const std::string& name) {
    auto lookup = run_blocking(services_.blocking, [&store = services_.store, user = user_->address, name] {
        return target_of(store, user, name);
    });
    auto found = co_await std::move(lookup);
    if (!found) co_return std::nullopt;
    co_return std::move(*found);
}

asio::awaitable<void> Session::cmd_create(const Command& cmd) {
    const auto& args = std::get<CreateArgs>(cmd.args);
    std::string name = without_trailing_separator(args.mailbox);
    if (name == "INBOX") co_return no(cmd, Code::AlreadyExists, "INBOX always exists");
    if (args.special_use.size() > 1) co_return no(cmd, Code::UseAttr, "One special use per mailbox");
    auto target = co_await target_for(name);
    if (!target || target->rights.find('k') == std::string::npos) co_return no(cmd, Code::NoPerm, "You may not create mailboxes there");
    std::string use = args.special_use.empty() ? "" : args.special_use.front();
    auto work = run_blocking(services_.blocking, [&store = services_.store, t = *target, use] {
        return store.create_folder(t.owner, t.folder, use);
    });
    auto made = co_await std::move(work);
    if (made) co_return ok(cmd, "CREATE completed", Code::MailboxId, fmt::format("({})", made->mailbox_id));  // RFC 8474 4.1
    switch (made.error().kind) {
        case ErrorKind::Exists: co_return no(cmd, Code::AlreadyExists, "Mailbox already exists");
        case ErrorKind::Invalid: co_return no(cmd, Code::Cannot, "Invalid mailbox name");
        default: co_return no(cmd, Code::ServerBug, "The mailbox could not be created");
    }
}

asio::awaitable<void> Session::cmd_delete(const Command& cmd) {
    const auto& name = std::get<MailboxArgs>(cmd.args).mailbox;
    auto mailbox = co_await find_mailbox(name);
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
    if (mailbox->folder == "INBOX") co_return no(cmd, Code::Cannot, "INBOX cannot be deleted");
    if (!mailbox->may('x')) co_return no(cmd, Code::NoPerm, "You may not delete that mailbox");
    auto work = run_blocking(services_.blocking, [&store = services_.store, m = *mailbox] {
        return store.delete_folder(m.owner, m.folder);
    });
    auto deleted = co_await std::move(work);
    if (deleted) {
        if (selected_ && selected_->ref.info.id == mailbox->info.id) {
            selected_.reset();
            state_ = State::Authenticated;
        }
        co_return ok(cmd, "DELETE completed");
    }
    if (deleted.error().kind == ErrorKind::Invalid) co_return no(cmd, Code::HasChildren, "Delete its children first");
    no(cmd, Code::ServerBug, "The mailbox could not be deleted");
}

asio::awaitable<void> Session::cmd_rename(const Command& cmd) {
    const auto& args = std::get<RenameArgs>(cmd.args);
    auto source = co_await find_mailbox(args.from);
    if (!source) co_return no(cmd, Code::NonExistent, "No such mailbox");
    if (!source->may('x')) co_return no(cmd, Code::NoPerm, "You may not rename that mailbox");
    std::string to = without_trailing_separator(args.to);
    auto target = co_await target_for(to);
    if (!target || target->rights.find('k') == std::string::npos) co_return no(cmd, Code::NoPerm, "You may not create mailboxes there");
    if (target->owner != source->owner) co_return no(cmd, Code::Cannot, "A mailbox cannot move to another namespace");
    auto work = run_blocking(services_.blocking, [&store = services_.store, from = *source, to = *target] {
        return store.rename_folder(from.owner, from.folder, to.folder);
    });
    auto renamed = co_await std::move(work);
    if (renamed) co_return ok(cmd, "RENAME completed");
    switch (renamed.error().kind) {
        case ErrorKind::Exists: co_return no(cmd, Code::AlreadyExists, "The new name is taken");
        case ErrorKind::Invalid: co_return no(cmd, Code::Cannot, "Invalid new name");
        default: co_return no(cmd, Code::ServerBug, "The mailbox could not be renamed");
    }
}

asio::awaitable<void> Session::cmd_subscribe(const Command& cmd) {
    const auto& name = std::get<MailboxArgs>(cmd.args).mailbox;
    bool subscribe = cmd.verb == Verb::Subscribe;
    auto work = run_blocking(services_.blocking, [&store = services_.store, user = user_->address, name, subscribe] {
        return store.set_subscribed(user, name, subscribe);
    });
    auto done = co_await std::move(work);
    if (!done && done.error().kind == ErrorKind::Invalid) co_return no(cmd, Code::Cannot, "Invalid mailbox name");
    if (!done) co_return no(cmd, Code::ServerBug, "The subscription could not be changed");
    ok(cmd, subscribe ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

}  // namespace mss::imap
