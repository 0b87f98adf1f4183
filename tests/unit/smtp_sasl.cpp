// SASL exchanges as the session drives them: PLAIN, LOGIN, EXTERNAL, cancellation and bad input.
#include <doctest/doctest.h>

#include "core/base64.h"
#include "smtp/sasl.h"

using namespace mss::smtp;
using mss::base64_encode;
using namespace std::string_literals;

TEST_CASE("PLAIN with an initial response finishes at once") {
    SaslExchange x("PLAIN", base64_encode("\0gp@a.fr\0pw"s));
    CHECK_FALSE(x.challenge());
    CHECK_FALSE(x.result().reply);
    CHECK(x.result().authcid == "gp@a.fr");
    CHECK(x.result().password == "pw");
}

TEST_CASE("PLAIN without initial response asks with an empty challenge") {
    SaslExchange x("PLAIN", std::nullopt);
    REQUIRE(x.challenge());
    CHECK(*x.challenge() == "");
    x.respond(base64_encode("gp@a.fr\0gp@a.fr\0pw"s));
    CHECK_FALSE(x.challenge());
    CHECK_FALSE(x.result().reply);
    CHECK(x.result().authzid == "gp@a.fr");
}

TEST_CASE("PLAIN refuses proxy authorisation and malformed messages") {
    SaslExchange proxy("PLAIN", base64_encode("other@a.fr\0gp@a.fr\0pw"s));
    REQUIRE(proxy.result().reply);
    CHECK(proxy.result().reply->code == 535);
    CHECK(proxy.result().reply->enhanced == "5.7.8");
    SaslExchange one_nul("PLAIN", base64_encode("gp@a.fr\0pw"s));
    REQUIRE(one_nul.result().reply);
    CHECK(one_nul.result().reply->code == 501);
    SaslExchange empty_user("PLAIN", base64_encode("\0\0pw"s));
    REQUIRE(empty_user.result().reply);
    CHECK(empty_user.result().reply->code == 535);
}

TEST_CASE("LOGIN asks for the user then the password") {
    SaslExchange x("LOGIN", std::nullopt);
    REQUIRE(x.challenge());
    CHECK(*x.challenge() == "VXNlcm5hbWU6");
    x.respond(base64_encode("gp@a.fr"));
    REQUIRE(x.challenge());
    CHECK(*x.challenge() == "UGFzc3dvcmQ6");
    x.respond(base64_encode("pw"));
    CHECK_FALSE(x.challenge());
    CHECK(x.result().authcid == "gp@a.fr");
    CHECK(x.result().password == "pw");
}

TEST_CASE("a client cancels with *") {
    SaslExchange x("LOGIN", std::nullopt);
    x.respond("*");
    CHECK_FALSE(x.challenge());
    REQUIRE(x.result().reply);
    CHECK(x.result().reply->code == 501);
}

TEST_CASE("bad base64 is 501 5.5.2") {
    SaslExchange x("PLAIN", std::string("not base64!"));
    REQUIRE(x.result().reply);
    CHECK(x.result().reply->code == 501);
    CHECK(x.result().reply->enhanced == "5.5.2");
}

TEST_CASE("EXTERNAL: '=' is an empty authorisation identity, else it is decoded") {
    SaslExchange empty("EXTERNAL", std::string("="));
    CHECK_FALSE(empty.challenge());
    CHECK_FALSE(empty.result().reply);
    CHECK(empty.result().authzid.empty());
    SaslExchange named("EXTERNAL", base64_encode("labo@a.fr"));
    CHECK(named.result().authzid == "labo@a.fr");
    CHECK(named.result().mechanism == SaslMechanism::External);
}

TEST_CASE("unknown mechanism is 504 5.5.4") {
    SaslExchange x("CRAM-MD5", std::nullopt);
    CHECK_FALSE(x.challenge());
    REQUIRE(x.result().reply);
    CHECK(x.result().reply->code == 504);
    CHECK(x.result().reply->enhanced == "5.5.4");
}
