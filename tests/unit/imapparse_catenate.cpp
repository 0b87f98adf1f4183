// CATENATE (RFC 4469) in APPEND, MULTIAPPEND and REPLACE, and the IMAP URLs (RFC 5092) its URL parts
// name: what each accepts, decoded, and the exact refusals.
#include <doctest/doctest.h>

#include <string>

#include "imap/parse/command.h"
#include "imap_parse_fixture.h"
#include "imap/parse/imap_url.h"

using namespace mss::imap;
using namespace std::literals;

namespace {

using imap_parse_fixture::accepted;
using imap_parse_fixture::refused;

ImapUrl url(std::string_view text) {
    auto parsed = parse_imap_url(text);
    if (!parsed) FAIL("refused URL: ", text);
    return *parsed;
}

using Kind = CatenatePart::Kind;

}  // namespace

TEST_CASE("CATENATE parts: TEXT literal and literal8, URL astring, UTF8, in order") {
    auto cmd = accepted("a APPEND Drafts (\\Seen) CATENATE (URL \"/INBOX;UIDVALIDITY=9/;UID=3/;SECTION=1\" "
                        "TEXT {4}\r\nab\r\n TEXT ~{2}\r\n\0x URL ;UID=2 UTF8 (~{1}\r\nz))"sv);
    const auto& m = std::get<AppendArgs>(cmd.args).messages.at(0);
    CHECK(m.data.empty());
    CHECK(m.flags == std::vector<std::string>{"\\Seen"});
    REQUIRE(m.catenate.size() == 5);
    CHECK(m.catenate[0] == CatenatePart{Kind::Url, "/INBOX;UIDVALIDITY=9/;UID=3/;SECTION=1", false, false});
    CHECK(m.catenate[1] == CatenatePart{Kind::Text, "ab\r\n", false, false});
    CHECK(m.catenate[2] == CatenatePart{Kind::Text, "\0x"s, true, false});
    CHECK(m.catenate[3] == CatenatePart{Kind::Url, ";UID=2", false, false});
    CHECK(m.catenate[4] == CatenatePart{Kind::Text, "z", true, true});
}

TEST_CASE("CATENATE in MULTIAPPEND and in REPLACE") {
    auto cmd = accepted("a APPEND x CATENATE (TEXT {1}\r\na) {1}\r\nb \"06-Dec-2026 10:00:00 +0100\" CATENATE (URL \"/x/;UID=1\")");
    const auto& messages = std::get<AppendArgs>(cmd.args).messages;
    REQUIRE(messages.size() == 3);
    CHECK(messages[0].catenate.size() == 1);
    CHECK(messages[1].data == "b");
    CHECK(messages[1].catenate.empty());
    CHECK(messages[2].internal_date.has_value());
    CHECK(messages[2].catenate.at(0).kind == Kind::Url);
    auto replace = accepted("a UID REPLACE 4 Drafts CATENATE (URL \"/Drafts/;UID=4/;SECTION=HEADER\" TEXT {1}\r\nx)");
    CHECK(std::get<ReplaceArgs>(replace.args).replacement.messages.at(0).catenate.size() == 2);
}

TEST_CASE("CATENATE refusals") {
    CHECK(refused("a APPEND x CATENATE ()") == "a BAD A CATENATE part is TEXT, URL or UTF8\r\n");
    CHECK(refused("a APPEND x CATENATE (TEXT \"abc\")") == "a BAD TEXT is a literal\r\n");
    CHECK(refused("a APPEND x CATENATE (URL)").starts_with("a BAD "));
    CHECK(refused("a APPEND x CATENATE (FOO {1}\r\na)") == "a BAD A CATENATE part is TEXT, URL or UTF8\r\n");
    CHECK(refused("a APPEND x CATENATE TEXT {1}\r\na").starts_with("a BAD "));
    CHECK(refused("a APPEND x CATENATE (TEXT {1}\r\na").starts_with("a BAD "));
    CHECK(refused("a APPEND x CATENATE (UTF8 ({1}\r\na))") == "a BAD UTF8 data must be a literal8\r\n");
    ParseOptions few;
    few.max_catenate_parts = 2;
    CHECK(accepted("a APPEND x CATENATE (URL a URL b)", few).verb == Verb::Append);
    CHECK(refused("a APPEND x CATENATE (URL a URL b URL c)", few) == "a BAD [LIMIT] Too many CATENATE parts\r\n");
    std::string fifty_one = "a APPEND x CATENATE (";
    for (int i = 0; i < 51; ++i) fifty_one += (i ? " URL u" : "URL u");
    CHECK(refused(fifty_one + ")") == "a BAD [LIMIT] Too many CATENATE parts\r\n");
}

TEST_CASE("IMAP URLs: absolute, absolute path, relative to the selected mailbox") {
    auto a = url("imap://Jean.Dupont%40test.mssante.fr;AUTH=*@Mail.Test.mssante.fr:993/Shared%2Fcabinet%40test.mssante.fr%2FINBOX;UIDVALIDITY=1702/;UID=20/;SECTION=1.2.MIME/;PARTIAL=10.5");
    CHECK(a.absolute);
    CHECK(a.user == "Jean.Dupont@test.mssante.fr");
    CHECK(a.host == "mail.test.mssante.fr");
    CHECK(a.port == 993);
    CHECK(a.mailbox == "Shared/cabinet@test.mssante.fr/INBOX");
    CHECK(a.uidvalidity == 1702u);
    CHECK(a.uid == 20u);
    CHECK(a.section.part == std::vector<uint32_t>{1, 2});
    CHECK(a.section.text == SectionText::Mime);
    CHECK(a.partial == Partial{10, 5});
    CHECK_FALSE(a.urlauth);

    auto p = url("/inbox/Sub%C3%A9/;uid=7");
    CHECK_FALSE(p.absolute);
    CHECK(p.mailbox == "INBOX/Sub\xC3\xA9");
    CHECK(p.uid == 7u);
    CHECK(p.section == Section{});
    CHECK_FALSE(p.uidvalidity);

    auto r = url(";UID=3/;SECTION=HEADER.FIELDS%20(To%20From)/;PARTIAL=4");
    CHECK_FALSE(r.mailbox);
    CHECK(r.section.text == SectionText::HeaderFields);
    CHECK(r.section.fields == std::vector<std::string>{"TO", "FROM"});
    CHECK(r.partial == Partial{4, 0});

    CHECK(url("imap://h/INBOX/;UID=1;URLAUTH=submit+u:internal:0123").urlauth);
    CHECK(url("imap://h/INBOX/;UID=1/;SECTION=2;EXPIRE=2026-12-06T10:00:00Z;URLAUTH=anonymous").urlauth);
}

TEST_CASE("IMAP URLs refused") {
    for (std::string_view bad : {
             "", "http://h/INBOX/;UID=1", "imap://h", "imap://h/", "imap://h/INBOX", "imap://h/INBOX/;UID=0",
             "imap://h/INBOX/;UID=x", "imap://h/INBOX/;UID=4294967296", "imap://h/INBOX;UID=1",
             "imap://h/INBOX?SUBJECT%20x", "imap://h/INBOX/;UID=1/;SECTION=", "imap://h/INBOX/;UID=1/;SECTION=1.",
             "imap://h/INBOX/;UID=1/;SECTION=0", "imap://h/INBOX/;UID=1/;SECTION=1]%20BODY[2",
             "imap://h/INBOX/;UID=1/;SECTION=1%5D", "imap://h/INBOX/;UID=1/;PARTIAL=1.0",
             "imap://h/INBOX/;UID=1/;PARTIAL=2/;SECTION=1", "imap://h/INBOX/;UID=1/;UID=2",
             "imap://h/IN%ZZBOX/;UID=1", "imap://h/IN%0ABOX/;UID=1", "imap://h/%FF/;UID=1", "imap://h/%/;UID=1",
             "imap://u;FOO=1@h/INBOX/;UID=1", "imap://h:99999/INBOX/;UID=1", "imap://h h/INBOX/;UID=1",
             "imap://h/INBOX/;UIDVALIDITY=0/;UID=1", "imap://h/INBOX/;UIDVALIDITY=1/;UID=1",
             "INBOX/;UID=1", ";UIDVALIDITY=1/;UID=1", ";SECTION=1", "/;UID=1", "imap://h/INBOX/;UID=1/;FOO=2",
         })
        CHECK_MESSAGE(!parse_imap_url(bad), bad);
    CHECK_FALSE(parse_imap_url("/INBOX/;UID=1/;SECTION=" + std::string(kMaxImapUrl, '1')));
}

TEST_CASE("BADURL data: the URL with what url-resp-text cannot hold percent-encoded") {
    CHECK(badurl_text("/INBOX/;UID=1") == "/INBOX/;UID=1");
    CHECK(badurl_text("a]b\\c\r\n\xC3\xA9") == "a%5Db%5Cc%0D%0A%C3%A9");
    CHECK(badurl_text(std::string(kMaxImapUrl + 10, 'x')).size() == kMaxImapUrl);
}
