// The ESMTP command parser: real clients' commands, and every refusal with its exact code.
#include <doctest/doctest.h>

#include "smtp/parse/command.h"

using namespace mss::smtp;

namespace {
Command ok(std::string_view line) {
    auto r = parse_command(line);
    if (auto* reply = std::get_if<Reply>(&r)) FAIL_CHECK(std::string(line) << " -> " << reply->code << " " << reply->text);
    REQUIRE(std::holds_alternative<Command>(r));
    return std::get<Command>(r);
}
Reply refused(std::string_view line) {
    auto r = parse_command(line);
    REQUIRE_MESSAGE(std::holds_alternative<Reply>(r), line);
    return std::get<Reply>(r);
}
}  // namespace

TEST_CASE("clients' commands parse") {
    CHECK(ok("EHLO thunderbird.local\r\n").verb == Verb::Ehlo);
    CHECK(ok("ehlo [127.0.0.1]\r\n").argument == "[127.0.0.1]");
    auto mail = ok("MAIL FROM:<jean.dupont@medecin.mssante.fr> SIZE=4096 BODY=8BITMIME\r\n");
    CHECK(mail.verb == Verb::Mail);
    CHECK(mail.path.address() == "jean.dupont@medecin.mssante.fr");
    CHECK(mail.mail.size == 4096u);
    CHECK(mail.mail.body == Body::EightBitMime);
    CHECK(ok("MAIL FROM: <a@b.fr>\r\n").path.address() == "a@b.fr");  // Outlook's space
    CHECK(ok("MAIL FROM:<>\r\n").path.null);
    CHECK(ok("RCPT TO:<@relay.fr:cardio@chu-x.mssante.fr>\r\n").path.address() == "cardio@chu-x.mssante.fr");
    CHECK(ok("RCPT TO:<Postmaster>\r\n").path.domain.empty());
    CHECK(ok("RCPT TO:<\"dr dupont\"@a.fr>\r\n").path.local == "\"dr dupont\"");
    auto utf8 = ok("MAIL FROM:<m\xc3\xa9" "decin@h\xc3\xb4pital.fr> SMTPUTF8\r\n");
    CHECK(utf8.path.non_ascii);
    CHECK(utf8.mail.smtputf8);
    auto auth = ok("AUTH PLAIN AGdwAHB3\r\n");
    CHECK(auth.argument == "PLAIN");
    CHECK(auth.initial_response == "AGdwAHB3");
    auto bdat = ok("BDAT 1000 LAST\r\n");
    CHECK(bdat.chunk_size == 1000u);
    CHECK(bdat.last_chunk);
    CHECK(ok("MAIL FROM:<a@b.fr> AUTH=<>\r\n").mail.auth == "<>");
    CHECK(ok("MAIL FROM:<a@b.fr> AUTH=a+2Bb@c.fr\r\n").mail.auth == "a+b@c.fr");
    for (auto line : {"DATA\r\n", "RSET\r\n", "QUIT\r\n", "STARTTLS\r\n", "NOOP\r\n", "NOOP hello\r\n", "HELP\r\n"})
        CHECK(std::holds_alternative<Command>(parse_command(line)));
}

TEST_CASE("line-level refusals are 500 5.5.x") {
    CHECK(refused("NOOP\n") == Reply{500, "5.5.2", refused("NOOP\n").text});
    CHECK(refused("NOOP\r").enhanced == "5.5.2");
    CHECK(refused(std::string("NO\0OP\r\n", 7)).enhanced == "5.5.2");
    CHECK(refused("NOOP\rX\r\n").code == 500);
    CHECK(refused(std::string(600, 'A') + "\r\n").text == "Line too long");
    CHECK(refused("FROB\r\n") == Reply{500, "5.5.1", "Command unrecognized"});
}

TEST_CASE("argument refusals carry the RFC's codes") {
    CHECK(refused("EHLO\r\n").enhanced == "5.5.4");
    CHECK(refused("DATA now\r\n").enhanced == "5.5.4");
    CHECK(refused("MAIL TO:<a@b.fr>\r\n").code == 501);
    CHECK(refused("MAIL FROM:<a@@b.fr>\r\n").enhanced == "5.1.7");
    CHECK(refused("RCPT TO:<>\r\n").enhanced == "5.1.3");
    CHECK(refused("RCPT TO:<a..b@c.fr>\r\n").enhanced == "5.1.3");
    CHECK(refused("RCPT TO:<a@-c.fr>\r\n").enhanced == "5.1.3");
    CHECK(refused("RCPT TO:<" + std::string(65, 'a') + "@b.fr>\r\n").enhanced == "5.1.3");
    CHECK(refused("MAIL FROM:<a@b.fr> FOO=1\r\n") == Reply{555, "5.5.4", "Unrecognized or repeated parameter"});
    CHECK(refused("MAIL FROM:<a@b.fr> SIZE=1 SIZE=2\r\n").code == 555);
    CHECK(refused("RCPT TO:<a@b.fr> FOO=1\r\n").code == 555);
    CHECK(refused("MAIL FROM:<a@b.fr> SIZE=12x\r\n").code == 501);
    CHECK(refused("MAIL FROM:<a@b.fr> SIZE=99999999999999999999999\r\n").code == 501);
    CHECK(refused("BDAT -1\r\n").code == 501);
    CHECK(refused("BDAT 10 FIRST\r\n").code == 501);
}

TEST_CASE("invalid UTF-8 in paths is refused per side") {
    CHECK(refused("MAIL FROM:<\xc0\xaf@b.fr> SMTPUTF8\r\n").enhanced == "5.1.7");      // overlong
    CHECK(refused("RCPT TO:<\xed\xa0\x80@b.fr>\r\n").enhanced == "5.1.3");             // surrogate
    CHECK(refused("RCPT TO:<a\xc3@b.fr>\r\n").enhanced == "5.1.3");                    // truncated
    CHECK(is_valid_utf8("h\xc3\xb4pital"));
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST_CASE("DSN parameters (RFC 3461) parse with their xtext decoded") {
    auto mail = ok("MAIL FROM:<a@b.fr> RET=hdrs ENVID=QQ+2B1+3Dx\r\n");
    CHECK(mail.mail.ret == Ret::Headers);
    CHECK(mail.mail.envid == "QQ+1=x");
    CHECK(ok("MAIL FROM:<a@b.fr> RET=FULL\r\n").mail.ret == Ret::Full);
    CHECK(ok("MAIL FROM:<a@b.fr>\r\n").mail.ret == Ret::Unspecified);
    auto rcpt = ok("RCPT TO:<c@d.fr> NOTIFY=success,DELAY ORCPT=rfc822;C+2Bx@d.fr\r\n");
    CHECK(rcpt.rcpt.notify == unsigned{kNotifySuccess | kNotifyDelay});
    CHECK(rcpt.rcpt.orcpt == "rfc822;C+x@d.fr");
    CHECK(ok("RCPT TO:<c@d.fr> NOTIFY=NEVER\r\n").rcpt.notify == 0u);
    CHECK_FALSE(ok("RCPT TO:<c@d.fr>\r\n").rcpt.notify.has_value());
}

TEST_CASE("malformed or repeated DSN parameters get 501 5.5.4") {
    const Reply value{501, "5.5.4", "Invalid DSN parameter value (RFC 3461)"};
    const Reply twice{501, "5.5.4", "DSN parameter given twice (RFC 3461)"};
    CHECK(refused("MAIL FROM:<a@b.fr> RET=BODY\r\n") == value);
    CHECK(refused("MAIL FROM:<a@b.fr> RET\r\n") == value);
    CHECK(refused("MAIL FROM:<a@b.fr> RET=FULL RET=HDRS\r\n") == twice);
    CHECK(refused("MAIL FROM:<a@b.fr> ENVID=a ENVID=b\r\n") == twice);
    CHECK(refused("MAIL FROM:<a@b.fr> ENVID=\r\n") == value);
    CHECK(refused("MAIL FROM:<a@b.fr> ENVID=" + std::string(101, 'x') + "\r\n") == value);
    CHECK(refused("MAIL FROM:<a@b.fr> ENVID=a+2b\r\n") == value);  // hexchar is upper case
    CHECK(refused("MAIL FROM:<a@b.fr> ENVID=a+2\r\n") == value);
    CHECK(refused("MAIL FROM:<a@b.fr> ENVID=a=b\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> NOTIFY=NEVER,SUCCESS\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> NOTIFY=SUCCESS,\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> NOTIFY=ALWAYS\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> NOTIFY=SUCCESS NOTIFY=FAILURE\r\n") == twice);
    CHECK(refused("RCPT TO:<c@d.fr> ORCPT=c@d.fr\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> ORCPT=;c@d.fr\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> ORCPT=rfc822;\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> ORCPT=rfc822;a+ZZ\r\n") == value);
    CHECK(refused("RCPT TO:<c@d.fr> ORCPT=rfc822;a ORCPT=rfc822;b\r\n") == twice);
    CHECK(refused("RCPT TO:<c@d.fr> SIZE=10\r\n").code == 555);
}

TEST_CASE("xtext round-trips and NOTIFY reads back as written") {
    for (std::string_view s : {"plain", "a+b=c", "sp ace\r\n", "\xc3\xa9t\xc3\xa9"})
        CHECK(xtext_decode(xtext_encode(s)) == std::string(s));
    CHECK(xtext_encode("a+b=c d") == "a+2Bb+3Dc+20d");
    CHECK(notify_text(kNotifySuccess | kNotifyFailure | kNotifyDelay) == "SUCCESS,FAILURE,DELAY");
    CHECK(notify_text(0) == "NEVER");
    CHECK(notify_of(notify_text(kNotifyDelay)) == unsigned{kNotifyDelay});
}
