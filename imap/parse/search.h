// SEARCH criteria as a tree (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER,
// RFC 5182 "$", RFC 8514 SAVED*, RFC 8474 EMAILID/THREADID) and the ESEARCH return options (RFC 4731). Parenthesis, NOT and OR nesting is
// bounded by ParseOptions::max_search_depth, the key count by max_search_keys.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "imap/parse/sequence.h"

namespace mss::imap {

// A calendar date as in SEARCH's BEFORE/ON/SINCE (validated: day exists in its month).
struct Date {
    int year = 0;
    int month = 0;  // 1..12
    int day = 0;    // 1..31
    bool operator==(const Date&) const = default;
};

enum class SearchKeyKind {
    And,  // "(" keys ")" and the whole criteria: every child matches
    Or,   // two children
    Not,  // one child
    All, Answered, Deleted, Draft, Flagged, New, Old, Recent, Seen,
    Unanswered, Undeleted, Undraft, Unflagged, Unseen,
    Keyword, Unkeyword,                    // text: the keyword
    Bcc, Body, Cc, From, Subject, Text, To,  // text: the string (UTF-8)
    Header,                                // text: field name, value: the string
    Before, On, Since, SentBefore, SentOn, SentSince,  // date
    Larger, Smaller,                       // number (octets)
    Older, Younger,                        // number (seconds, RFC 5032)
    ModSeq,                                // number; text: entry name ("/flags/\\Seen"), entry_type
    Sequence,                              // set: message numbers
    Uid,                                   // set: UIDs
    SavedBefore, SavedOn, SavedSince,      // date (RFC 8514)
    SaveDateSupported,                     // RFC 8514
    EmailId, ThreadId,                     // text: the objectid (RFC 8474)
};

enum class ModSeqEntryType { None, Private, Shared, All };

struct SearchKey {
    SearchKeyKind kind = SearchKeyKind::All;
    std::string text;
    std::string value;
    Date date;
    uint64_t number = 0;
    ModSeqEntryType entry_type = ModSeqEntryType::None;
    SequenceSet set;
    std::vector<SearchKey> children;

    bool operator==(const SearchKey&) const = default;
};

// ESEARCH RETURN options (RFC 4731, RFC 5182 SAVE, RFC 5267 CONTEXT, UPDATE and PARTIAL);
// "RETURN ()" means ALL.
enum SearchReturn : unsigned {
    ReturnMin = 1,
    ReturnMax = 2,
    ReturnAll = 4,
    ReturnCount = 8,
    ReturnSave = 16,
    ReturnContext = 32,  // a hint that UPDATE or PARTIAL may follow: nothing to do (RFC 5267 4.1)
    ReturnUpdate = 64,   // keep the result and tell ADDTO / REMOVEFROM (RFC 5267 4.2)
    ReturnPartial = 128, // only the positions first..last of the result (RFC 5267 4.4)
};

// PARTIAL first:last, 1-based positions in the result, first <= last (given the other way round,
// they are swapped, as Dovecot does).
struct PartialRange {
    uint32_t first = 0;
    uint32_t last = 0;
    bool operator==(const PartialRange&) const = default;
};

}  // namespace mss::imap
