// The ESMTP parser's line bound for AUTH: an initial response carrying a bearer token (RFC 7628)
// is longer than RFC 5321's 512 octets; AUTH may use up to 12288 (RFC 4954 section 4), no other verb.
#include <doctest/doctest.h>

#include "smtp/parse/command.h"

using namespace mss::smtp;

TEST_CASE("AUTH lines up to max_auth_line parse; other commands stay bounded by max_line") {
    std::string response(3000, 'A');
    auto auth = parse_command("AUTH XOAUTH2 " + response + "\r\n");
    REQUIRE(std::holds_alternative<Command>(auth));
    CHECK(std::get<Command>(auth).initial_response == response);
    auto lower = parse_command("auth OAUTHBEARER " + response + "\r\n");
    CHECK(std::holds_alternative<Command>(lower));
    auto noop = parse_command("NOOP " + response + "\r\n");
    REQUIRE(std::holds_alternative<Reply>(noop));
    CHECK(std::get<Reply>(noop).code == 500);
    auto huge = parse_command("AUTH PLAIN " + std::string(12288, 'A') + "\r\n");
    REQUIRE(std::holds_alternative<Reply>(huge));
    CHECK(std::get<Reply>(huge).text == "Line too long");
}
