// Every refusal of the command parser with its exact response: tags, unknown commands, syntax,
// sequence sets ("*:0", huge ranges), search nesting, charsets, mailbox encodings, CONDSTORE rules.
#include <doctest/doctest.h>

#include "imap/parse/command.h"
#include "imap/parse/mutf7.h"

using namespace mss::imap;
using namespace std::literals;

namespace {

std::string refused(std::string_view text, const ParseOptions& options = {}) {
    auto parsed = parse_command(text, options);
    if (std::holds_alternative<Command>(parsed)) {
        FAIL_CHECK("accepted: ", text);
        return {};
    }
    return format_response(std::get<Response>(parsed));
}

bool accepted(std::string_view text, const ParseOptions& options = {}) {
    return std::holds_alternative<Command>(parse_command(text, options));
}

std::string nested(int depth) {
    return "a SEARCH " + std::string(static_cast<std::size_t>(depth), '(') + "ALL" +
           std::string(static_cast<std::size_t>(depth), ')');
}

}  // namespace

TEST_CASE("tags") {
    CHECK(refused("") == "* BAD Empty command line\r\n");
    CHECK(refused(" NOOP") == "* BAD Missing or invalid tag\r\n");
    CHECK(refused("a+1 NOOP") == "* BAD Missing or invalid tag\r\n");
    CHECK(refused("a*1 NOOP") == "* BAD Missing or invalid tag\r\n");
    CHECK(refused("a{1} NOOP") == "* BAD Missing or invalid tag\r\n");
    CHECK(refused("\xC3\xA9 NOOP") == "* BAD Missing or invalid tag\r\n");
    CHECK(refused("a1") == "a1 BAD Missing command\r\n");
    CHECK(refused("a1 ") == "a1 BAD Missing command\r\n");
    CHECK(refused("DONE") == "DONE BAD Missing command\r\n");
    CHECK(accepted("a]1 NOOP"));
    CHECK(command_tag("a1 NOOP") == "a1");
    CHECK(command_tag("a1") == "a1");
    CHECK(command_tag("a1(") == "");
}

TEST_CASE("unknown commands and stray arguments") {
    CHECK(refused("a1 FROB") == "a1 BAD Unknown command\r\n");
    CHECK(refused("a1 UID LOGIN a b") == "a1 BAD Unknown UID command\r\n");
    CHECK(refused("a1 NOOP now") == "a1 BAD Unexpected characters after the command\r\n");
    CHECK(refused("a1 NOOP ") == "a1 BAD Unexpected characters after the command\r\n");
    CHECK(refused("a1  NOOP") == "a1 BAD Invalid character where an atom was expected\r\n");
    CHECK(refused("a1 LOGIN user") == "a1 BAD Missing argument\r\n");
    CHECK(refused("a1 LOGIN user  pw") == "a1 BAD Invalid character where a string was expected\r\n");
    CHECK(refused("a1 DONE") == "a1 BAD Unknown command\r\n");
}

TEST_CASE("strings and literals") {
    CHECK(refused("a1 LOGIN \"user pw") == "a1 BAD Unterminated quoted string\r\n");
    CHECK(refused("a1 LOGIN \"us\\er\" pw") == "a1 BAD Invalid escape in quoted string\r\n");
    CHECK(refused("a1 LOGIN \"u\rs\" pw") == "a1 BAD Invalid character in quoted string\r\n");
    CHECK(refused("a1 LOGIN {5}\r\nab") == "a1 BAD Truncated literal\r\n");
    CHECK(refused("a1 LOGIN {2}ab pw") == "a1 BAD Expected CRLF after the literal's size\r\n");
    CHECK(refused("a1 LOGIN {}\r\n pw") == "a1 BAD Invalid literal\r\n");
    CHECK(refused("a1 LOGIN {99999999999999999999999}\r\n") == "a1 BAD [TOOBIG] Literal too large\r\n");
    CHECK(refused("a1 LOGIN ~{2}\r\nab pw") == "a1 BAD literal8 is not allowed here\r\n");
    CHECK(refused("a1 LOGIN {3}\r\na\0b pw"sv) == "a1 BAD NUL in a literal\r\n");
    CHECK(refused("a1 LOGIN a\0b pw"sv) == "a1 BAD Expected a space\r\n");
}

TEST_CASE("sequence sets: 0, *:0, overflow, limits") {
    CHECK(refused("a1 FETCH 0 FLAGS") == "a1 BAD Invalid message number 0 in sequence set\r\n");
    CHECK(refused("a1 FETCH *:0 FLAGS") == "a1 BAD Invalid message number 0 in sequence set\r\n");
    CHECK(refused("a1 UID FETCH 1,0:5 FLAGS") == "a1 BAD Invalid message number 0 in sequence set\r\n");
    CHECK(refused("a1 FETCH 4294967296 FLAGS") == "a1 BAD Number too large in sequence set\r\n");
    CHECK(refused("a1 FETCH 1, FLAGS") == "a1 BAD Invalid sequence set\r\n");
    CHECK(refused("a1 FETCH 1::2 FLAGS") == "a1 BAD Invalid sequence set\r\n");
    CHECK(refused("a1 FETCH 1,$ FLAGS") == "a1 BAD Invalid sequence set\r\n");
    CHECK(refused("a1 FETCH FLAGS") == "a1 BAD Missing sequence set\r\n");
    CHECK(accepted("a1 FETCH 1:4294967295 FLAGS"));
    CHECK(accepted("a1 FETCH $ FLAGS"));
    std::string many = "a1 UID FETCH 1";
    for (int i = 2; i <= 10000; ++i) many += "," + std::to_string(2 * i);
    CHECK(accepted(many + " FLAGS"));
    CHECK(refused(many + ",99999 FLAGS") == "a1 BAD [LIMIT] Too many ranges in sequence set\r\n");
    CHECK(refused("a1 SELECT INBOX (QRESYNC (1 2 1:*))") == "a1 BAD \"*\" is not allowed here\r\n");
    CHECK(refused("a1 SELECT INBOX (QRESYNC (1 2 $))") == "a1 BAD \"$\" is not allowed here\r\n");
}

TEST_CASE("search: nesting depth and key count are bounded") {
    CHECK(accepted(nested(32)));
    CHECK(refused(nested(33)) == "a BAD [LIMIT] Search criteria nested too deeply\r\n");
    std::string nots = "a SEARCH ";
    for (int i = 0; i < 40; ++i) nots += "NOT ";
    CHECK(refused(nots + "ALL") == "a BAD [LIMIT] Search criteria nested too deeply\r\n");
    std::string ors = "a SEARCH ";
    for (int i = 0; i < 40; ++i) ors += "OR SEEN ";
    CHECK(refused(ors + "ALL") == "a BAD [LIMIT] Search criteria nested too deeply\r\n");
    // Deep nesting far beyond the limit fails at the limit, without deep recursion.
    CHECK(refused(nested(100000)) == "a BAD [LIMIT] Search criteria nested too deeply\r\n");
    std::string wide = "a SEARCH";
    for (int i = 0; i < 4097; ++i) wide += " SEEN";
    CHECK(refused(wide) == "a BAD [LIMIT] Too many search keys\r\n");
}

TEST_CASE("search: syntax") {
    CHECK(refused("a SEARCH") == "a BAD Missing argument\r\n");
    CHECK(refused("a SEARCH FOO") == "a BAD Unknown search key\r\n");
    CHECK(refused("a SEARCH ()") == "a BAD Invalid character where an atom was expected\r\n");
    CHECK(refused("a SEARCH (SEEN") == "a BAD Missing argument\r\n");
    CHECK(refused("a SEARCH OR SEEN") == "a BAD Missing argument\r\n");
    CHECK(refused("a SEARCH SINCE 30-Feb-2024") == "a BAD Invalid date\r\n");
    CHECK(refused("a SEARCH SINCE 1-Foo-2024") == "a BAD Invalid date\r\n");
    CHECK(refused("a SEARCH SINCE 1-Jan-24") == "a BAD Invalid date\r\n");
    CHECK(accepted("a SEARCH SINCE 29-Feb-2024"));
    CHECK(refused("a SEARCH SINCE 29-Feb-2023") == "a BAD Invalid date\r\n");
    CHECK(refused("a SEARCH SUBJECT \"\xC3\x28\"") == "a BAD Search string is not valid UTF-8\r\n");
    CHECK(refused("a SEARCH HEADER \"Bad:Name\" x") == "a BAD Invalid header field name\r\n");
    CHECK(refused("a SEARCH MODSEQ \"/flags/\\\\Seen\" bogus 5") == "a BAD Invalid MODSEQ entry type\r\n");
    CHECK(refused("a SEARCH RETURN (FIRST) ALL") == "a BAD Unknown SEARCH return option\r\n");
    CHECK(refused("a SEARCH OLDER 0") == "a BAD Expected a non-zero number\r\n");
}

TEST_CASE("charsets: NO [BADCHARSET] with the ones we support") {
    CHECK(refused("a SEARCH CHARSET ISO-8859-1 SUBJECT x") == "a NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n");
    CHECK(refused("a SORT (DATE) KOI8-R ALL") == "a NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n");
    CHECK(refused("a THREAD REFS windows-1252 ALL") == "a NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n");
    CHECK(accepted("a SEARCH CHARSET \"us-ascii\" ALL"));
}

TEST_CASE("mailbox names that cannot exist are NO [CANNOT], not BAD") {
    CHECK(refused("a SELECT &AGE") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");
    CHECK(refused("a SELECT &AEE-") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");  // encoded "A"
    CHECK(refused("a SELECT &AOkA-") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");  // padding
    CHECK(refused("a SELECT &2D0-") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");  // bad surrogate
    CHECK(refused("a SELECT &AOk-&AOk-") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");  // split run
    CHECK(refused("a SELECT a&b") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");
    CHECK(refused("a SELECT &AOk/-") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");
    CHECK(refused("a SELECT \"\xC3\xA9t\xC3\xA9\"") ==
          "a NO [CANNOT] Mailbox name must be modified UTF-7 (RFC 3501 5.1.3) unless UTF8=ACCEPT is enabled\r\n");
    CHECK(refused("a SELECT &AAA-") == "a NO [CANNOT] Control character in mailbox name\r\n");
    CHECK(refused("a CREATE {3}\r\na\tb") == "a NO [CANNOT] Invalid modified UTF-7 in mailbox name\r\n");
    ParseOptions utf8;
    utf8.utf8_names = true;
    CHECK(refused("a SELECT \"\xC3\x28\"", utf8) == "a NO [CANNOT] Mailbox name is not valid UTF-8\r\n");
    CHECK(refused("a SELECT \"a\xC2\x85z\"", utf8) == "a NO [CANNOT] Control character in mailbox name\r\n");
    ParseOptions short_names;
    short_names.max_mailbox_name = 8;
    CHECK(refused("a CREATE 123456789", short_names) == "a NO [CANNOT] Mailbox name too long\r\n");
    CHECK(accepted("a CREATE 12345678", short_names));
}

TEST_CASE("IMAP4rev2 removed STATUS RECENT: refused once enabled, accepted in IMAP4rev1") {
    ParseOptions rev2;
    rev2.imap4rev2 = true;
    CHECK(refused("a STATUS INBOX (MESSAGES RECENT)", rev2) == "a BAD IMAP4rev2 has no RECENT\r\n");
    CHECK(refused("a LIST \"\" * RETURN (STATUS (RECENT))", rev2) == "a BAD IMAP4rev2 has no RECENT\r\n");
    CHECK(accepted("a STATUS INBOX (MESSAGES SIZE)", rev2));
    CHECK(accepted("a STATUS INBOX (MESSAGES RECENT)"));
}

TEST_CASE("CONDSTORE / QRESYNC rules (RFC 7162)") {
    CHECK(refused("a FETCH 1:* FLAGS (CHANGEDSINCE 5 VANISHED)") == "a BAD [CLIENTBUG] VANISHED is only allowed in UID FETCH\r\n");
    CHECK(refused("a UID FETCH 1:* FLAGS (VANISHED)") == "a BAD [CLIENTBUG] VANISHED requires CHANGEDSINCE\r\n");
    CHECK(refused("a UID FETCH 1:* FLAGS (CHANGEDSINCE 9223372036854775808)") == "a BAD Number too large\r\n");
    CHECK(refused("a SELECT INBOX (CONDSTORE CONDSTORE)") == "a BAD [CLIENTBUG] CONDSTORE given twice\r\n");
    CHECK(refused("a SELECT INBOX (FOO)") == "a BAD Unknown SELECT parameter\r\n");
    CHECK(refused("a SELECT INBOX (QRESYNC (0 5))") == "a BAD Expected a non-zero number\r\n");
    CHECK(refused("a STORE 1 (FOO 1) FLAGS (\\Seen)") == "a BAD Unknown STORE modifier\r\n");
}

TEST_CASE("FETCH syntax") {
    CHECK(refused("a FETCH 1 (ALL)") == "a BAD Unknown FETCH attribute\r\n");
    CHECK(refused("a FETCH 1 ()") == "a BAD Invalid FETCH attribute\r\n");
    CHECK(refused("a FETCH 1 BODY[1.]") == "a BAD Invalid section\r\n");
    CHECK(refused("a FETCH 1 BODY[MIME]") == "a BAD Invalid section\r\n");
    CHECK(refused("a FETCH 1 BODY[HEADER.FIELDS ()]") == "a BAD Invalid character where a string was expected\r\n");
    CHECK(refused("a FETCH 1 BODY[0]") == "a BAD Expected a non-zero number\r\n");
    CHECK(refused("a FETCH 1 BODY[]<0.0>") == "a BAD Partial length must not be zero\r\n");
    CHECK(refused("a FETCH 1 BODY.PEEK") == "a BAD Missing \"[\"\r\n");
    CHECK(refused("a FETCH 1 BINARY[1.TEXT]") == "a BAD Expected \"]\" closing the BINARY section\r\n");
    CHECK(refused("a FETCH 1 BINARY.SIZE[1]<0.5>") == "a BAD Invalid FETCH attribute\r\n");
    CHECK(refused("a FETCH 1 X-GM-MSGID") == "a BAD Unknown FETCH attribute\r\n");
    CHECK(refused("a FETCH 1 FLAGS (FOO)") == "a BAD Unknown FETCH modifier\r\n");
}

TEST_CASE("STORE, APPEND, LIST, ACL, ID syntax") {
    CHECK(refused("a STORE 1 FLAGS (\\Recent)") == "a BAD Unknown or forbidden system flag\r\n");
    CHECK(refused("a STORE 1 FLAGS (\\*)") == "a BAD Invalid character where an atom was expected\r\n");
    CHECK(refused("a STORE 1 LABELS (x)") == "a BAD Unknown STORE data item\r\n");
    CHECK(refused("a APPEND INBOX (\\Seen)") == "a BAD Missing argument\r\n");
    CHECK(refused("a APPEND INBOX \"hello\"") == "a BAD Invalid date\r\n");
    CHECK(refused("a APPEND INBOX \"01-Jan-2024 25:00:00 +0000\" {1}\r\nx") == "a BAD Invalid date-time\r\n");
    CHECK(refused("a APPEND INBOX \"01-Jan-2024 10:00:00 0000\" {1}\r\nx") == "a BAD Invalid date-time zone\r\n");
    CHECK(refused("a APPEND INBOX UTF8 ({1}\r\nx)") == "a BAD UTF8 data must be a literal8\r\n");
    CHECK(refused("a APPEND INBOX abc") == "a BAD Expected the message as a literal\r\n");
    ParseOptions two;
    two.max_append_messages = 2;
    CHECK(refused("a APPEND INBOX {1}\r\nx {1}\r\ny {1}\r\nz", two) == "a BAD [LIMIT] Too many messages in APPEND\r\n");
    CHECK(refused("a LIST (RECURSIVEMATCH) \"\" *") == "a BAD RECURSIVEMATCH needs another selection option\r\n");
    CHECK(refused("a LIST (FOO) \"\" *") == "a BAD Unknown LIST selection option\r\n");
    CHECK(refused("a LIST \"\" * RETURN (FOO)") == "a BAD Unknown LIST return option\r\n");
    CHECK(refused("a LIST \"\" * FOO") == "a BAD Expected RETURN\r\n");
    CHECK(refused("a LSUB (SUBSCRIBED) \"\" *") == "a BAD Invalid character where a string was expected\r\n");
    CHECK(refused("a STATUS INBOX ()") == "a BAD Invalid character where an atom was expected\r\n");
    CHECK(refused("a STATUS INBOX (FOO)") == "a BAD Unknown STATUS item\r\n");
    CHECK(refused("a SETACL INBOX bob LRS") == "a BAD Invalid access rights\r\n");
    CHECK(refused("a CREATE x (FOO)") == "a BAD Unknown CREATE parameter\r\n");
    CHECK(refused("a AUTHENTICATE PLAIN abc") == "a BAD Invalid base64 in the initial response\r\n");
    CHECK(refused("a AUTHENTICATE PLAIN ab=c") == "a BAD Invalid base64 in the initial response\r\n");
    CHECK(refused("a ENABLE") == "a BAD Missing argument\r\n");
    CHECK(refused("a ID (\"name\")") == "a BAD Expected a space\r\n");
    CHECK(refused("a ID (\"this-field-name-is-longer-than-thirty\" \"x\")") == "a BAD [LIMIT] ID field or value too long\r\n");
    std::string many = "a ID (";
    for (int i = 0; i < 31; ++i) many += "\"k" + std::to_string(i) + "\" NIL ";
    many.back() = ')';
    CHECK(refused(many) == "a BAD [LIMIT] Too many ID fields\r\n");
    CHECK(refused("a SORT () UTF-8 ALL") == "a BAD Invalid character where an atom was expected\r\n");
    CHECK(refused("a SORT (SIZE FOO) UTF-8 ALL") == "a BAD Unknown sort criterion\r\n");
}

TEST_CASE("response formatting") {
    CHECK(format_response({"a1", Status::Ok, Code::None, "", "done"}) == "a1 OK done\r\n");
    CHECK(format_response({"", Status::Bye, Code::Alert, "", "bye"}) == "* BYE [ALERT] bye\r\n");
    CHECK(format_response({"a", Status::Ok, Code::ReadWrite, "", "SELECT completed"}) == "a OK [READ-WRITE] SELECT completed\r\n");
    CHECK(code_name(Code::UnknownCte) == "UNKNOWN-CTE");
}
