// The mailboxes a signed-in user sees: its own folders (personal namespace, "") and the folders of
// the organisational mailboxes it is a member of (shared namespace, "Shared/<org>/"), each with
// the RFC 4314 rights the user holds. A personal or applicative mailbox is never visible to anyone
// but its owner. Blocking (reads the store): run it on the blocking pool.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace mss::imap {

// A mailbox as the client names it, resolved to the account that owns it and the folder there.
struct MailboxRef {
    std::string owner;   // address of the owning account
    std::string folder;  // folder name in the owner's store: "INBOX", "Sent", "Projets/2026"
    std::string name;    // as the client names it: "INBOX", "Shared/cabinet@x.mssante.fr/INBOX"
    std::string rights;  // RFC 4314 letters the signed-in user holds there
    store::Folder info;

    bool may(char right) const { return rights.find(right) != std::string::npos; }
    bool shared() const { return name != folder; }
};

// Where a name points: the owner and folder it would have, whether or not the folder exists.
struct NameTarget {
    std::string owner;
    std::string folder;
    std::string rights;
};

// What LIST and LSUB work from: the visible mailboxes and the user's subscribed names.
struct Listing {
    std::vector<MailboxRef> mailboxes;
    std::vector<std::string> subscriptions;
};

// The name a client sees for an owner's folder.
std::string display_name(const std::string& user, const std::string& owner, const std::string& folder);
// Every mailbox the user may see (right "l" or "r"), own folders first, in name order.
Result<std::vector<MailboxRef>> visible_mailboxes(store::Store& store, const std::string& user);
// The existing mailbox of that name on which the user holds some right (its own, or a shared one:
// any right, not only "l" or "r"; each command then checks the right it needs); NotFound otherwise
// (also when it exists but the user holds no right there: the answer does not reveal it).
Result<MailboxRef> find_mailbox(store::Store& store, const std::string& user, const std::string& name);
// The owner and folder a name would denote (CREATE, RENAME targets); NotFound for a name in the
// shared namespace of a mailbox on which the user holds no right, or for the namespace roots.
Result<NameTarget> target_of(store::Store& store, const std::string& user, const std::string& name);

}  // namespace mss::imap
