// Resolution of client mailbox names to (owner, folder, rights) through the store's memberships.
// Trusts the store; trusts nothing about the names (any name may be asked for).
#include "imap/namespace.h"

#include <fmt/format.h>

#include "core/text.h"
#include "imap/names.h"

namespace mss::imap {
namespace {

bool visible(std::string_view rights) {
    return rights.find('l') != std::string_view::npos || rights.find('r') != std::string_view::npos;
}

Error not_found(const std::string& name) { return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", name)); }

// "Shared/<org>/<folder>" split into org and folder ("" when the name stops at the org).
std::optional<std::pair<std::string, std::string>> split_shared(const std::string& name) {
    if (!name.starts_with(kSharedPrefix)) return std::nullopt;
    std::string rest = name.substr(kSharedPrefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) return std::pair{rest, std::string()};
    std::string folder = rest.substr(slash + 1);
    if (folder.size() >= 5 && (folder.size() == 5 || folder[5] == '/')) {
        std::string head = folder.substr(0, 5);
        for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (head == "INBOX") folder.replace(0, 5, "INBOX");
    }
    return std::pair{rest.substr(0, slash), folder};
}

std::optional<std::string> rights_in(store::Store& store, const std::string& user, const std::string& org) {
    auto memberships = store.memberships(user);
    if (!memberships) return std::nullopt;
    for (auto& m : *memberships)
        if (m.org_address == org) return m.rights;
    return std::nullopt;
}

}  // namespace

std::string display_name(const std::string& user, const std::string& owner, const std::string& folder) {
    if (owner == user) return folder;
    return fmt::format("{}{}/{}", kSharedPrefix, owner, folder);
}

Result<std::vector<MailboxRef>> visible_mailboxes(store::Store& store, const std::string& user) {
    auto own = store.folders(user);
    if (!own) return own.error();
    std::vector<MailboxRef> out;
    for (auto& f : *own) out.push_back({user, f.name, f.name, std::string(kOwnerRights), f});
    auto memberships = store.memberships(user);
    if (!memberships) return memberships.error();
    for (auto& m : *memberships) {
        if (!visible(m.rights)) continue;
        auto folders = store.folders(m.org_address);
        if (!folders) continue;  // removed meanwhile
        for (auto& f : *folders)
            out.push_back({m.org_address, f.name, display_name(user, m.org_address, f.name), m.rights, f});
    }
    return out;
}

Result<NameTarget> target_of(store::Store& store, const std::string& user, const std::string& name) {
    auto shared = split_shared(name);
    if (!shared) {
        if (name == kSharedRoot) return not_found(name);
        return NameTarget{user, name, std::string(kOwnerRights)};
    }
    // Any right makes the mailbox the member's to name (RFC 4314 4: "i" alone allows APPEND); "l" and
    // "r" only govern whether LIST shows it. Without any right, the answer is that of no mailbox.
    auto rights = rights_in(store, user, ascii_lower(shared->first));
    if (!rights || rights->empty() || shared->second.empty()) return not_found(name);
    return NameTarget{ascii_lower(shared->first), shared->second, *rights};
}

Result<MailboxRef> find_mailbox(store::Store& store, const std::string& user, const std::string& name) {
    auto target = target_of(store, user, name);
    if (!target) return target.error();
    auto folders = store.folders(target->owner);
    if (!folders) return not_found(name);
    for (auto& f : *folders)
        if (f.name == target->folder) return MailboxRef{target->owner, f.name, display_name(user, target->owner, f.name),
                                                         target->rights, f};
    return not_found(name);
}

}  // namespace mss::imap
