// The parser's value types on their own: sequence sets against a mailbox's maximum, modified UTF-7
// both ways, search trees, FETCH response names.
#include <doctest/doctest.h>

#include "imap/parse/command.h"
#include "imap/parse/mutf7.h"

using namespace mss::imap;

namespace {

SequenceSet seq(std::string_view text) {
    auto parsed = parse_sequence_set(text);
    REQUIRE(std::holds_alternative<SequenceSet>(parsed));
    return std::get<SequenceSet>(parsed);
}

std::vector<uint32_t> members(const SequenceSet& s, uint32_t max) {
    std::vector<uint32_t> out;
    s.for_each(max, [&](uint32_t n) { out.push_back(n); });
    return out;
}

SearchKey criteria(std::string_view text) {
    auto parsed = parse_command(text);
    REQUIRE(std::holds_alternative<Command>(parsed));
    return std::get<SearchArgs>(std::get<Command>(parsed).args).criteria;
}

}  // namespace

TEST_CASE("sequence sets: membership and iteration against a maximum") {
    SequenceSet s = seq("2:4,*,9:7");
    CHECK(members(s, 10) == std::vector<uint32_t>{2, 3, 4, 7, 8, 9, 10});
    CHECK(members(s, 3) == std::vector<uint32_t>{2, 3});
    CHECK(s.contains(10, 10));
    CHECK_FALSE(s.contains(10, 9));
    CHECK(s.contains(9, 9));
    CHECK_FALSE(s.contains(0, 10));
    CHECK(s.has_star());
    CHECK(s.count(10) == 7);
    CHECK(s.to_string() == "2:4,*,9:7");
    CHECK(members(seq("1:*"), 0).empty());
}

TEST_CASE("sequence sets: \"559:*\" includes the last UID even below 559 (RFC 3501 6.4.8)") {
    SequenceSet s = seq("559:*");
    CHECK(members(s, 500) == std::vector<uint32_t>{500});
    CHECK(s.contains(500, 500));
}

TEST_CASE("sequence sets: huge ranges cost one range") {
    SequenceSet s = seq("1:4294967295");
    REQUIRE(s.ranges.size() == 1);
    CHECK(s.count(4294967295u) == 4294967295ull);
    CHECK(s.contains(4294967295u, 4294967295u));
    auto r = seq("5:10,1:4294967295,7").resolve(4294967295u);
    REQUIRE(r.size() == 1);
    CHECK(r[0] == SequenceSet::Range{1, 4294967295u});
    CHECK(seq("1:3,4:6,8").resolve(100) == std::vector<SequenceSet::Range>{{1, 6}, {8, 8}});
}

TEST_CASE("sequence sets: \"$\"") {
    SequenceSet s = seq("$");
    CHECK(s.saved);
    CHECK(s.to_string() == "$");
    SequenceLimits no_saved;
    no_saved.allow_saved = false;
    CHECK(std::holds_alternative<Response>(parse_sequence_set("$", no_saved)));
}

TEST_CASE("modified UTF-7 round trips") {
    struct {
        const char* utf8;
        const char* mutf7;
    } cases[] = {
        {"INBOX", "INBOX"},
        {"Tom & Jerry", "Tom &- Jerry"},
        {"\xC3\x89l\xC3\xA9ments envoy\xC3\xA9s", "&AMk-l&AOk-ments envoy&AOk-s"},
        {"~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
        {"\xF0\x9F\x93\xA7 mail", "&2D3c5w- mail"},
        {"", ""},
    };
    for (auto& c : cases) {
        CHECK(mutf7_encode(c.utf8) == c.mutf7);
        auto d = mutf7_decode(c.mutf7);
        REQUIRE(d);
        CHECK(*d == c.utf8);
    }
    CHECK_FALSE(mutf7_decode("&U,BTFw-&ZeVnLIqe-"));  // two runs back to back: one spelling only
    CHECK_FALSE(mutf7_decode("&Jjo"));
    CHECK_FALSE(mutf7_decode("&-&"));
    CHECK_FALSE(mutf7_decode("\x7F"));
    CHECK(is_valid_utf8("\xE2\x82\xAC"));
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));        // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));    // surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

TEST_CASE("search criteria are a tree") {
    SearchKey c = criteria("a SEARCH OR (FROM \"dupont\" SINCE \"1-Mar-2024\") NOT KEYWORD $Urgent UID 1:5 LARGER 1024");
    REQUIRE(c.kind == SearchKeyKind::And);
    REQUIRE(c.children.size() == 3);
    const SearchKey& orkey = c.children[0];
    CHECK(orkey.kind == SearchKeyKind::Or);
    REQUIRE(orkey.children.size() == 2);
    CHECK(orkey.children[0].kind == SearchKeyKind::And);
    CHECK(orkey.children[0].children[0].text == "dupont");
    CHECK(orkey.children[0].children[1].date == Date{2024, 3, 1});
    CHECK(orkey.children[1].kind == SearchKeyKind::Not);
    CHECK(orkey.children[1].children[0].text == "$Urgent");
    CHECK(c.children[1].kind == SearchKeyKind::Uid);
    CHECK(c.children[2].number == 1024);

    SearchKey m = criteria("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338");
    CHECK(m.children[0].text == "/flags/\\draft");
    CHECK(m.children[0].entry_type == ModSeqEntryType::All);
    CHECK(m.children[0].number == 620162338u);

    SearchKey h = criteria("a SEARCH HEADER Message-ID \"<abc@x>\" YOUNGER 3600 $ 2,4:*");
    CHECK(h.children[0].text == "MESSAGE-ID");
    CHECK(h.children[0].value == "<abc@x>");
    CHECK(h.children[1].kind == SearchKeyKind::Younger);
    CHECK(h.children[2].set.saved);
    CHECK(h.children[3].kind == SearchKeyKind::Sequence);
}

TEST_CASE("SEARCH RETURN options (ESEARCH, SEARCHRES)") {
    auto parsed = parse_command("a UID SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 UNSEEN");
    auto& s = std::get<SearchArgs>(std::get<Command>(parsed).args);
    CHECK(s.esearch);
    CHECK(s.returns == (ReturnMin | ReturnCount | ReturnSave));
    CHECK(s.charset == "UTF-8");
    auto all = std::get<SearchArgs>(std::get<Command>(parse_command("a SEARCH RETURN () ALL")).args);
    CHECK(all.returns == ReturnAll);
    auto plain = std::get<SearchArgs>(std::get<Command>(parse_command("a SEARCH DELETED")).args);
    CHECK_FALSE(plain.esearch);
    CHECK_FALSE(plain.charset);
}

TEST_CASE("FETCH macros, items and response names") {
    auto items = [](std::string_view text) {
        auto parsed = parse_command(text);
        REQUIRE(std::holds_alternative<Command>(parsed));
        return std::get<FetchArgs>(std::get<Command>(parsed).args).attributes;
    };
    CHECK(items("a FETCH 1 ALL").size() == 4);
    CHECK(items("a FETCH 1 fast").size() == 3);
    auto full = items("a FETCH 1 FULL");
    REQUIRE(full.size() == 5);
    CHECK(full[4].item == FetchItem::Body);
    auto a = items("a FETCH 1 (body[header.fields.not (Received \"X(y)\")]<10.20> BINARY.PEEK[1.2]<0.100> "
                   "BINARY.SIZE[3] BINARY[] RFC822 RFC822.HEADER RFC822.TEXT BODY[1.2.TEXT] BODY[] ENVELOPE)");
    REQUIRE(a.size() == 10);
    CHECK(response_name(a[0]) == "BODY[HEADER.FIELDS.NOT (RECEIVED \"X(Y)\")]<10>");
    CHECK_FALSE(a[0].peek);
    CHECK(a[1].item == FetchItem::Binary);
    CHECK(a[1].peek);
    CHECK(response_name(a[1]) == "BINARY[1.2]<0>");
    CHECK(response_name(a[2]) == "BINARY.SIZE[3]");
    CHECK(response_name(a[3]) == "BINARY[]");
    CHECK(response_name(a[4]) == "RFC822");
    CHECK(response_name(a[7]) == "BODY[1.2.TEXT]");
    CHECK(response_name(a[8]) == "BODY[]");
    CHECK(response_name(a[9]) == "ENVELOPE");
}

TEST_CASE("ESORT, PARTIAL, CONTEXT and UPDATE return options; CANCELUPDATE (RFC 5267)") {
    auto search = [](std::string_view text) {
        auto parsed = parse_command(text);
        REQUIRE(std::holds_alternative<Command>(parsed));
        return std::get<SearchArgs>(std::get<Command>(parsed).args);
    };
    auto partial = search("a SEARCH RETURN (PARTIAL 5:1 COUNT) UNSEEN");
    CHECK(partial.returns == (ReturnPartial | ReturnCount));
    CHECK(partial.partial == PartialRange{1, 5});
    CHECK(search("a SEARCH RETURN (CONTEXT) ALL").returns == (ReturnContext | ReturnAll));
    CHECK(search("a SEARCH RETURN (UPDATE) ALL").returns == ReturnUpdate);  // no result now, as Dovecot
    CHECK(search("a SEARCH RETURN (context update MIN) ALL").returns == (ReturnContext | ReturnUpdate | ReturnMin));

    auto sort = std::get<SortArgs>(std::get<Command>(parse_command("a UID SORT RETURN (MIN PARTIAL 1:10) (SUBJECT) UTF-8 ALL")).args);
    CHECK(sort.esearch);
    CHECK(sort.returns == (ReturnMin | ReturnPartial));
    CHECK(sort.partial == PartialRange{1, 10});
    CHECK(sort.criteria.size() == 1);
    auto empty = std::get<SortArgs>(std::get<Command>(parse_command("a SORT RETURN () (DATE) UTF-8 ALL")).args);
    CHECK(empty.returns == ReturnAll);
    CHECK_FALSE(std::get<SortArgs>(std::get<Command>(parse_command("a SORT (DATE) UTF-8 ALL")).args).esearch);

    auto cancel = std::get<Command>(parse_command("a CANCELUPDATE \"t1\" {2}\r\nt2"));
    CHECK(cancel.verb == Verb::CancelUpdate);
    CHECK(std::get<CancelUpdateArgs>(cancel.args).tags == std::vector<std::string>{"t1", "t2"});
}

TEST_CASE("RFC 5267 refusals") {
    auto refused = [](std::string_view text) {
        auto parsed = parse_command(text);
        REQUIRE(std::holds_alternative<Response>(parsed));
        return format_response(std::get<Response>(parsed));
    };
    CHECK(refused("a SEARCH RETURN (ALL PARTIAL 1:2) ALL") == "a BAD PARTIAL conflicts with ALL\r\n");
    CHECK(refused("a SEARCH RETURN (PARTIAL 0:2) ALL") == "a BAD Expected a non-zero number\r\n");
    CHECK(refused("a SEARCH RETURN (PARTIAL 2) ALL") == "a BAD Expected \":\" in the PARTIAL range\r\n");
    CHECK(refused("a SEARCH RETURN (PARTIAL) ALL").starts_with("a BAD "));
    CHECK(refused("a SEARCH RETURN (UPDATE UPDATE) ALL") == "a BAD [CLIENTBUG] Return option given twice\r\n");
    CHECK(refused("a SORT RETURN (UPDATE) (DATE) UTF-8 ALL") ==
          "a BAD SORT takes no UPDATE (CONTEXT=SORT is not offered)\r\n");
    CHECK(refused("a SORT RETURN (FIRST) (DATE) UTF-8 ALL") == "a BAD Unknown SORT return option\r\n");
    CHECK(refused("a CANCELUPDATE").starts_with("a BAD "));
    CHECK(refused("a CANCELUPDATE t1") .starts_with("a BAD "));  // a tag-string is a string
    CHECK(refused("a UID CANCELUPDATE \"t1\"") == "a BAD Unknown UID command\r\n");
}
