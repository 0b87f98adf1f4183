// The msg-ids of Message-ID, In-Reply-To and References (RFC 5322 3.6.4), read for THREAD (imap/)
// and for the thread ids the store keeps (RFC 8474 THREADID). Pure; trusts nothing of its input and
// bounds what it keeps.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mss {

// The msg-ids of a Message-ID, References or In-Reply-To field, without their angle brackets, in
// order; comments and quoted phrases skipped; at most max of them (the last ones are kept).
std::vector<std::string> message_ids(std::string_view raw, std::size_t max = 256);

// What places a message in a thread, from its header block: its own Message-ID ("" when none) and
// the ids it answers (References, else In-Reply-To's first), oldest first, at most max_references
// (References' first, the thread's root, and the last ones).
struct ThreadKeys {
    std::string message_id;
    std::vector<std::string> references;
};
ThreadKeys thread_keys(std::string_view message, std::size_t max_references = 32);

}  // namespace mss
