// SORT (RFC 5256 3, RFC 5957 DISPLAYFROM/DISPLAYTO) and THREAD (RFC 5256 3: ORDEREDSUBJECT,
// REFERENCES; Dovecot's REFS) over facts the caller read from each message's header. Pure. Trusts the facts; the
// thread trees are walked with explicit stacks, so a reply chain of any length cannot overflow one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/message_ids.h"
#include "imap/parse/command.h"

namespace mss::imap {

// What SORT and THREAD read of one message.
struct SortFacts {
    uint32_t number = 0;   // message sequence number: the tie-breaker everywhere
    uint32_t uid = 0;
    uint64_t size = 0;
    int64_t arrival = 0;   // internal date, unix seconds
    int64_t sent = 0;      // Date: as an instant; the internal date when Date: is missing or unreadable
    std::string subject;   // decoded to UTF-8 (RFC 2047)
    std::string from, to, cc;              // addr-mailbox of the field's first address; "" when none
    std::string display_from, display_to;  // RFC 5957: its display name, else mailbox@host
    std::string message_id;                // "" when missing or invalid
    std::vector<std::string> references;   // References' msg-ids, else In-Reply-To's first, oldest first
};

// RFC 5256 2.1 base subject, and whether extraction took off a reply or forward marker
// ("Re:", "Fwd:", "(fwd)", "[fwd: ...]").
struct BaseSubject {
    std::string text;
    bool reply_or_forward = false;
};
BaseSubject base_subject(std::string_view decoded_subject);

// SORT: indexes into facts in the order the criteria give, ties by message number (RFC 5256 3).
std::vector<std::size_t> sort_order(std::span<const SortFacts> facts, std::span<const SortCriterion> criteria);

// A forest of threads: a node is a message (an index into the facts) or a dummy standing for a
// message that is not there. Children are in display order.
struct ThreadForest {
    struct Node {
        std::optional<std::size_t> message;
        std::vector<std::size_t> children;  // indexes into nodes
    };
    std::vector<Node> nodes;
    std::vector<std::size_t> roots;
};

ThreadForest thread_by_subject(std::span<const SortFacts> facts);     // ORDEREDSUBJECT
ThreadForest thread_by_references(std::span<const SortFacts> facts);  // REFERENCES
// REFS (Dovecot): REFERENCES' links without merging by subject; threads by their latest message.
ThreadForest thread_by_refs(std::span<const SortFacts> facts);

// "(2)(3 6 (4 23)(44 7 96))" with message numbers, or UIDs when by_uid; "" for no threads.
std::string format_threads(const ThreadForest& forest, std::span<const SortFacts> facts, bool by_uid);

}  // namespace mss::imap
