// Names of the three kinds of mailbox as operators type them (mssctl --kind) and as stored.
#include "store/store.h"

namespace mss::store {

std::string_view to_string(MailboxKind kind) {
    switch (kind) {
        case MailboxKind::Personal: return "personal";
        case MailboxKind::Organisational: return "organisational";
        case MailboxKind::Applicative: return "applicative";
    }
    return "personal";
}

std::optional<MailboxKind> mailbox_kind_from(std::string_view text) {
    for (auto k : {MailboxKind::Personal, MailboxKind::Organisational, MailboxKind::Applicative})
        if (text == to_string(k)) return k;
    return std::nullopt;
}

}  // namespace mss::store
