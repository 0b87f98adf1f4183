// Search key evaluation over one message, case folding, and the SEARCH / ESEARCH wire forms.
#include "imap/search_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "core/text.h"
#include "imap/parse/command.h"

namespace mss::imap {
namespace {

// Nesting beyond what the parser allows (max_search_depth) never matches.
constexpr std::size_t kMaxDepth = 64;

// Decodes one UTF-8 sequence at s[i]; 0 for an invalid one (then one byte is taken as it is).
std::size_t utf8_sequence(std::string_view s, std::size_t i, uint32_t& cp) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 4;
    if (n == 4 || i + n >= s.size()) return 0;
    cp = n == 0 ? c : c & (0x3F >> n);
    for (std::size_t k = 1; k <= n; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    return n + 1;
}

bool in(uint32_t cp, uint32_t first, uint32_t last) { return cp >= first && cp <= last; }

// Unicode simple case folding (CaseFolding.txt, status C and S) for the scripts a French health
// service meets: where capitals and small letters alternate, the capital is the even (or odd) one.
uint32_t fold(uint32_t cp) {
    if (in(cp, 'A', 'Z')) return cp + 0x20;
    if (cp < 0xB5) return cp;
    if (cp == 0xB5) return 0x3BC;                                     // micro sign -> mu
    if (in(cp, 0xC0, 0xDE) && cp != 0xD7) return cp + 0x20;           // À..Þ
    if (in(cp, 0x100, 0x12F) || in(cp, 0x132, 0x137) || in(cp, 0x14A, 0x177)) return cp | 1;
    if (in(cp, 0x139, 0x148) || in(cp, 0x179, 0x17E)) return cp % 2 ? cp + 1 : cp;
    if (cp == 0x178) return 0xFF;                                     // Ÿ
    if (cp == 0x17F) return 's';                                      // long s
    if (cp == 0x386) return 0x3AC;
    if (in(cp, 0x388, 0x38A)) return cp + 0x25;
    if (cp == 0x38C) return 0x3CC;
    if (in(cp, 0x38E, 0x38F)) return cp + 0x3F;
    if (in(cp, 0x391, 0x3AB) && cp != 0x3A2) return cp + 0x20;        // Greek capitals
    if (cp == 0x3C2) return 0x3C3;                                    // final sigma
    if (in(cp, 0x400, 0x40F)) return cp + 0x50;
    if (in(cp, 0x410, 0x42F)) return cp + 0x20;                       // Cyrillic capitals
    if (in(cp, 0x460, 0x481) || in(cp, 0x48A, 0x4BF)) return cp | 1;
    if (in(cp, 0x1E00, 0x1E95) || in(cp, 0x1EA0, 0x1EFF)) return cp | 1;  // Latin Extended Additional
    if (cp == 0x1E9E) return 0xDF;                                    // capital sharp s
    return cp;
}

bool has_flag(const store::MessageSummary& m, std::string_view flag) {
    return std::any_of(m.flags.begin(), m.flags.end(),
                       [&](const std::string& f) { return ascii_lower(f) == ascii_lower(flag); });
}

int64_t day_of(const Date& date) {
    DateTime midnight{date};
    return midnight.unix_time() / 86400;
}

int64_t utc_day(int64_t unix_seconds) {
    return unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
}

bool compare_day(SearchKeyKind kind, int64_t day, int64_t wanted) {
    switch (kind) {
        case SearchKeyKind::Before: case SearchKeyKind::SentBefore: case SearchKeyKind::SavedBefore: return day < wanted;
        case SearchKeyKind::On: case SearchKeyKind::SentOn: case SearchKeyKind::SavedOn: return day == wanted;
        default: return day >= wanted;  // SINCE, SENTSINCE, SAVEDSINCE
    }
}

bool is_content_key(SearchKeyKind kind) {
    switch (kind) {
        case SearchKeyKind::Bcc: case SearchKeyKind::Body: case SearchKeyKind::Cc: case SearchKeyKind::From:
        case SearchKeyKind::Subject: case SearchKeyKind::Text: case SearchKeyKind::To: case SearchKeyKind::Header:
        case SearchKeyKind::SentBefore: case SearchKeyKind::SentOn: case SearchKeyKind::SentSince: return true;
        default: return false;
    }
}

std::string_view field_of(SearchKeyKind kind) {
    switch (kind) {
        case SearchKeyKind::Bcc: return "bcc";
        case SearchKeyKind::Cc: return "cc";
        case SearchKeyKind::From: return "from";
        case SearchKeyKind::Subject: return "subject";
        default: return "to";
    }
}

bool in_set(const SequenceSet& set, uint32_t n, uint32_t max, uint32_t uid, const SearchScope& scope) {
    if (set.saved) return std::binary_search(scope.saved_uids.begin(), scope.saved_uids.end(), uid);
    return set.contains(n, max);
}

// A key the message list answers (flags, dates, size, numbers, UIDs, MODSEQ).
bool summary_matches(const SearchKey& key, const SearchMessage& message, const SearchScope& scope) {
    const store::MessageSummary& m = message.summary;
    switch (key.kind) {
        case SearchKeyKind::All: return true;
        case SearchKeyKind::Old: return !message.recent;
        case SearchKeyKind::Recent: return message.recent;
        case SearchKeyKind::New: return message.recent && !has_flag(m, "\\Seen");
        case SearchKeyKind::Answered: return has_flag(m, "\\Answered");
        case SearchKeyKind::Deleted: return has_flag(m, "\\Deleted");
        case SearchKeyKind::Draft: return has_flag(m, "\\Draft");
        case SearchKeyKind::Flagged: return has_flag(m, "\\Flagged");
        case SearchKeyKind::Seen: return has_flag(m, "\\Seen");
        case SearchKeyKind::Unanswered: return !has_flag(m, "\\Answered");
        case SearchKeyKind::Undeleted: return !has_flag(m, "\\Deleted");
        case SearchKeyKind::Undraft: return !has_flag(m, "\\Draft");
        case SearchKeyKind::Unflagged: return !has_flag(m, "\\Flagged");
        case SearchKeyKind::Unseen: return !has_flag(m, "\\Seen");
        case SearchKeyKind::Keyword: return has_flag(m, key.text);
        case SearchKeyKind::Unkeyword: return !has_flag(m, key.text);
        case SearchKeyKind::Before: case SearchKeyKind::On: case SearchKeyKind::Since:
            return compare_day(key.kind, utc_day(m.internal_date), day_of(key.date));
        // RFC 8514: a message filed before save dates were kept is searched by its internal date.
        case SearchKeyKind::SavedBefore: case SearchKeyKind::SavedOn: case SearchKeyKind::SavedSince:
            return compare_day(key.kind, utc_day(m.save_date.value_or(m.internal_date)), day_of(key.date));
        case SearchKeyKind::SaveDateSupported: return true;
        case SearchKeyKind::EmailId: return m.email_id == key.text;
        case SearchKeyKind::ThreadId: return !m.thread_id.empty() && m.thread_id == key.text;
        case SearchKeyKind::Larger: return m.size > key.number;
        case SearchKeyKind::Smaller: return m.size < key.number;
        case SearchKeyKind::Older: return m.internal_date <= scope.now - static_cast<int64_t>(key.number);
        case SearchKeyKind::Younger: return m.internal_date >= scope.now - static_cast<int64_t>(key.number);
        case SearchKeyKind::ModSeq: return m.modseq >= key.number;
        case SearchKeyKind::Sequence: return in_set(key.set, message.number, scope.messages, m.uid, scope);
        case SearchKeyKind::Uid: return in_set(key.set, m.uid, scope.max_uid, m.uid, scope);
        default: return false;
    }
}

// One message's evaluation: the folded header and body are made once, when a key first needs them.
class Evaluation {
public:
    Evaluation(const SearchMessage& message, MessageContent& content, const SearchScope& scope)
        : message_(message), content_(content), scope_(scope) {}

    bool matches(const SearchKey& key, std::size_t depth) {
        if (depth > kMaxDepth) return false;
        switch (key.kind) {
            case SearchKeyKind::And: return all_of(key.children, depth);
            case SearchKeyKind::Or:
                return std::any_of(key.children.begin(), key.children.end(),
                                   [&](const SearchKey& k) { return matches(k, depth + 1); });
            case SearchKeyKind::Not: return !key.children.empty() && !matches(key.children.front(), depth + 1);
            default: return is_content_key(key.kind) ? content_key(key) : summary_matches(key, message_, scope_);
        }
    }

private:
    // Keys the message list answers go first, so content is read only for messages still in the running.
    bool all_of(const std::vector<SearchKey>& keys, std::size_t depth) {
        for (bool content_pass : {false, true})
            for (const SearchKey& k : keys)
                if (needs_content(k) == content_pass && !matches(k, depth + 1)) return false;
        return true;
    }

    bool content_key(const SearchKey& key) {
        switch (key.kind) {
            case SearchKeyKind::Body: return contains(folded_body(), key.text);
            case SearchKeyKind::Text:
                return contains(folded_header_text(), key.text) || contains(folded_body(), key.text);
            case SearchKeyKind::Header: return field_contains(ascii_lower(key.text), key.value);
            case SearchKeyKind::SentBefore: case SearchKeyKind::SentOn: case SearchKeyKind::SentSince: {
                auto sent = content_.sent_on();
                return sent && compare_day(key.kind, day_of(*sent), day_of(key.date));
            }
            default: return field_contains(field_of(key.kind), key.text);
        }
    }

    static bool contains(std::string_view folded_text, std::string_view needle) {
        return folded_text.find(fold_case(needle)) != std::string_view::npos;
    }

    bool field_contains(std::string_view lower_name, std::string_view needle) {
        for (const std::string& value : folded_values(lower_name))
            if (contains(value, needle)) return true;
        return false;
    }

    // The folded values of the fields so named, decoded and folded on the first key naming them.
    const std::vector<std::string>& folded_values(std::string_view lower_name) {
        for (const auto& [name, values] : values_)
            if (name == lower_name) return values;
        std::vector<std::string> folded;
        for (const std::string& value : content_.field_values(lower_name)) folded.push_back(fold_case(value));
        return values_.emplace_back(std::string(lower_name), std::move(folded)).second;
    }

    const std::vector<HeaderText>& folded_fields() {
        if (!fields_) {
            fields_.emplace();
            for (const HeaderText& f : content_.header()) fields_->push_back({ascii_lower(f.name), fold_case(f.value)});
        }
        return *fields_;
    }

    const std::string& folded_header_text() {
        if (!header_text_) {
            header_text_.emplace();
            for (const HeaderText& f : folded_fields()) *header_text_ += f.name + ": " + f.value + "\r\n";
        }
        return *header_text_;
    }

    const std::string& folded_body() {
        if (!body_) body_ = fold_case(content_.body());
        return *body_;
    }

    const SearchMessage& message_;
    MessageContent& content_;
    const SearchScope& scope_;
    std::deque<std::pair<std::string, std::vector<std::string>>> values_;  // by lower-case field name
    std::optional<std::vector<HeaderText>> fields_;
    std::optional<std::string> header_text_;
    std::optional<std::string> body_;
};

// Three-valued: false or true when the message list settles it, nullopt when content would.
std::optional<bool> verdict(const SearchKey& key, const SearchMessage& message, const SearchScope& scope,
                            std::size_t depth) {
    if (depth > kMaxDepth) return false;
    bool unknown = false;
    switch (key.kind) {
        case SearchKeyKind::And:
            for (const SearchKey& k : key.children) {
                auto v = verdict(k, message, scope, depth + 1);
                if (v && !*v) return false;
                unknown = unknown || !v;
            }
            return unknown ? std::nullopt : std::optional<bool>(true);
        case SearchKeyKind::Or:
            for (const SearchKey& k : key.children) {
                auto v = verdict(k, message, scope, depth + 1);
                if (v && *v) return true;
                unknown = unknown || !v;
            }
            return unknown ? std::nullopt : std::optional<bool>(false);
        case SearchKeyKind::Not: {
            if (key.children.empty()) return false;
            auto v = verdict(key.children.front(), message, scope, depth + 1);
            return v ? std::optional<bool>(!*v) : std::nullopt;
        }
        default:
            if (is_content_key(key.kind)) return std::nullopt;
            return summary_matches(key, message, scope);
    }
}

template <class Predicate>
bool any_key(const SearchKey& key, Predicate p, std::size_t depth = 0) {
    if (depth > kMaxDepth) return false;
    if (p(key)) return true;
    return std::any_of(key.children.begin(), key.children.end(),
                       [&](const SearchKey& k) { return any_key(k, p, depth + 1); });
}

std::optional<uint64_t> highest_modseq(std::span<const Match> matches) {
    if (matches.empty()) return std::nullopt;
    uint64_t highest = 0;
    for (const Match& m : matches) highest = std::max(highest, m.modseq);
    return highest;
}

uint32_t number_of(const Match& m, bool uid) { return uid ? m.uid : m.number; }

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The matches at positions first..last (1-based) of the result, as far as it reaches.
std::span<const Match> partial_window(const PartialRange& range, std::span<const Match> matches) {
    if (range.first == 0 || range.first > matches.size()) return {};
    std::size_t last = std::min<std::size_t>(range.last, matches.size());
    return matches.subspan(range.first - 1, last - range.first + 1);
}

std::string esearch_response(const SearchRequest& request, std::span<const Match> matches) {
    std::string out = "ESEARCH (TAG " + quoted(request.tag) + ")";
    if (request.uid) out += " UID";
    unsigned r = request.returns;
    if (!matches.empty()) {
        if (r & ReturnMin) out += fmt::format(" MIN {}", number_of(matches.front(), request.uid));
        if (r & ReturnMax) out += fmt::format(" MAX {}", number_of(matches.back(), request.uid));
    }
    if (r & ReturnCount) out += fmt::format(" COUNT {}", matches.size());
    if ((r & ReturnAll) && !matches.empty()) {
        std::vector<uint32_t> numbers;
        for (const Match& m : matches) numbers.push_back(number_of(m, request.uid));
        out += " ALL " + compact_set(numbers);
    }
    auto window = partial_window(request.partial, matches);
    if (r & ReturnPartial) {
        std::vector<uint32_t> numbers;
        for (const Match& m : window) numbers.push_back(number_of(m, request.uid));
        out += fmt::format(" PARTIAL ({}:{} {})", request.partial.first, request.partial.last,
                           numbers.empty() ? std::string("NIL") : compact_set(numbers));
    }
    if (!request.report_modseq) return out;
    // RFC 7162 3.1.5 with RFC 4731: the highest MODSEQ of the messages the answer names.
    std::vector<Match> named;
    if (r & (ReturnAll | ReturnCount)) named.assign(matches.begin(), matches.end());
    else if (r & ReturnPartial) named.assign(window.begin(), window.end());
    else if (!matches.empty() && (r & ReturnMin)) named.push_back(matches.front());
    if (!matches.empty() && (r & ReturnMax)) named.push_back(matches.back());
    if (auto modseq = highest_modseq(named)) out += fmt::format(" MODSEQ {}", *modseq);
    return out;
}

}  // namespace

std::string fold_case(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        uint32_t cp = 0;
        std::size_t n = utf8_sequence(utf8, i, cp);
        if (n == 0) {
            out += utf8[i++];
            continue;
        }
        append_utf8(out, fold(cp));
        i += n;
    }
    return out;
}

bool numbers_in_range(const SearchKey& key, uint32_t messages) {
    return !any_key(key, [messages](const SearchKey& k) {
        if (k.kind != SearchKeyKind::Sequence) return false;
        return std::any_of(k.set.ranges.begin(), k.set.ranges.end(), [messages](const SequenceSet::Range& r) {
            return (r.first != SequenceSet::star && r.first > messages) ||
                   (r.last != SequenceSet::star && r.last > messages);
        });
    });
}

bool needs_content(const SearchKey& key) {
    return any_key(key, [](const SearchKey& k) { return is_content_key(k.kind); });
}

bool needs_body(const SearchKey& key) {
    return any_key(key, [](const SearchKey& k) { return k.kind == SearchKeyKind::Body || k.kind == SearchKeyKind::Text; });
}

bool mentions_modseq(const SearchKey& key) {
    return any_key(key, [](const SearchKey& k) { return k.kind == SearchKeyKind::ModSeq; });
}

bool matches(const SearchKey& key, const SearchMessage& message, MessageContent& content, const SearchScope& scope) {
    Evaluation evaluation(message, content, scope);
    return evaluation.matches(key, 0);
}

std::optional<bool> verdict_without_content(const SearchKey& key, const SearchMessage& message,
                                            const SearchScope& scope) {
    return verdict(key, message, scope, 0);
}

std::string compact_set(std::span<const uint32_t> ascending) {
    std::string out;
    for (std::size_t i = 0; i < ascending.size();) {
        std::size_t j = i;
        while (j + 1 < ascending.size() && ascending[j + 1] == ascending[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += j == i ? fmt::format("{}", ascending[i]) : fmt::format("{}:{}", ascending[i], ascending[j]);
        i = j + 1;
    }
    return out;
}

std::optional<std::string> search_response(const SearchRequest& request, std::span<const Match> matches) {
    if (request.esearch) {
        if ((request.returns & ~static_cast<unsigned>(ReturnSave | ReturnContext)) == 0) return std::nullopt;
        return esearch_response(request, matches);
    }
    std::string out = "SEARCH";
    for (const Match& m : matches) out += fmt::format(" {}", number_of(m, request.uid));
    if (auto modseq = highest_modseq(matches); modseq && request.report_modseq)
        out += fmt::format(" (MODSEQ {})", *modseq);
    return out;
}

std::vector<uint32_t> saved_result(unsigned returns, std::span<const Match> matches) {
    std::vector<uint32_t> uids;
    bool min_max_only = (returns & (ReturnMin | ReturnMax)) && !(returns & (ReturnAll | ReturnCount));
    if (!min_max_only) {
        for (const Match& m : matches) uids.push_back(m.uid);
    } else if (!matches.empty()) {
        if (returns & ReturnMin) uids.push_back(matches.front().uid);
        if (returns & ReturnMax) uids.push_back(matches.back().uid);
    }
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    return uids;
}

}  // namespace mss::imap
