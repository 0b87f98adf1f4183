// Sequence sets: parsing (bounded number of ranges, never expanded) and set operations against the
// mailbox's current maximum. Trusts nothing about the text.
#include "imap/parse/sequence.h"

#include <algorithm>

namespace mss::imap {

namespace {

Response bad(std::string text, Code code = Code::None) {
    return Response{"", Status::Bad, code, "", std::move(text)};
}

// One seq-number at text[i]: nz-number or "*". Returns an error text or empty.
std::string read_number(std::string_view text, std::size_t& i, bool allow_star, uint32_t& out) {
    if (i < text.size() && text[i] == '*') {
        if (!allow_star) return "\"*\" is not allowed here";
        ++i;
        out = SequenceSet::star;
        return {};
    }
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return "Invalid sequence set";
    uint64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        v = v * 10 + static_cast<uint64_t>(text[i] - '0');
        if (v > 0xFFFFFFFFull) return "Number too large in sequence set";
        ++i;
    }
    if (v == 0) return "Invalid message number 0 in sequence set";
    out = static_cast<uint32_t>(v);
    return {};
}

}  // namespace

std::variant<SequenceSet, Response> parse_sequence_set(std::string_view text, const SequenceLimits& limits) {
    SequenceSet set;
    if (text.empty()) return bad("Missing sequence set");
    if (text == "$") {
        if (!limits.allow_saved) return bad("\"$\" is not allowed here");
        set.saved = true;
        return set;
    }
    std::size_t i = 0;
    while (true) {
        if (set.ranges.size() >= limits.max_ranges) return bad("Too many ranges in sequence set", Code::Limit);
        SequenceSet::Range r;
        if (auto e = read_number(text, i, limits.allow_star, r.first); !e.empty()) return bad(e);
        r.last = r.first;
        if (i < text.size() && text[i] == ':') {
            ++i;
            if (auto e = read_number(text, i, limits.allow_star, r.last); !e.empty()) return bad(e);
        }
        set.ranges.push_back(r);
        if (i == text.size()) break;
        if (text[i] != ',') return bad("Invalid sequence set");
        ++i;
    }
    return set;
}

bool SequenceSet::has_star() const {
    return std::any_of(ranges.begin(), ranges.end(), [](const Range& r) { return r.first == star || r.last == star; });
}

bool SequenceSet::contains(uint32_t n, uint32_t max) const {
    if (n == 0 || n > max) return false;
    for (const Range& r : ranges) {
        uint32_t a = r.first == star ? max : r.first;
        uint32_t b = r.last == star ? max : r.last;
        if (a > b) std::swap(a, b);
        if (n >= a && n <= b) return true;
    }
    return false;
}

std::vector<SequenceSet::Range> SequenceSet::resolve(uint32_t max) const {
    std::vector<Range> out;
    if (max == 0) return out;
    out.reserve(ranges.size());
    for (const Range& r : ranges) {
        uint32_t a = r.first == star ? max : r.first;
        uint32_t b = r.last == star ? max : r.last;
        if (a > b) std::swap(a, b);
        if (a > max) continue;
        out.push_back({a, std::min(b, max)});
    }
    std::sort(out.begin(), out.end(), [](const Range& x, const Range& y) { return x.first < y.first; });
    std::vector<Range> merged;
    for (const Range& r : out) {
        if (!merged.empty() && static_cast<uint64_t>(merged.back().last) + 1 >= r.first)
            merged.back().last = std::max(merged.back().last, r.last);
        else
            merged.push_back(r);
    }
    return merged;
}

uint64_t SequenceSet::count(uint32_t max) const {
    uint64_t n = 0;
    for (const Range& r : resolve(max)) n += static_cast<uint64_t>(r.last) - r.first + 1;
    return n;
}

std::string SequenceSet::to_string() const {
    if (saved) return "$";
    std::string out;
    auto num = [&](uint32_t v) {
        if (v == star)
            out += '*';
        else
            out += std::to_string(v);
    };
    for (const Range& r : ranges) {
        if (!out.empty()) out += ',';
        num(r.first);
        if (r.last != r.first) {
            out += ':';
            num(r.last);
        }
    }
    return out;
}

}  // namespace mss::imap
