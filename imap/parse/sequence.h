// IMAP sequence sets (RFC 3501 9 sequence-set, RFC 9051, RFC 5182 "$"): message numbers or UIDs as
// written, ranges never expanded. Membership and iteration work against a known maximum, so a
// client's "1:4294967295" costs one range. Trusts nothing about the text it parses.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/parse/response_code.h"

namespace mss::imap {

struct SequenceSet {
    static constexpr uint32_t star = 0;  // "*" (0 is never a valid number, so it cannot clash)

    struct Range {
        uint32_t first = 0;  // as written; either end may be star, and first may exceed last
        uint32_t last = 0;
        bool operator==(const Range&) const = default;
    };

    bool saved = false;         // "$": the result saved by SEARCH RETURN (SAVE) (RFC 5182)
    std::vector<Range> ranges;  // empty when saved

    bool has_star() const;
    // n is in the set when "*" stands for max (the highest message number or UID in use).
    // As RFC 3501 says of UIDs, "559:*" includes max even when max < 559.
    bool contains(uint32_t n, uint32_t max) const;
    // Ascending, disjoint, merged ranges within 1..max, "*" replaced by max. O(r log r).
    std::vector<Range> resolve(uint32_t max) const;
    uint64_t count(uint32_t max) const;
    template <class F>
    void for_each(uint32_t max, F&& f) const {  // each member once, ascending
        for (const Range& r : resolve(max))
            for (uint64_t n = r.first; n <= r.last; ++n) f(static_cast<uint32_t>(n));
    }
    std::string to_string() const;  // canonical wire form ("1:5,7,9:*", "$")

    bool operator==(const SequenceSet&) const = default;
};

struct SequenceLimits {
    std::size_t max_ranges = 10000;  // more ranges or numbers -> BAD [LIMIT]
    bool allow_saved = true;         // "$"
    bool allow_star = true;
};

// text is the whole set ("1:5,7,*"). Errors: empty, "0" anywhere ("*:0" too), a number above
// 4294967295, stray characters, "$" mixed with numbers -> BAD; too many ranges -> BAD [LIMIT].
std::variant<SequenceSet, Response> parse_sequence_set(std::string_view text, const SequenceLimits& limits = {});

}  // namespace mss::imap
