// SEARCH criteria (imap/parse/search.h) matched against one message, header and body text asked of
// MessageContent only when a key needs them, and the SEARCH / ESEARCH (RFC 4731) / SEARCHRES
// (RFC 5182) answers. Pure. Trusts the key tree as the parser bounds it; deeper trees never match.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/parse/search.h"
#include "store/store.h"

namespace mss::imap {

// Simple Unicode case folding of UTF-8 text (ASCII, Latin-1, Latin Extended-A and Additional,
// Greek, Cyrillic): "RÉSULTAT" and "résultat" fold alike. Bytes that are not UTF-8 stay as they are.
std::string fold_case(std::string_view utf8);

// A top-level header field as content keys read it: value unfolded and decoded to UTF-8 (RFC 2047).
struct HeaderText {
    std::string name;
    std::string value;
};

// What content keys read of one message; the caller produces each part on first need.
class MessageContent {
public:
    virtual ~MessageContent() = default;
    virtual const std::vector<HeaderText>& header() = 0;  // every field (TEXT)
    // The decoded values of the fields of that (lower-case) name, in order: what a header key
    // reads, without decoding the fields it does not name.
    virtual std::vector<std::string> field_values(std::string_view lower_name) = 0;
    virtual const std::string& body() = 0;  // decoded text of the text parts, UTF-8
    virtual std::optional<Date> sent_on() = 0;  // the Date: field's own calendar date
};

// The selected mailbox as the client sees it.
struct SearchScope {
    uint32_t messages = 0;                // highest message sequence number ("*")
    uint32_t max_uid = 0;                 // highest UID ("*" in a UID set)
    std::span<const uint32_t> saved_uids;  // "$" (RFC 5182)
    int64_t now = 0;                      // unix seconds, for OLDER and YOUNGER
};

// One message of the mailbox: its sequence number and what the message list says of it.
struct SearchMessage {
    uint32_t number = 0;
    const store::MessageSummary& summary;
    bool recent = false;  // \Recent in this session (IMAP4rev1; RFC 3501 2.3.2)
};

// Every message sequence number the criteria name is at most messages ("*" and "$" always are):
// RFC 3501 9 makes a number beyond the mailbox a BAD command.
bool numbers_in_range(const SearchKey& key, uint32_t messages);
// Some key (at any depth) reads the header or body.
bool needs_content(const SearchKey& key);
// Some key (at any depth) reads the body (BODY, TEXT); the others need only the header block.
bool needs_body(const SearchKey& key);
// Some key is MODSEQ: the answer then reports the highest MODSEQ of the matches (RFC 7162 3.1.5).
bool mentions_modseq(const SearchKey& key);
bool matches(const SearchKey& key, const SearchMessage& message, MessageContent& content, const SearchScope& scope);
// What the message list alone says: true or false when that settles it, nullopt when the answer
// depends on a header or body key (then matches() with the content decides).
std::optional<bool> verdict_without_content(const SearchKey& key, const SearchMessage& message,
                                            const SearchScope& scope);

// A message that matched: ascending by number in a SEARCH result, in sort order in a SORT one
// (ESORT, RFC 5267 3: MIN and MAX are then the first and last in that order).
struct Match {
    uint32_t number = 0;
    uint32_t uid = 0;
    uint64_t modseq = 0;
};

struct SearchRequest {
    std::string_view tag;
    bool uid = false;             // UID SEARCH: UIDs rather than message numbers
    bool esearch = false;         // RETURN (...) given
    unsigned returns = 0;         // SearchReturn bits
    bool report_modseq = false;   // the criteria mention MODSEQ
    PartialRange partial;         // with ReturnPartial
};

// "1,3:5,9" for ascending numbers; "" for none. Numbers in another order keep it: only runs that
// ascend by one become ranges ("7,3:5,1").
std::string compact_set(std::span<const uint32_t> ascending);
// The untagged answer without "* ": "SEARCH 2 5 (MODSEQ 7)" or "ESEARCH (TAG "a1") UID MIN 2 ...";
// nullopt when SAVE is the only return option (RFC 5182 2.1: nothing is said).
std::optional<std::string> search_response(const SearchRequest& request, std::span<const Match> matches);
// The UIDs RETURN (SAVE) keeps, ascending: only the MIN and/or MAX message when those are asked
// without ALL or COUNT (RFC 5182 2.1), every match otherwise.
std::vector<uint32_t> saved_result(unsigned returns, std::span<const Match> matches);

}  // namespace mss::imap
