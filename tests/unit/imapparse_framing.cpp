// The IMAP command assembler: lines, synchronising and non-synchronising literals, literal8, every
// size refusal with its response, and the skipping of refused literals (the classic injection).
#include <doctest/doctest.h>

#include <vector>

#include "imap/parse/command.h"
#include "imap/parse/framing.h"

using namespace mss::imap;

namespace {

std::vector<FrameEvent> drain(CommandAssembler& a) {
    std::vector<FrameEvent> out;
    while (auto e = a.next()) out.push_back(std::move(*e));
    return out;
}

std::vector<FrameEvent> feed_all(CommandAssembler& a, std::string_view bytes) {
    a.feed(bytes);
    return drain(a);
}

std::vector<FrameEvent> feed_bytewise(CommandAssembler& a, std::string_view bytes) {
    std::vector<FrameEvent> out;
    for (char c : bytes) {
        a.feed(std::string_view(&c, 1));
        for (auto& e : drain(a)) out.push_back(std::move(e));
    }
    return out;
}

const AssembledCommand& command(const FrameEvent& e) {
    REQUIRE(std::holds_alternative<AssembledCommand>(e));
    return std::get<AssembledCommand>(e);
}

const FramingError& error(const FrameEvent& e) {
    REQUIRE(std::holds_alternative<FramingError>(e));
    return std::get<FramingError>(e);
}

FramingLimits small() {
    FramingLimits l;
    l.max_line = 64;
    l.max_command_text = 200;
    l.max_literal = 100;
    l.max_append_literal = 1000;
    l.max_literal_total = 1500;
    l.max_literals = 4;
    l.max_discard = 5000;
    return l;
}

}  // namespace

TEST_CASE("one line, pipelined lines and bare LF") {
    CommandAssembler a;
    auto ev = feed_all(a, "a1 NOOP\r\na2 CAPABILITY\r\na3 LOGOUT\n");
    REQUIRE(ev.size() == 3);
    CHECK(command(ev[0]).text == "a1 NOOP");
    CHECK(command(ev[1]).text == "a2 CAPABILITY");
    CHECK(command(ev[2]).text == "a3 LOGOUT");
    CHECK(a.idle());
}

TEST_CASE("a partial line waits for more bytes") {
    CommandAssembler a;
    CHECK(feed_all(a, "a1 NO").empty());
    CHECK_FALSE(a.idle());
    auto ev = feed_all(a, "OP\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(command(ev[0]).text == "a1 NOOP");
}

TEST_CASE("empty lines between commands are ignored") {
    CommandAssembler a;
    auto ev = feed_all(a, "\r\n\r\na1 NOOP\r\n\n");
    REQUIRE(ev.size() == 1);
    CHECK(command(ev[0]).text == "a1 NOOP");
}

TEST_CASE("synchronising literals ask for a continuation each") {
    CommandAssembler a;
    auto ev = feed_all(a, "a1 LOGIN {11}\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(std::get<LiteralContinuation>(ev[0]).size == 11);
    ev = feed_all(a, "jean.dupont {6}\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(std::get<LiteralContinuation>(ev[0]).size == 6);
    ev = feed_all(a, "secret\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(command(ev[0]).text == "a1 LOGIN {11}\r\njean.dupont {6}\r\nsecret");
    CHECK(command(ev[0]).literals == 2);
    CHECK(command(ev[0]).literal_bytes == 17);
    auto parsed = parse_command(command(ev[0]).text);
    auto& login = std::get<LoginArgs>(std::get<Command>(parsed).args);
    CHECK(login.user == "jean.dupont");
    CHECK(login.password == "secret");
}

TEST_CASE("non-synchronising literals (LITERAL+) need no continuation") {
    CommandAssembler a;
    auto ev = feed_all(a, "a1 LOGIN {2+}\r\nab {3+}\r\ncde\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(command(ev[0]).text == "a1 LOGIN {2+}\r\nab {3+}\r\ncde");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("literal bytes are data: CRLF and command-looking text inside are not lines") {
    CommandAssembler a;
    std::string msg = "From: a@b\r\n\r\na2 LOGOUT\r\n{5}\r\n";
    auto ev = feed_all(a, "a1 APPEND INBOX {" + std::to_string(msg.size()) + "+}\r\n" + msg + "\r\n");
    REQUIRE(ev.size() == 1);
    auto parsed = parse_command(command(ev[0]).text);
    auto& append = std::get<AppendArgs>(std::get<Command>(parsed).args);
    REQUIRE(append.messages.size() == 1);
    CHECK(append.messages[0].data == msg);
}

TEST_CASE("literal8 for APPEND, NUL included") {
    CommandAssembler a;
    std::string bin("A\0B", 3);
    auto ev = feed_all(a, "a1 APPEND INBOX ~{3}\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(std::get<LiteralContinuation>(ev[0]).size == 3);
    ev = feed_all(a, bin + "\r\n");
    REQUIRE(ev.size() == 1);
    auto parsed = parse_command(command(ev[0]).text);
    auto& m = std::get<AppendArgs>(std::get<Command>(parsed).args).messages.at(0);
    CHECK(m.binary);
    CHECK(m.data == bin);
}

TEST_CASE("a zero-length synchronising literal still gets its continuation") {
    CommandAssembler a;
    auto ev = feed_all(a, "a1 LOGIN {0}\r\n {0+}\r\n\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(std::get<LiteralContinuation>(ev[0]).size == 0);
    CHECK(command(ev[1]).text == "a1 LOGIN {0}\r\n {0+}\r\n");
}

TEST_CASE("byte-by-byte feeding gives the same events") {
    std::string wire =
        "t1 LOGIN {3}\r\nabc {2+}\r\nde\r\n\r\nt2 APPEND Sent (\\Seen) {10+}\r\n0123456789\r\n"
        "t3 SELECT INBOX\r\nt4 APPEND INBOX {5000+}\r\n";
    wire += std::string(5000, 'x') + "\r\nt5 NOOP\r\n";
    CommandAssembler whole(small()), bytewise(small());
    auto a = feed_all(whole, wire);
    auto b = feed_bytewise(bytewise, wire);
    CHECK(a == b);
    REQUIRE(a.size() == 6);  // continuation, t1, t2, t3, refusal of t4 (its literal skipped), t5
    CHECK(error(a[4]).response.tag == "t4");
    CHECK(command(a[5]).text == "t5 NOOP");
}

TEST_CASE("APPEND larger than the message limit, synchronising: NO [TOOBIG], nothing to skip") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 APPEND INBOX (\\Seen) {1001}\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a1 NO [TOOBIG] Message too large\r\n");
    CHECK_FALSE(error(ev[0]).close);
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("APPEND larger than the message limit, non-synchronising: its bytes are skipped") {
    CommandAssembler a(small());
    std::string literal = "a9 DELETE INBOX\r\n" + std::string(1001 - 17, 'z');
    REQUIRE(literal.size() == 1001);
    auto ev = feed_all(a, "a1 APPEND INBOX {1001+}\r\n" + literal + "\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a1 NO [TOOBIG] Message too large\r\n");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("MULTIAPPEND: the second message over the limit skips the rest of the command") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 APPEND INBOX {3+}\r\nabc {1001+}\r\n" + std::string(1001, 'q') +
                              " (\\Seen) {4+}\r\nabcd\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(error(ev[0]).response.status == Status::No);
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("all literals of a command together are bounded") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 APPEND INBOX {900+}\r\n" + std::string(900, 'm') + " {900}\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a1 NO [TOOBIG] Message too large\r\n");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("another command's literal over max_literal: BAD [TOOBIG]") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 LOGIN {101}\r\na2 LOGIN {101+}\r\n" + std::string(101, 'p') + " {3+}\r\nabc\r\na3 NOOP\r\n");
    REQUIRE(ev.size() == 3);
    CHECK(format_response(error(ev[0]).response) == "a1 BAD [TOOBIG] Literal too large\r\n");
    CHECK(format_response(error(ev[1]).response) == "a2 BAD [TOOBIG] Literal too large\r\n");
    CHECK(command(ev[2]).text == "a3 NOOP");
}

TEST_CASE("a line too long: BAD [TOOBIG], the rest of the line skipped") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 SEARCH " + std::string(100, 'x') + "\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a1 BAD [TOOBIG] Command line too long\r\n");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("a line too long ending with a non-synchronising literal: the literal is skipped too") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 APPEND INBOX " + std::string(100, ' ') + "{17+}\r\na666 DELETE INBOX\r\n\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(error(ev[0]).response.tag == "a1");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("a line too long ending with a synchronising literal: the client sends nothing more") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 APPEND INBOX " + std::string(100, ' ') + "{17}\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("a line too long without a tag is answered untagged") {
    CommandAssembler a(small());
    auto ev = feed_all(a, std::string(100, 'x') + "\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(format_response(error(ev[0]).response) == "* BAD [TOOBIG] Command line too long\r\n");
}

TEST_CASE("the lines of a command are bounded together") {
    CommandAssembler a(small());
    std::string wire = "a1 LOGIN {1+}\r\n";
    for (int i = 0; i < 4; ++i) wire += "x" + std::string(50, ' ') + "{1+}\r\n";
    wire += "y\r\na2 NOOP\r\n";
    auto ev = feed_all(a, wire);
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a1 BAD [TOOBIG] Command too long\r\n");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("too many literals: BAD [LIMIT]") {
    CommandAssembler a(small());
    std::string wire = "a1 ID (";
    for (int i = 0; i < 5; ++i) wire += "{1+}\r\nk ";
    wire += "NIL)\r\na2 NOOP\r\n";
    auto ev = feed_all(a, wire);
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a1 BAD [LIMIT] Too many literals\r\n");
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("a size we cannot hold") {
    CommandAssembler a(small());
    SUBCASE("synchronising: refused, the connection goes on") {
        auto ev = feed_all(a, "a1 LOGIN {99999999999999999999999}\r\na2 NOOP\r\n");
        REQUIRE(ev.size() == 2);
        CHECK(error(ev[0]).response.code == Code::TooBig);
        CHECK_FALSE(error(ev[0]).close);
    }
    SUBCASE("non-synchronising: we cannot find the next command, so we close") {
        auto ev = feed_all(a, "a1 LOGIN {99999999999999999999999+}\r\na2 NOOP\r\n");
        REQUIRE(ev.size() == 1);
        CHECK(error(ev[0]).close);
        CHECK(a.closed());
        a.feed("a3 NOOP\r\n");
        CHECK_FALSE(a.next());
    }
    SUBCASE("non-synchronising, more than we are willing to read and drop") {
        auto ev = feed_all(a, "a1 APPEND INBOX {5001+}\r\n");
        REQUIRE(ev.size() == 1);
        CHECK(error(ev[0]).close);
        CHECK(error(ev[0]).response.status == Status::No);
    }
    SUBCASE("leading zeros are not a large size") {
        auto ev = feed_all(a, "a1 LOGIN {000000000000000000000000003+}\r\nabc {1+}\r\nd\r\n");
        REQUIRE(ev.size() == 1);
        CHECK(command(ev[0]).literals == 2);
    }
}

TEST_CASE("a skipped line whose literal size was cut off closes the connection") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 APPEND INBOX " + std::string(80, ' ') + "{" + std::string(40, '1') + "+}\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(error(ev[0]).response.code == Code::TooBig);
    CHECK(format_response(error(ev[1]).response) == "* BYE [TOOBIG] Too much data to skip\r\n");
    CHECK(error(ev[1]).close);
}

TEST_CASE("a short skipped line that merely ends in digits and \"}\" is not a literal header") {
    CommandAssembler a(small());
    auto ev = feed_all(a, "a1 LOGIN {101+}\r\n" + std::string(101, 'p') + "12+}\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("IDLE's DONE and AUTHENTICATE responses are continuation lines") {
    CommandAssembler a;
    auto ev = feed_all(a, "a1 IDLE\r\n");
    REQUIRE(ev.size() == 1);
    a.expect_line("a1");
    ev = feed_all(a, "DONE\r\na2 AUTHENTICATE PLAIN\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(is_idle_done(std::get<ContinuationLine>(ev[0]).text));
    CHECK(is_idle_done("done"));
    CHECK_FALSE(is_idle_done("DONE "));
    CHECK(command(ev[1]).text == "a2 AUTHENTICATE PLAIN");
    a.expect_line("a2");
    ev = feed_all(a, "AGdwAHB3 {5+}\r\n");  // no literal in a continuation line
    REQUIRE(ev.size() == 1);
    CHECK(std::get<ContinuationLine>(ev[0]).text == "AGdwAHB3 {5+}");
}

TEST_CASE("a continuation line too long is refused with the waiting command's tag") {
    CommandAssembler a(small());
    a.expect_line("a7");
    auto ev = feed_all(a, std::string(100, 'A') + "{3+}\r\na8 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(format_response(error(ev[0]).response) == "a7 BAD [TOOBIG] Line too long\r\n");
    CHECK(command(ev[1]).text == "a8 NOOP");
}

TEST_CASE("STARTTLS: bytes sent in clear after the command are dropped") {
    CommandAssembler a;
    a.feed("a1 STARTTLS\r\na2 LOGIN evil pass\r\n");
    auto first = a.next();
    REQUIRE(first);
    CHECK(command(*first).text == "a1 STARTTLS");
    CHECK(a.discard_buffered() == 20);
    CHECK_FALSE(a.next());
    CHECK(a.idle());
}

TEST_CASE("LITERAL-: a non-synchronising literal over 4096 octets is BAD [TOOBIG], its bytes skipped") {
    FramingLimits limits;
    limits.max_nonsync_literal = 4096;
    CommandAssembler a(limits);
    std::string big(4097, 'x');
    auto ev = feed_all(a, "a1 ID (\"name\" {4097+}\r\n" + big + ")\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(error(ev[0]).response.tag == "a1");
    CHECK(error(ev[0]).response.status == Status::Bad);
    CHECK(error(ev[0]).response.code == Code::TooBig);
    CHECK_FALSE(error(ev[0]).close);
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("LITERAL-: 4096 octets and synchronising literals of any allowed size pass") {
    FramingLimits limits;
    limits.max_nonsync_literal = 4096;
    CommandAssembler a(limits);
    std::string most(4096, 'y');
    auto ev = feed_all(a, "a1 ID (\"name\" {4096+}\r\n" + most + ")\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(command(ev[0]).literal_bytes == 4096);
    std::string more(5000, 'z');
    ev = feed_all(a, "a2 ID (\"name\" {5000}\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(std::get<LiteralContinuation>(ev[0]).size == 5000);
    ev = feed_all(a, more + ")\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(command(ev[0]).literal_bytes == 5000);
}

TEST_CASE("LITERAL-: an APPEND's non-synchronising literal over 4096 is BAD [TOOBIG] too (RFC 7888 section 5)") {
    FramingLimits limits;
    limits.max_nonsync_literal = 4096;
    CommandAssembler a(limits);
    auto ev = feed_all(a, "a1 APPEND INBOX {5000+}\r\n" + std::string(5000, 'm') + "\r\na2 NOOP\r\n");
    REQUIRE(ev.size() == 2);
    CHECK(error(ev[0]).response.status == Status::Bad);
    CHECK(error(ev[0]).response.code == Code::TooBig);
    CHECK(command(ev[1]).text == "a2 NOOP");
}

TEST_CASE("REPLACE's literal is a message: APPEND's limit, not max_literal") {
    FramingLimits limits;
    limits.max_literal = 100;
    limits.max_append_literal = 1000;
    CommandAssembler a(limits);
    auto ev = feed_all(a, "a1 UID REPLACE 3 Drafts {500+}\r\n" + std::string(500, 'm') + "\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(command(ev[0]).literal_bytes == 500);
    ev = feed_all(a, "a2 replace 3 Drafts {2000}\r\n");
    REQUIRE(ev.size() == 1);
    CHECK(error(ev[0]).response.status == Status::No);
    CHECK(error(ev[0]).response.code == Code::TooBig);
}
