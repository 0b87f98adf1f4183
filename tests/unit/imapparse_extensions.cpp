// The grammar of the extensions of issue 13, part 1, each with what it accepts and the exact
// refusals: SAVEDATE (RFC 8514), OBJECTID (RFC 8474), PREVIEW (RFC 8970), ...
#include <doctest/doctest.h>

#include "imap/parse/command.h"
#include "imap_parse_fixture.h"

using namespace mss::imap;

namespace {

using imap_parse_fixture::accepted;
using imap_parse_fixture::refused;

SearchKey criteria(std::string_view text) { return std::get<SearchArgs>(accepted(text).args).criteria; }

std::vector<FetchAttribute> items(std::string_view text) { return std::get<FetchArgs>(accepted(text).args).attributes; }

}  // namespace

TEST_CASE("SAVEDATE: the FETCH item and its response name") {
    auto a = items("a UID FETCH 1:* (savedate FLAGS)");
    REQUIRE(a.size() == 2);
    CHECK(a[0].item == FetchItem::SaveDate);
    CHECK(response_name(a[0]) == "SAVEDATE");
    CHECK(items("a FETCH 1 SAVEDATE")[0].item == FetchItem::SaveDate);
    CHECK(refused("a FETCH 1 SAVEDATE[]").starts_with("a BAD"));
}

TEST_CASE("SAVEDATE: SAVEDBEFORE, SAVEDON, SAVEDSINCE take a date; SAVEDATESUPPORTED nothing") {
    SearchKey c = criteria("a SEARCH SAVEDBEFORE 1-Feb-2025 SAVEDON \"2-Mar-2025\" savedsince 3-Apr-2025 SAVEDATESUPPORTED");
    REQUIRE(c.children.size() == 4);
    CHECK(c.children[0].kind == SearchKeyKind::SavedBefore);
    CHECK(c.children[0].date == Date{2025, 2, 1});
    CHECK(c.children[1].kind == SearchKeyKind::SavedOn);
    CHECK(c.children[1].date == Date{2025, 3, 2});
    CHECK(c.children[2].kind == SearchKeyKind::SavedSince);
    CHECK(c.children[3].kind == SearchKeyKind::SaveDateSupported);
    CHECK(refused("a SEARCH SAVEDBEFORE").starts_with("a BAD"));
    CHECK(refused("a SEARCH SAVEDON 31-Feb-2025").starts_with("a BAD"));
}

TEST_CASE("OBJECTID: EMAILID and THREADID items and search keys, MAILBOXID status item") {
    auto a = items("a FETCH 1:* (EMAILID threadid)");
    REQUIRE(a.size() == 2);
    CHECK(a[0].item == FetchItem::EmailId);
    CHECK(response_name(a[0]) == "EMAILID");
    CHECK(a[1].item == FetchItem::ThreadId);
    SearchKey c = criteria("a SEARCH EMAILID M6d99ac3275bb4e THREADID T_64-b");
    CHECK(c.children[0].kind == SearchKeyKind::EmailId);
    CHECK(c.children[0].text == "M6d99ac3275bb4e");
    CHECK(c.children[1].kind == SearchKeyKind::ThreadId);
    CHECK(c.children[1].text == "T_64-b");
    CHECK(criteria("a SEARCH EMAILID " + std::string(255, 'x')).children[0].text.size() == 255);
    auto status = std::get<StatusArgs>(accepted("a STATUS INBOX (MAILBOXID MESSAGES)").args);
    CHECK(status.items == std::vector<StatusItem>{StatusItem::MailboxId, StatusItem::Messages});
}

TEST_CASE("OBJECTID: an objectid is 1 to 255 of A-Z a-z 0-9 _ -") {
    CHECK(refused("a SEARCH EMAILID " + std::string(256, 'x')).starts_with("a BAD"));
    CHECK(refused("a SEARCH EMAILID").starts_with("a BAD"));
    CHECK(refused("a SEARCH EMAILID \"M1\"").starts_with("a BAD"));
    CHECK(refused("a SEARCH EMAILID M1.2").starts_with("a BAD"));
    CHECK(refused("a SEARCH THREADID T+1").starts_with("a BAD"));
    CHECK(refused("a FETCH 1 EMAILID[]").starts_with("a BAD"));
}

TEST_CASE("PREVIEW: the item, with or without its LAZY modifier (RFC 8970)") {
    auto a = items("a FETCH 1:* (UID PREVIEW FLAGS)");
    REQUIRE(a.size() == 3);
    CHECK(a[1].item == FetchItem::Preview);
    CHECK(response_name(a[1]) == "PREVIEW");
    a = items("a FETCH 1 (PREVIEW (lazy) UID)");
    REQUIRE(a.size() == 2);
    CHECK(a[0].item == FetchItem::Preview);
    CHECK(items("a FETCH 1 PREVIEW (LAZY)").size() == 1);
    CHECK(items("a FETCH 1 PREVIEW (LAZY LAZY)").size() == 1);
    auto changed = std::get<FetchArgs>(accepted("a FETCH 1 PREVIEW (CHANGEDSINCE 5)").args);
    CHECK(changed.changed_since == 5u);
    CHECK(refused("a FETCH 1 (PREVIEW (FUZZY))").starts_with("a BAD"));
    CHECK(refused("a FETCH 1 (PREVIEW ())").starts_with("a BAD"));
    CHECK(refused("a FETCH 1 (PREVIEW (LAZY FUZZY))").starts_with("a BAD"));
    CHECK(refused("a FETCH 1 PREVIEW[]").starts_with("a BAD"));
}

TEST_CASE("REPLACE and UID REPLACE: a number, a mailbox and one message (RFC 8508)") {
    Command c = accepted("a REPLACE 4 Drafts (\\Seen \\Draft) \"05-May-2025 10:00:00 +0200\" {3+}\r\nabc");
    CHECK(c.verb == Verb::Replace);
    CHECK_FALSE(c.uid);
    auto& r = std::get<ReplaceArgs>(c.args);
    CHECK(r.message == 4);
    CHECK(r.replacement.mailbox == "Drafts");
    REQUIRE(r.replacement.messages.size() == 1);
    CHECK(r.replacement.messages[0].data == "abc");
    CHECK(r.replacement.messages[0].flags == std::vector<std::string>{"\\Seen", "\\Draft"});
    Command u = accepted("a UID REPLACE 2000 inbox {1}\r\nx");
    CHECK(u.uid);
    CHECK(std::get<ReplaceArgs>(u.args).replacement.mailbox == "INBOX");
    CHECK(refused("a REPLACE 0 Drafts {1}\r\nx").starts_with("a BAD"));
    CHECK(refused("a REPLACE 1 Drafts").starts_with("a BAD"));
    CHECK(refused("a REPLACE 1 Drafts {1}\r\nx {1}\r\ny").starts_with("a BAD"));
    CHECK(refused("a REPLACE * Drafts {1}\r\nx").starts_with("a BAD"));
}
