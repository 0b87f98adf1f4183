// SEARCH keys over one message (flags, text with Unicode case folding, dates, sizes, sets, OR/NOT,
// OLDER/YOUNGER, MODSEQ), lazy content, SEARCH/ESEARCH/SEARCHRES answers, RFC 5256 base subjects,
// SORT orders and REFERENCES / ORDEREDSUBJECT threads.
#include <doctest/doctest.h>

#include "core/text.h"
#include "imap/parse/command.h"
#include "imap/search_eval.h"
#include "imap/collation.h"
#include "imap/sort_thread.h"

using namespace mss;
using namespace mss::imap;

namespace {

SearchKey criteria(const std::string& text) {
    auto parsed = parse_command("a SEARCH " + text);
    REQUIRE(std::holds_alternative<Command>(parsed));
    return std::get<SearchArgs>(std::get<Command>(parsed).args).criteria;
}

struct FakeContent final : MessageContent {
    std::vector<HeaderText> fields;
    std::string text;
    std::optional<Date> date;
    int reads = 0;

    const std::vector<HeaderText>& header() override { return ++reads, fields; }
    std::vector<std::string> field_values(std::string_view lower_name) override {
        ++reads;
        std::vector<std::string> values;
        for (const auto& f : fields)
            if (ascii_lower(f.name) == lower_name) values.push_back(f.value);
        return values;
    }
    const std::string& body() override { return ++reads, text; }
    std::optional<Date> sent_on() override { return ++reads, date; }
};

// 2024-03-15 10:00:00 UTC
constexpr int64_t kMarch15 = 1710496800;

struct Fixture {
    store::MessageSummary summary{7, 2048, kMarch15, 42, {"\\Seen", "\\Flagged", "$Urgent"}, kMarch15 - 86400, "Mfixture_1", ""};
    FakeContent content;
    std::vector<uint32_t> saved = {3, 7};
    SearchScope scope{5, 9, saved, kMarch15 + 3600};
    uint32_t number = 4;

    Fixture() {
        content.fields = {{"From", "Dr Émile Léger <emile.leger@chu-x.mssante.fr>"},
                          {"To", "secretariat@cabinet.mssante.fr"},
                          {"Cc", "labo@labo-y.mssante.fr"},
                          {"Bcc", "archive@cabinet.mssante.fr"},
                          {"Subject", "RÉSULTAT d'échographie"},
                          {"X-Empty", ""}};
        content.text = "Compte rendu : ŒDÈME léger.\r\n";
        content.date = Date{2024, 3, 14};
    }
    bool match(const std::string& text) { return matches(criteria(text), SearchMessage{number, summary, false}, content, scope); }
};

std::vector<Match> three() { return {{1, 10, 5}, {3, 12, 9}, {4, 13, 7}}; }

}  // namespace

TEST_CASE("case folding: ASCII, French accented capitals, ligatures, Greek, Cyrillic, invalid bytes kept") {
    CHECK(fold_case("RÉSULTAT") == fold_case("résultat"));
    CHECK(fold_case("ÀÂÄÇÈÉÊËÎÏÔÖÙÛÜŸ") == "àâäçèéêëîïôöùûüÿ");
    CHECK(fold_case("ŒDÈME") == "œdème");
    CHECK(fold_case("ĀĂĄĆČĎĘĚĞŁŃŇŐŘŚŠŤŮŰŹŻŽ") == "āăąćčďęěğłńňőřśšťůűźżž");
    CHECK(fold_case("ΣΊΣΥΦΟΣ") == "σίσυφοσ");
    CHECK(fold_case("ПРИВЕТ Ёж") == "привет ёж");
    CHECK(fold_case("Straße ẞ") == "straße ß");
    CHECK(fold_case("a\xff" "B\xc3") == "a\xff" "b\xc3");
    CHECK(fold_case("×÷") == "×÷");
}

TEST_CASE("flag keys, keywords and the absent \\Recent") {
    Fixture f;
    CHECK(f.match("ALL"));
    CHECK(f.match("SEEN"));
    CHECK(f.match("FLAGGED"));
    CHECK_FALSE(f.match("ANSWERED"));
    CHECK_FALSE(f.match("DELETED"));
    CHECK_FALSE(f.match("DRAFT"));
    CHECK(f.match("UNANSWERED"));
    CHECK(f.match("UNDELETED"));
    CHECK(f.match("UNDRAFT"));
    CHECK_FALSE(f.match("UNFLAGGED"));
    CHECK_FALSE(f.match("UNSEEN"));
    CHECK(f.match("KEYWORD $urgent"));
    CHECK_FALSE(f.match("KEYWORD $Later"));
    CHECK(f.match("UNKEYWORD $Later"));
    CHECK_FALSE(f.match("UNKEYWORD $Urgent"));
    CHECK_FALSE(f.match("NEW"));
    CHECK_FALSE(f.match("RECENT"));
    CHECK(f.match("OLD"));
    f.summary.flags = {"\\Answered", "\\Deleted", "\\Draft"};
    CHECK(f.match("ANSWERED DELETED DRAFT UNSEEN UNFLAGGED"));
    CHECK(f.content.reads == 0);
}

TEST_CASE("address and subject keys: decoded text, case-insensitive substrings, accents folded") {
    Fixture f;
    CHECK(f.match("FROM \"émile\""));
    CHECK(f.match("FROM \"LÉGER\""));
    CHECK(f.match("FROM chu-x.mssante"));
    CHECK_FALSE(f.match("FROM secretariat"));
    CHECK(f.match("TO SECRETARIAT@"));
    CHECK(f.match("CC labo-y"));
    CHECK(f.match("BCC archive"));
    CHECK_FALSE(f.match("BCC labo"));
    CHECK(f.match("SUBJECT \"résultat d'ÉCHOGRAPHIE\""));
    CHECK_FALSE(f.match("SUBJECT radio"));
    CHECK(f.match("CHARSET UTF-8 SUBJECT {9+}\r\nrésultat"));
}

TEST_CASE("HEADER: named field, empty string for presence, absent field") {
    Fixture f;
    CHECK(f.match("HEADER subject \"ÉCHO\""));
    CHECK(f.match("HEADER X-EMPTY \"\""));
    CHECK(f.match("HEADER From \"\""));
    CHECK_FALSE(f.match("HEADER X-Absent \"\""));
    CHECK_FALSE(f.match("HEADER Subject emile"));
}

TEST_CASE("BODY and TEXT: decoded text; TEXT covers the header too") {
    Fixture f;
    CHECK(f.match("BODY \"œdème LÉGER\""));
    CHECK(f.match("BODY \"\""));
    CHECK_FALSE(f.match("BODY \"émile\""));
    CHECK(f.match("TEXT \"émile\""));
    CHECK(f.match("TEXT \"subject: résultat\""));
    CHECK(f.match("TEXT \"œdème\""));
    CHECK_FALSE(f.match("TEXT scanner"));
}

TEST_CASE("internal date keys compare UTC calendar days") {
    Fixture f;
    CHECK(f.match("ON 15-Mar-2024"));
    CHECK(f.match("SINCE 15-Mar-2024"));
    CHECK(f.match("SINCE 1-Jan-2024"));
    CHECK_FALSE(f.match("SINCE 16-Mar-2024"));
    CHECK(f.match("BEFORE 16-Mar-2024"));
    CHECK_FALSE(f.match("BEFORE 15-Mar-2024"));
    f.summary.internal_date = kMarch15 - 10 * 3600 - 1;  // 2024-03-14 23:59:59 UTC
    CHECK(f.match("ON 14-Mar-2024"));
    CHECK(f.match("BEFORE 15-Mar-2024"));
}

TEST_CASE("sent date keys use the Date: field's own date; none when it is missing") {
    Fixture f;
    CHECK(f.match("SENTON 14-Mar-2024"));
    CHECK(f.match("SENTBEFORE 15-Mar-2024"));
    CHECK_FALSE(f.match("SENTBEFORE 14-Mar-2024"));
    CHECK(f.match("SENTSINCE 14-Mar-2024"));
    CHECK_FALSE(f.match("SENTSINCE 15-Mar-2024"));
    f.content.date.reset();
    CHECK_FALSE(f.match("SENTON 14-Mar-2024"));
    CHECK_FALSE(f.match("SENTSINCE 1-Jan-1970"));
    CHECK(f.match("NOT SENTBEFORE 1-Jan-2100"));
}

TEST_CASE("sizes, OLDER/YOUNGER, MODSEQ") {
    Fixture f;
    CHECK(f.match("LARGER 2047"));
    CHECK_FALSE(f.match("LARGER 2048"));
    CHECK(f.match("SMALLER 2049"));
    CHECK_FALSE(f.match("SMALLER 2048"));
    CHECK(f.match("OLDER 3600"));
    CHECK_FALSE(f.match("OLDER 3601"));
    CHECK(f.match("YOUNGER 3600"));
    CHECK_FALSE(f.match("YOUNGER 3599"));
    CHECK(f.match("MODSEQ 42"));
    CHECK_FALSE(f.match("MODSEQ 43"));
    CHECK(f.match("MODSEQ \"/flags/\\\\Seen\" all 40"));
}

TEST_CASE("message numbers, UIDs, \"*\" and the saved result \"$\"") {
    Fixture f;  // message 4 of 5, UID 7, highest UID 9, saved UIDs 3 and 7
    CHECK(f.match("4"));
    CHECK(f.match("1:4"));
    CHECK(f.match("2,4:*"));
    CHECK_FALSE(f.match("5:*"));
    CHECK_FALSE(f.match("1:3,5"));
    CHECK(f.match("UID 7"));
    CHECK(f.match("UID 5:8"));
    CHECK_FALSE(f.match("UID 8:*"));
    CHECK_FALSE(f.match("UID 10:*"));  // "10:*" is "9:10" here (RFC 3501 6.4.8)
    CHECK(f.match("$"));
    CHECK(f.match("UID $"));
    f.saved = {3};
    f.scope.saved_uids = f.saved;
    CHECK_FALSE(f.match("$"));
    CHECK(numbers_in_range(criteria("1:5 OR 2 *"), 5));
    CHECK_FALSE(numbers_in_range(criteria("NOT 6"), 5));
    CHECK(numbers_in_range(criteria("UID 600"), 5));
    CHECK(numbers_in_range(criteria("$"), 5));
}

TEST_CASE("OR, NOT and parenthesised lists") {
    Fixture f;
    CHECK(f.match("OR ANSWERED SEEN"));
    CHECK_FALSE(f.match("OR ANSWERED DELETED"));
    CHECK(f.match("NOT DELETED"));
    CHECK_FALSE(f.match("NOT SEEN"));
    CHECK(f.match("(SEEN FLAGGED) (OR DRAFT LARGER 10)"));
    CHECK_FALSE(f.match("(SEEN DRAFT)"));
    CHECK(f.match("NOT (SEEN DRAFT)"));
    CHECK(f.match("OR (DRAFT) (NOT (NOT (FROM \"émile\")))"));
}

TEST_CASE("content is read only when a key needs it, after the cheaper keys") {
    Fixture f;
    CHECK_FALSE(f.match("BODY \"œdème\" UNSEEN"));
    CHECK(f.content.reads == 0);
    CHECK_FALSE(f.match("OR DRAFT FROM personne"));
    CHECK(f.content.reads > 0);
    CHECK(needs_content(criteria("OR SEEN (NOT HEADER x y)")));
    CHECK_FALSE(needs_content(criteria("OR SEEN (NOT LARGER 5)")));
    CHECK(mentions_modseq(criteria("NOT (MODSEQ 5)")));
    CHECK_FALSE(mentions_modseq(criteria("SEEN")));
    CHECK(needs_body(criteria("OR SEEN (NOT BODY x)")));
    CHECK(needs_body(criteria("TEXT x")));
    CHECK_FALSE(needs_body(criteria("SUBJECT x FROM y HEADER z w SENTON 1-Jan-2024")));
}

TEST_CASE("the message list's own verdict: settled by flags and numbers, open when content decides") {
    Fixture f;
    auto verdict = [&f](const std::string& text) {
        return verdict_without_content(criteria(text), SearchMessage{f.number, f.summary, false}, f.scope);
    };
    CHECK(verdict("SEEN") == true);
    CHECK(verdict("UNSEEN SUBJECT x") == false);
    CHECK(verdict("OR SEEN SUBJECT x") == true);
    CHECK_FALSE(verdict("SUBJECT x").has_value());
    CHECK_FALSE(verdict("SEEN SUBJECT x").has_value());
    CHECK_FALSE(verdict("OR UNSEEN SUBJECT x").has_value());
    CHECK(verdict("NOT (OR SEEN BODY x)") == false);
    CHECK_FALSE(verdict("NOT BODY x").has_value());
    CHECK(verdict("NOT LARGER 5000") == true);
    CHECK(f.content.reads == 0);
    // Wherever the list settles it, the full evaluation agrees.
    for (const char* text : {"SEEN", "UNSEEN SUBJECT x", "OR SEEN SUBJECT x", "NOT (OR SEEN BODY x)", "UID 7 4",
                             "NOT (UID 1:3 OR DRAFT TEXT y)"}) {
        auto settled = verdict(text);
        REQUIRE(settled.has_value());
        CHECK(*settled == f.match(text));
    }
}

TEST_CASE("header keys decode only the fields they name") {
    Fixture f;
    CHECK(f.match("SUBJECT \"résultat\""));
    CHECK(f.content.reads == 1);
    CHECK(f.match("OR SUBJECT radio SUBJECT \"écho\""));
    CHECK(f.content.reads == 2);  // folded once per message evaluation, read again by the next
}

TEST_CASE("SEARCH answers: numbers or UIDs, MODSEQ of the matches") {
    auto m = three();
    CHECK(search_response({"a", false, false, 0, false, {}}, m) == "SEARCH 1 3 4");
    CHECK(search_response({"a", true, false, 0, false, {}}, m) == "SEARCH 10 12 13");
    CHECK(search_response({"a", false, false, 0, true, {}}, m) == "SEARCH 1 3 4 (MODSEQ 9)");
    CHECK(search_response({"a", false, false, 0, true, {}}, {}) == "SEARCH");
}

TEST_CASE("ESEARCH answers (RFC 4731) and what SAVE keeps (RFC 5182)") {
    auto m = three();
    unsigned all4 = ReturnMin | ReturnMax | ReturnCount | ReturnAll;
    CHECK(search_response({"a1", false, true, all4, false, {}}, m) == "ESEARCH (TAG \"a1\") MIN 1 MAX 4 COUNT 3 ALL 1,3:4");
    CHECK(search_response({"a1", true, true, all4, false, {}}, m) ==
          "ESEARCH (TAG \"a1\") UID MIN 10 MAX 13 COUNT 3 ALL 10,12:13");
    CHECK(search_response({"t", false, true, all4, false, {}}, {}) == "ESEARCH (TAG \"t\") COUNT 0");
    CHECK(search_response({"t", false, true, ReturnAll, false, {}}, {}) == "ESEARCH (TAG \"t\")");
    CHECK(search_response({"t", false, true, ReturnMin, true, {}}, m) == "ESEARCH (TAG \"t\") MIN 1 MODSEQ 5");
    CHECK(search_response({"t", false, true, ReturnMax, true, {}}, m) == "ESEARCH (TAG \"t\") MAX 4 MODSEQ 7");
    CHECK(search_response({"t", false, true, ReturnCount, true, {}}, m) == "ESEARCH (TAG \"t\") COUNT 3 MODSEQ 9");
    CHECK_FALSE(search_response({"t", false, true, ReturnSave, false, {}}, m));
    CHECK(search_response({"t", false, true, ReturnSave | ReturnCount, false, {}}, m) == "ESEARCH (TAG \"t\") COUNT 3");
    CHECK(saved_result(ReturnSave, m) == std::vector<uint32_t>{10, 12, 13});
    CHECK(saved_result(ReturnSave | ReturnMin, m) == std::vector<uint32_t>{10});
    CHECK(saved_result(ReturnSave | ReturnMin | ReturnMax, m) == std::vector<uint32_t>{10, 13});
    CHECK(saved_result(ReturnSave | ReturnMax | ReturnCount, m) == std::vector<uint32_t>{10, 12, 13});
    CHECK(saved_result(ReturnSave | ReturnMin | ReturnMax, std::vector<Match>{{2, 5, 1}}) == std::vector<uint32_t>{5});
    CHECK(saved_result(ReturnSave, {}).empty());
    std::vector<uint32_t> numbers = {1, 3, 4, 5, 9, 11, 12};
    CHECK(compact_set(numbers) == "1,3:5,9,11:12");
    CHECK(compact_set({}) == "");
}

TEST_CASE("base subject (RFC 5256 2.1)") {
    auto base = [](std::string_view s) { return base_subject(s).text; };
    CHECK(base("Résultat") == "Résultat");
    CHECK(base("Re: Résultat") == "Résultat");
    CHECK(base("RE: re:Résultat") == "Résultat");
    CHECK(base("Fwd: Fw: résultat") == "résultat");
    CHECK(base("Re [cabinet]: Re: test") == "test");
    CHECK(base("[cabinet] Re: test") == "test");
    CHECK(base("[cabinet] test") == "test");
    CHECK(base("[cabinet]") == "[cabinet]");
    CHECK(base("[a] [b]") == "[b]");
    CHECK(base("test (fwd)") == "test");
    CHECK(base("test (FWD) (fwd)  ") == "test");
    CHECK(base("[Fwd: Re: test]") == "test");
    CHECK(base("[fwd: [fwd: test] (fwd)]") == "test");
    CHECK(base("Re: [fwd: test]") == "test");
    CHECK(base("  a\t\tb   c ") == "a b c");
    CHECK(base("Rép: test") == "Rép: test");
    CHECK(base("Ref: test") == "Ref: test");
    CHECK(base("Re:") == "");
    CHECK(base("") == "");
    CHECK_FALSE(base_subject("test").reply_or_forward);
    CHECK(base_subject("Re: test").reply_or_forward);
    CHECK(base_subject("test (fwd)").reply_or_forward);
    CHECK(base_subject("[fwd: test]").reply_or_forward);
    CHECK_FALSE(base_subject("[liste] test").reply_or_forward);
    std::string blobs;
    for (int i = 0; i < 20000; ++i) blobs += "[a]";
    CHECK(base(blobs + " x") == "x");
    CHECK(base(blobs) == "[a]");
}

TEST_CASE("msg-id lists: comments and quoted strings skipped, the last ones kept") {
    CHECK(message_ids("<a@b> (commentaire <x@y>) \"<q@r>\" <c@d>") == std::vector<std::string>{"a@b", "c@d"});
    CHECK(message_ids("<a @b>\r\n <c@d>") == std::vector<std::string>{"a@b", "c@d"});
    CHECK(message_ids("<a@b").empty());
    CHECK(message_ids("<1@x> <2@x> <3@x>", 2) == std::vector<std::string>{"2@x", "3@x"});
}

namespace {
SortFacts fact(uint32_t n, std::string subject, int64_t sent = 0) {
    SortFacts f;
    f.number = n;
    f.uid = n * 10;
    f.sent = sent ? sent : n * 100;
    f.arrival = 1000 - n;
    f.size = 10 * n;
    f.subject = std::move(subject);
    return f;
}
std::vector<uint32_t> numbers(const std::vector<SortFacts>& facts, const std::vector<SortCriterion>& c) {
    std::vector<uint32_t> out;
    for (std::size_t i : sort_order(facts, c)) out.push_back(facts[i].number);
    return out;
}
std::string threads(const std::vector<SortFacts>& facts, bool references = true) {
    return format_threads(references ? thread_by_references(facts) : thread_by_subject(facts), facts, false);
}
SortFacts reply(uint32_t n, std::string subject, std::string id, std::vector<std::string> refs, int64_t sent = 0) {
    SortFacts f = fact(n, std::move(subject), sent);
    f.message_id = std::move(id);
    f.references = std::move(refs);
    return f;
}
}  // namespace

TEST_CASE("SORT: each key, REVERSE, several criteria, ties by message number") {
    std::vector<SortFacts> f = {fact(1, "Re: beta", 300), fact(2, "alpha", 100), fact(3, "Beta", 300),
                                fact(4, "ÉTUDE", 200), fact(5, "étude")};
    f[0].from = "Zoe", f[1].from = "adam", f[2].from = "", f[3].from = "Émile", f[4].from = "ADAM";
    f[0].display_from = "Dr Zoé", f[1].display_from = "Adam Martin", f[2].display_from = "b@x.fr";
    f[0].to = "b", f[1].to = "a", f[2].to = "c", f[3].to = "a";
    f[0].cc = "y", f[4].cc = "x";
    f[0].display_to = "b", f[1].display_to = "c", f[2].display_to = "a";
    CHECK(numbers(f, {{false, SortKey::Arrival}}) == std::vector<uint32_t>{5, 4, 3, 2, 1});
    CHECK(numbers(f, {{false, SortKey::Size}}) == std::vector<uint32_t>{1, 2, 3, 4, 5});
    CHECK(numbers(f, {{true, SortKey::Size}}) == std::vector<uint32_t>{5, 4, 3, 2, 1});
    CHECK(numbers(f, {{false, SortKey::Date}}) == std::vector<uint32_t>{2, 4, 1, 3, 5});
    CHECK(numbers(f, {{true, SortKey::Date}}) == std::vector<uint32_t>{5, 1, 3, 4, 2});
    CHECK(numbers(f, {{false, SortKey::Subject}}) == std::vector<uint32_t>{2, 1, 3, 4, 5});
    CHECK(numbers(f, {{false, SortKey::Subject}, {true, SortKey::Date}}) == std::vector<uint32_t>{2, 1, 3, 5, 4});
    CHECK(numbers(f, {{false, SortKey::From}}) == std::vector<uint32_t>{3, 2, 5, 4, 1});  // Émile beside E, before Zoe
    CHECK(numbers(f, {{false, SortKey::To}}) == std::vector<uint32_t>{5, 2, 4, 1, 3});
    CHECK(numbers(f, {{false, SortKey::Cc}}) == std::vector<uint32_t>{2, 3, 4, 5, 1});
    CHECK(numbers(f, {{false, SortKey::DisplayFrom}}) == std::vector<uint32_t>{4, 5, 2, 3, 1});
    CHECK(numbers(f, {{false, SortKey::DisplayTo}}) == std::vector<uint32_t>{4, 5, 3, 1, 2});
    CHECK(numbers({}, {{false, SortKey::Subject}}).empty());
}

TEST_CASE("SORT collates with i;unicode-casemap (RFC 5051): titlecase, so [ and _ sort after letters") {
    std::vector<SortFacts> f = {fact(1, "s"), fact(2, "s"), fact(3, "s"), fact(4, "s"), fact(5, "s")};
    f[0].from = "[labo]", f[1].from = "_robot", f[2].from = "zèbre", f[3].from = "Zebre", f[4].from = "apple";
    CHECK(numbers(f, {{false, SortKey::From}}) == std::vector<uint32_t>{5, 4, 3, 1, 2});
    CHECK(unicode_casemap_key("école") == unicode_casemap_key("E\xCC\x81" "COLE"));
    CHECK(unicode_casemap_key("stra\xC3\x9F") != unicode_casemap_key("STRASS"));  // titlecase keeps ß (RFC 5051 example)
    CHECK(unicode_casemap_key("\xFF\xFE") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // invalid UTF-8 replaced
}

TEST_CASE("THREAD ORDEREDSUBJECT: by base subject, threads by their first message's date") {
    std::vector<SortFacts> f = {fact(1, "b", 10), fact(2, "a", 20), fact(3, "Re: b", 30),
                                fact(4, "RE: A", 40), fact(5, "c", 5),  fact(6, "Fwd: a", 35)};
    CHECK(threads(f, false) == "(5)(1 3)(2 (6)(4))");
    CHECK(format_threads(thread_by_subject(f), f, true) == "(50)(10 30)(20 (60)(40))");
    CHECK(threads({}, false).empty());
}

TEST_CASE("THREAD REFERENCES: chains, siblings, In-Reply-To facts, ordering by date") {
    CHECK(threads({reply(1, "x", "a", {}), reply(2, "Re: x", "b", {"a"}), reply(3, "Re: x", "c", {"a", "b"})}) ==
          "(1 2 3)");
    CHECK(threads({reply(1, "x", "a", {}), reply(2, "Re: x", "b", {"a"}), reply(3, "Re: x", "c", {"a"})}) ==
          "(1 (2)(3))");
    CHECK(threads({reply(1, "x", "a", {}, 500), reply(2, "y", "b", {}, 100), reply(3, "Re: x", "c", {"a"}, 50)}) ==
          "(2)(1 3)");
    // References arriving before the message they name.
    CHECK(threads({reply(1, "Re: x", "b", {"a"}), reply(2, "x", "a", {})}) == "(2 1)");
}

TEST_CASE("THREAD REFERENCES: dummies for missing messages (RFC 5256 step 4)") {
    // Two replies to a missing message: a dummy root keeps them together.
    CHECK(threads({reply(1, "Re: x", "b", {"a"}), reply(2, "Re: x", "c", {"a"})}) == "((1)(2))");
    // One reply to a missing message is promoted to the root.
    CHECK(threads({reply(1, "Re: x", "b", {"a"})}) == "(1)");
    // A missing message in the middle of a chain disappears.
    CHECK(threads({reply(1, "x", "a", {}), reply(2, "Re: x", "c", {"a", "b"})}) == "(1 2)");
    // A later message with the subject joins the dummy's thread (step 6 C ii).
    CHECK(threads({reply(1, "Re: x", "b", {"a"}), reply(2, "Re: x", "c", {"a"}), reply(3, "x", "d", {})}) ==
          "((1)(2)(3))");
}

TEST_CASE("THREAD REFERENCES: threads merged by subject (RFC 5256 step 6)") {
    // A reply without references goes under the original.
    CHECK(threads({reply(1, "Réunion", "a", {}), reply(2, "RE: RÉUNION", "b", {})}) == "(1 2)");
    CHECK(threads({reply(1, "RE: Réunion", "a", {}), reply(2, "Réunion", "b", {})}) == "(2 1)");
    // Two originals with one subject: a dummy holds both.
    CHECK(threads({reply(1, "x", "a", {}), reply(2, "x", "b", {})}) == "((1)(2))");
    CHECK(threads({reply(1, "x", "a", {}), reply(2, "x", "b", {}), reply(3, "x", "c", {})}) == "((1)(2)(3))");
    // Empty subjects are never merged.
    CHECK(threads({reply(1, "", "a", {}), reply(2, "Re:", "b", {})}) == "(1)(2)");
}

TEST_CASE("THREAD REFERENCES: loops, duplicate and missing Message-IDs") {
    CHECK(threads({reply(1, "p", "a", {"b"}), reply(2, "q", "b", {"a"})}) == "(2 1)");
    CHECK(threads({reply(1, "p", "a", {"a"})}) == "(1)");
    CHECK(threads({reply(1, "p", "a", {}), reply(2, "q", "a", {}), reply(3, "r", "c", {"a"})}) == "(1 3)(2)");
    CHECK(threads({reply(1, "p", "", {}), reply(2, "q", "", {})}) == "(1)(2)");
}

TEST_CASE("THREAD REFERENCES: a long reply chain is built and written without deep recursion") {
    std::vector<SortFacts> f;
    std::string expected = "(";
    for (uint32_t n = 1; n <= 5000; ++n) {
        f.push_back(reply(n, "Re: long", "m" + std::to_string(n), n > 1 ? std::vector<std::string>{"m" + std::to_string(n - 1)}
                                                                          : std::vector<std::string>{}));
        expected += (n > 1 ? " " : "") + std::to_string(n);
    }
    CHECK(threads(f) == expected + ")");
}

TEST_CASE("SAVEDATE keys (RFC 8514): the save date, else the internal date; OBJECTID keys (RFC 8474)") {
    Fixture f;  // saved 14 March, arrived 15 March
    CHECK(f.match("SAVEDON 14-Mar-2024"));
    CHECK(f.match("SAVEDBEFORE 15-Mar-2024"));
    CHECK_FALSE(f.match("SAVEDSINCE 15-Mar-2024"));
    CHECK(f.match("ON 15-Mar-2024"));
    CHECK(f.match("SAVEDATESUPPORTED"));
    f.summary.save_date.reset();
    CHECK(f.match("SAVEDON 15-Mar-2024"));
    CHECK_FALSE(f.match("SAVEDBEFORE 15-Mar-2024"));
    CHECK(f.match("EMAILID Mfixture_1"));
    CHECK_FALSE(f.match("EMAILID Mfixture_2"));
    CHECK_FALSE(f.match("EMAILID mfixture_1"));  // ids are compared exactly
    CHECK_FALSE(f.match("THREADID Mfixture_1"));
    CHECK_FALSE(f.match("THREADID T1"));  // no thread id kept for it: matches no id
    f.summary.thread_id = "Tfixture_9";
    CHECK(f.match("THREADID Tfixture_9"));
    CHECK_FALSE(f.match("THREADID Tfixture_8"));
    CHECK_FALSE(f.content.reads);  // none of them reads the message
}

TEST_CASE("ESORT answers keep the sort order; PARTIAL names positions (RFC 5267)") {
    std::vector<Match> order = {{4, 13, 2}, {1, 10, 5}, {2, 11, 1}, {3, 12, 9}};  // sorted: 4 1 2 3
    unsigned all4 = ReturnMin | ReturnMax | ReturnCount | ReturnAll;
    CHECK(search_response({"s", false, true, all4, false, {}}, order) == "ESEARCH (TAG \"s\") MIN 4 MAX 3 COUNT 4 ALL 4,1:3");
    CHECK(search_response({"s", true, true, ReturnPartial, false, {2, 3}}, order) ==
          "ESEARCH (TAG \"s\") UID PARTIAL (2:3 10:11)");
    CHECK(search_response({"s", false, true, ReturnPartial | ReturnCount, true, {3, 100}}, order) ==
          "ESEARCH (TAG \"s\") COUNT 4 PARTIAL (3:100 2:3) MODSEQ 9");
    CHECK(search_response({"s", false, true, ReturnPartial, true, {2, 3}}, order) ==
          "ESEARCH (TAG \"s\") PARTIAL (2:3 1:2) MODSEQ 5");
    CHECK(search_response({"s", false, true, ReturnPartial, false, {5, 9}}, order) == "ESEARCH (TAG \"s\") PARTIAL (5:9 NIL)");
    CHECK(search_response({"s", false, true, ReturnPartial, false, {1, 2}}, {}) == "ESEARCH (TAG \"s\") PARTIAL (1:2 NIL)");
    // UPDATE alone says nothing of the result now; CONTEXT alone is not an answer either
    CHECK(search_response({"s", false, true, ReturnUpdate, false, {}}, order) == "ESEARCH (TAG \"s\")");
    CHECK_FALSE(search_response({"s", false, true, ReturnSave | ReturnContext, false, {}}, order));
}

TEST_CASE("THREAD=REFS: no gathering by subject, threads by their latest message") {
    std::vector<SortFacts> facts(4);
    for (uint32_t i = 0; i < 4; ++i) {
        facts[i].number = i + 1;
        facts[i].uid = 10 + i;
    }
    facts[0].subject = "A", facts[0].message_id = "a", facts[0].sent = 800;
    facts[1].subject = "B", facts[1].message_id = "b", facts[1].sent = 900;
    facts[2].subject = "Re: A", facts[2].message_id = "a2", facts[2].references = {"a"}, facts[2].sent = 1000;
    facts[3].subject = "B", facts[3].message_id = "c", facts[3].sent = 1100;
    CHECK(format_threads(thread_by_references(facts), facts, false) == "(1 3)((2)(4))");
    CHECK(format_threads(thread_by_refs(facts), facts, false) == "(2)(1 3)(4)");
    facts[1].sent = 1050;  // thread (2) now moved after (1 3)
    CHECK(format_threads(thread_by_refs(facts), facts, true) == "(10 12)(11)(13)");
    // a missing parent: the replies under a dummy, ordered by date; the thread by its latest reply
    facts[0].references = {"gone"}, facts[3].references = {"gone"};
    CHECK(format_threads(thread_by_refs(facts), facts, false) == "(2)((1 3)(4))");
}
