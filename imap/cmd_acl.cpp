// ACL commands (RFC 4314): GETACL, SETACL, DELETEACL, LISTRIGHTS, MYRIGHTS. The rights of an
// organisational mailbox are its members' (the same on every folder of it, as `mssctl account
// member` sets them); a personal mailbox is its owner's alone and can never be shared, so SETACL
// and DELETEACL there are refused whatever the identifier.
#include <fmt/format.h>

#include "core/blocking.h"
#include "core/text.h"
#include "imap/names.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

constexpr std::string_view kRightsOrder = "lrswipkxtea0";

// The rights letters in canonical order; nullopt for an unknown right (BAD, RFC 4314 3.1). The
// obsolete "c" and "d" of RFC 2086 stand for "k" and "xte" (RFC 4314 2.1.1).
std::optional<std::string> canonical_rights(std::string_view rights) {
    std::string wanted;
    for (char c : rights) {
        if (c == 'c') wanted += "k";
        else if (c == 'd') wanted += "xte";
        else if (kRightsOrder.find(c) == std::string_view::npos) return std::nullopt;
        else wanted += c;
    }
    std::string out;
    for (char c : kRightsOrder)
        if (wanted.find(c) != std::string::npos) out += c;
    return out;
}

std::string combine(std::string_view held, std::string_view given, StoreMode mode) {
    std::string out;
    for (char c : kRightsOrder) {
        bool in_held = held.find(c) != std::string_view::npos, in_given = given.find(c) != std::string_view::npos;
        bool keep = mode == StoreMode::Replace ? in_given : mode == StoreMode::Add ? in_held || in_given : in_held && !in_given;
        if (keep) out += c;
    }
    return out;
}

std::string astring(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

asio::awaitable<void> Session::cmd_acl(const Command& cmd) {
    const std::string& name = cmd.verb == Verb::GetAcl || cmd.verb == Verb::MyRights
                                  ? std::get<MailboxArgs>(cmd.args).mailbox
                                  : std::get<AclArgs>(cmd.args).mailbox;
    auto mailbox = co_await find_mailbox(name);
    if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
    std::string quoted = wire_name(mailbox->name);
    if (cmd.verb == Verb::MyRights) {
        untagged(fmt::format("MYRIGHTS {} {}", quoted, mailbox->rights));
        co_return ok(cmd, "MYRIGHTS completed");
    }
    if (!mailbox->may('a')) co_return no(cmd, Code::NoPerm, "You do not administer that mailbox");
    if (cmd.verb == Verb::GetAcl) {
        auto listed = acl_list(cmd, *mailbox);
        co_return co_await std::move(listed);
    }
    const auto& args = std::get<AclArgs>(cmd.args);
    std::string identifier = ascii_lower(args.identifier);
    if (cmd.verb == Verb::ListRights) {
        bool owner = !mailbox->shared() && identifier == user_->address;
        untagged(owner ? fmt::format("LISTRIGHTS {} {} {}", quoted, astring(identifier), kOwnerRights)
                       : fmt::format("LISTRIGHTS {} {} \"\" l r s w i p k x t e a 0", quoted, astring(identifier)));
        co_return ok(cmd, "LISTRIGHTS completed");
    }
    if (!mailbox->shared()) co_return no(cmd, Code::Cannot, "A personal mailbox is never shared");
    auto rights = canonical_rights(args.rights);
    if (!rights) co_return bad(cmd, "Unknown right");
    bool remove = cmd.verb == Verb::DeleteAcl;
    std::string given = remove ? std::string() : *rights;
    auto changed = acl_change(cmd, *mailbox, identifier, given, remove ? StoreMode::Replace : args.mode);
    co_await std::move(changed);
}

asio::awaitable<void> Session::acl_list(const Command& cmd, const MailboxRef& mailbox) {
    std::string entries;
    if (!mailbox.shared()) {
        entries = fmt::format(" {} {}", astring(user_->address), kOwnerRights);
    } else {
        auto lookup = run_blocking(services_.blocking, [&store = services_.store, org = mailbox.owner] {
            return store.members(org);
        });
        auto members = co_await std::move(lookup);
        if (!members) co_return no(cmd, Code::ServerBug, "Cannot read the access list");
        for (auto& m : *members) entries += fmt::format(" {} {}", astring(m.address), m.rights);
    }
    untagged(fmt::format("ACL {}{}", wire_name(mailbox.name), entries));
    ok(cmd, "GETACL completed");
}

asio::awaitable<void> Session::acl_change(const Command& cmd, const MailboxRef& mailbox, const std::string& identifier,
                                          const std::string& rights, StoreMode mode) {
    auto work = run_blocking(services_.blocking, [&store = services_.store, org = mailbox.owner, identifier, rights, mode] {
        auto held = store.rights_of(org, identifier);
        if (!held) return mss::Status(held.error());
        return store.set_member(org, identifier, combine(*held, rights, mode));
    });
    auto done = co_await std::move(work);
    if (done) co_return ok(cmd, cmd.verb == Verb::DeleteAcl ? "DELETEACL completed" : "SETACL completed");
    switch (done.error().kind) {
        case ErrorKind::NotFound: co_return no(cmd, Code::NonExistent, "No such user");
        case ErrorKind::Invalid: co_return no(cmd, Code::Cannot, done.error().message);
        default: co_return no(cmd, Code::ServerBug, "The access list could not be changed");
    }
}

}  // namespace mss::imap
