// SEARCH criteria parser (RFC 3501 6.4.4 search-key, RFC 9051, RFC 7162 MODSEQ, RFC 5032, RFC 5182)
// and the sequence-set and date readers it shares with the command parser. Recursion is bounded by
// ParseOptions::max_search_depth, the number of keys by max_search_keys. Trusts nothing.
#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "imap/parse/lexer.h"
#include "imap/parse/mutf7.h"

namespace mss::imap::detail {

SequenceSet read_sequence_set(Cursor& in, bool allow_saved, bool allow_star) {
    std::string_view text =
        in.take_while([](char c) { return (c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$'; });
    SequenceLimits limits{in.options().max_ranges, allow_saved, allow_star};
    auto parsed = parse_sequence_set(text, limits);
    if (auto* r = std::get_if<Response>(&parsed)) in.fail(r->text, r->code);
    return std::get<SequenceSet>(std::move(parsed));
}

static int month_from_name(std::string_view name) {
    static constexpr std::array<std::string_view, 12> months = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    for (std::size_t i = 0; i < months.size(); ++i)
        if (iequals(name, months[i])) return static_cast<int>(i) + 1;
    return 0;
}

static int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

// date-day "-" date-month "-" date-year; day_fixed also allows " 1" (date-day-fixed).
Date read_date_text(Cursor& in, bool day_fixed) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    Date d;
    if (day_fixed && in.peek() == ' ' && digit(in.peek(1))) in.advance(1);
    std::string_view day = in.take_while(digit);
    std::string_view dash1 = in.take_while([](char c) { return c == '-'; });
    std::string_view month = in.take_while([](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
    std::string_view dash2 = in.take_while([](char c) { return c == '-'; });
    std::string_view year = in.take_while(digit);
    if (day.empty() || day.size() > 2 || dash1.size() != 1 || dash2.size() != 1 || year.size() != 4)
        in.fail("Invalid date");
    d.day = day.size() == 1 ? day[0] - '0' : (day[0] - '0') * 10 + (day[1] - '0');
    d.month = month_from_name(month);
    d.year = (year[0] - '0') * 1000 + (year[1] - '0') * 100 + (year[2] - '0') * 10 + (year[3] - '0');
    if (d.month == 0 || d.day < 1 || d.day > days_in_month(d.year, d.month)) in.fail("Invalid date");
    return d;
}

Date read_date(Cursor& in) {
    if (in.accept('"')) {
        Date d = read_date_text(in, false);
        in.expect('"', "closing quote of the date");
        return d;
    }
    return read_date_text(in, false);
}

std::string read_search_string(Cursor& in) {
    std::string s = in.astring();
    if (!is_valid_utf8(s)) in.fail("Search string is not valid UTF-8");
    return s;
}

namespace {

struct KeyWord {
    std::string_view name;
    SearchKeyKind kind;
    enum Arg { None, String, Date, Number, NzNumber, Keyword, Header, Keys1, Keys2, Set, ModSeq, ObjectId } arg;
};

constexpr KeyWord kKeys[] = {
    {"ALL", SearchKeyKind::All, KeyWord::None},
    {"ANSWERED", SearchKeyKind::Answered, KeyWord::None},
    {"BCC", SearchKeyKind::Bcc, KeyWord::String},
    {"BEFORE", SearchKeyKind::Before, KeyWord::Date},
    {"BODY", SearchKeyKind::Body, KeyWord::String},
    {"CC", SearchKeyKind::Cc, KeyWord::String},
    {"DELETED", SearchKeyKind::Deleted, KeyWord::None},
    {"DRAFT", SearchKeyKind::Draft, KeyWord::None},
    {"EMAILID", SearchKeyKind::EmailId, KeyWord::ObjectId},
    {"FLAGGED", SearchKeyKind::Flagged, KeyWord::None},
    {"FROM", SearchKeyKind::From, KeyWord::String},
    {"HEADER", SearchKeyKind::Header, KeyWord::Header},
    {"KEYWORD", SearchKeyKind::Keyword, KeyWord::Keyword},
    {"LARGER", SearchKeyKind::Larger, KeyWord::Number},
    {"MODSEQ", SearchKeyKind::ModSeq, KeyWord::ModSeq},
    {"NEW", SearchKeyKind::New, KeyWord::None},
    {"NOT", SearchKeyKind::Not, KeyWord::Keys1},
    {"OLD", SearchKeyKind::Old, KeyWord::None},
    {"OLDER", SearchKeyKind::Older, KeyWord::NzNumber},
    {"ON", SearchKeyKind::On, KeyWord::Date},
    {"OR", SearchKeyKind::Or, KeyWord::Keys2},
    {"RECENT", SearchKeyKind::Recent, KeyWord::None},
    {"SAVEDATESUPPORTED", SearchKeyKind::SaveDateSupported, KeyWord::None},
    {"SAVEDBEFORE", SearchKeyKind::SavedBefore, KeyWord::Date},
    {"SAVEDON", SearchKeyKind::SavedOn, KeyWord::Date},
    {"SAVEDSINCE", SearchKeyKind::SavedSince, KeyWord::Date},
    {"SEEN", SearchKeyKind::Seen, KeyWord::None},
    {"SENTBEFORE", SearchKeyKind::SentBefore, KeyWord::Date},
    {"SENTON", SearchKeyKind::SentOn, KeyWord::Date},
    {"SENTSINCE", SearchKeyKind::SentSince, KeyWord::Date},
    {"SINCE", SearchKeyKind::Since, KeyWord::Date},
    {"SMALLER", SearchKeyKind::Smaller, KeyWord::Number},
    {"SUBJECT", SearchKeyKind::Subject, KeyWord::String},
    {"TEXT", SearchKeyKind::Text, KeyWord::String},
    {"THREADID", SearchKeyKind::ThreadId, KeyWord::ObjectId},
    {"TO", SearchKeyKind::To, KeyWord::String},
    {"UID", SearchKeyKind::Uid, KeyWord::Set},
    {"UNANSWERED", SearchKeyKind::Unanswered, KeyWord::None},
    {"UNDELETED", SearchKeyKind::Undeleted, KeyWord::None},
    {"UNDRAFT", SearchKeyKind::Undraft, KeyWord::None},
    {"UNFLAGGED", SearchKeyKind::Unflagged, KeyWord::None},
    {"UNKEYWORD", SearchKeyKind::Unkeyword, KeyWord::Keyword},
    {"UNSEEN", SearchKeyKind::Unseen, KeyWord::None},
    {"YOUNGER", SearchKeyKind::Younger, KeyWord::NzNumber},
};

class SearchParser {
public:
    explicit SearchParser(Cursor& in) : in_(in) {}

    // depth: how many "(", NOT and OR enclose this key.
    SearchKey key(std::size_t depth) {
        if (depth > in_.options().max_search_depth) in_.fail("Search criteria nested too deeply", Code::Limit);
        if (++keys_ > in_.options().max_search_keys) in_.fail("Too many search keys", Code::Limit);
        SearchKey k;
        char c = in_.peek();
        if (c == '(') {
            in_.advance(1);
            k.kind = SearchKeyKind::And;
            while (true) {
                k.children.push_back(key(depth + 1));
                if (in_.accept(')')) break;
                in_.sp();
            }
            return k;
        }
        if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
            k.kind = SearchKeyKind::Sequence;
            k.set = read_sequence_set(in_);
            return k;
        }
        std::string_view word = in_.atom();
        const KeyWord* found = nullptr;
        for (const KeyWord& w : kKeys)
            if (iequals(word, w.name)) found = &w;
        if (!found) in_.fail("Unknown search key");
        k.kind = found->kind;
        switch (found->arg) {
            case KeyWord::None: break;
            case KeyWord::String: in_.sp(); k.text = read_search_string(in_); break;
            case KeyWord::Date: in_.sp(); k.date = read_date(in_); break;
            case KeyWord::Number: in_.sp(); k.number = in_.number64(); break;
            case KeyWord::NzNumber: in_.sp(); k.number = in_.nz_number(); break;
            case KeyWord::Keyword: in_.sp(); k.text = std::string(in_.atom()); break;
            case KeyWord::Header:
                in_.sp();
                k.text = upper(in_.astring());
                if (k.text.empty() || !std::all_of(k.text.begin(), k.text.end(), [](char ch) {
                        return ch > 0x20 && ch < 0x7F && ch != ':';
                    }))
                    in_.fail("Invalid header field name");
                in_.sp();
                k.value = read_search_string(in_);
                break;
            case KeyWord::Keys1: in_.sp(); k.children.push_back(key(depth + 1)); break;
            case KeyWord::Keys2:
                in_.sp();
                k.children.push_back(key(depth + 1));
                in_.sp();
                k.children.push_back(key(depth + 1));
                break;
            case KeyWord::Set: in_.sp(); k.set = read_sequence_set(in_); break;
            case KeyWord::ModSeq: modseq(k); break;
            case KeyWord::ObjectId: in_.sp(); k.text = object_id(); break;
        }
        return k;
    }

private:
    // objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 7)
    std::string object_id() {
        std::string_view id = in_.take_while([](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
        });
        if (id.empty() || id.size() > 255) in_.fail("Invalid object id");
        return std::string(id);
    }

    // "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162 3.1.5)
    void modseq(SearchKey& k) {
        in_.sp();
        if (in_.peek() == '"') {
            k.text = in_.quoted();
            if (k.text.size() <= 7 || !iequals(k.text.substr(0, 7), "/flags/")) in_.fail("Invalid MODSEQ entry name");
            in_.sp();
            std::string_view type = in_.atom();
            if (iequals(type, "priv"))
                k.entry_type = ModSeqEntryType::Private;
            else if (iequals(type, "shared"))
                k.entry_type = ModSeqEntryType::Shared;
            else if (iequals(type, "all"))
                k.entry_type = ModSeqEntryType::All;
            else
                in_.fail("Invalid MODSEQ entry type");
            in_.sp();
        }
        k.number = in_.number64();
    }

    Cursor& in_;
    std::size_t keys_ = 0;
};

}  // namespace

SearchKey read_search_criteria(Cursor& in) {
    SearchParser parser(in);
    SearchKey all;
    all.kind = SearchKeyKind::And;
    do {
        in.sp();
        all.children.push_back(parser.key(0));
    } while (!in.at_end());
    return all;
}

}  // namespace mss::imap::detail
