// SASL exchanges as the session drives them: PLAIN, LOGIN, EXTERNAL, cancellation and bad input.
#include <doctest/doctest.h>

#include "core/base64.h"
#include "auth/sasl.h"

using namespace mss::auth;
using mss::base64_encode;
using namespace std::string_literals;

TEST_CASE("PLAIN with an initial response finishes at once") {
    SaslExchange x("PLAIN", base64_encode("\0gp@a.fr\0pw"s));
    CHECK_FALSE(x.challenge());
    CHECK(x.result().failure == SaslFailure::None);
    CHECK(x.result().authcid == "gp@a.fr");
    CHECK(x.result().password == "pw");
}

TEST_CASE("PLAIN without initial response asks with an empty challenge") {
    SaslExchange x("PLAIN", std::nullopt);
    REQUIRE(x.challenge());
    CHECK(*x.challenge() == "");
    x.respond(base64_encode("gp@a.fr\0gp@a.fr\0pw"s));
    CHECK_FALSE(x.challenge());
    CHECK(x.result().failure == SaslFailure::None);
    CHECK(x.result().authzid == "gp@a.fr");
}

TEST_CASE("PLAIN refuses proxy authorisation and malformed messages") {
    SaslExchange proxy("PLAIN", base64_encode("other@a.fr\0gp@a.fr\0pw"s));
    CHECK(proxy.result().failure == SaslFailure::BadCredentials);
    SaslExchange one_nul("PLAIN", base64_encode("gp@a.fr\0pw"s));
    CHECK(one_nul.result().failure == SaslFailure::Malformed);
    SaslExchange empty_user("PLAIN", base64_encode("\0\0pw"s));
    CHECK(empty_user.result().failure == SaslFailure::BadCredentials);
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
    CHECK(x.result().failure == SaslFailure::Cancelled);
}

TEST_CASE("bad base64 is malformed") {
    SaslExchange x("PLAIN", std::string("not base64!"));
    CHECK(x.result().failure == SaslFailure::Malformed);
}

TEST_CASE("EXTERNAL: '=' is an empty authorisation identity, else it is decoded") {
    SaslExchange empty("EXTERNAL", std::string("="));
    CHECK_FALSE(empty.challenge());
    CHECK(empty.result().failure == SaslFailure::None);
    CHECK(empty.result().authzid.empty());
    SaslExchange named("EXTERNAL", base64_encode("labo@a.fr"));
    CHECK(named.result().authzid == "labo@a.fr");
    CHECK(named.result().mechanism == SaslMechanism::External);
}

TEST_CASE("an unknown mechanism is unsupported") {
    SaslExchange x("CRAM-MD5", std::nullopt);
    CHECK_FALSE(x.challenge());
    CHECK(x.result().failure == SaslFailure::Unsupported);
}
