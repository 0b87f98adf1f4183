// SASL OAUTHBEARER (RFC 7628 section 3.1) and XOAUTH2 messages as clients send them, the bad ones,
// and the refusal round: the error challenge, then BadCredentials whatever the client answers.
#include <doctest/doctest.h>

#include "auth/sasl.h"
#include "core/base64.h"

using namespace mss::auth;
using mss::base64_encode;
using namespace std::string_literals;

namespace {

SaslExchange with(const char* mechanism, const std::string& message) {
    return SaslExchange(mechanism, base64_encode(message));
}

}  // namespace

TEST_CASE("OAUTHBEARER: RFC 7628's example message, with and without an authzid") {
    auto x = with("OAUTHBEARER", "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
                                 "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
    CHECK_FALSE(x.challenge());
    CHECK(x.bearer());
    CHECK(x.result().failure == SaslFailure::None);
    CHECK(x.result().authzid == "user@example.com");
    CHECK(x.result().token == "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    auto y = with("OAUTHBEARER", "n,,\x01" "auth=bearer a.b.c\x01\x01");
    CHECK(y.result().failure == SaslFailure::None);
    CHECK(y.result().authzid.empty());
    CHECK(y.result().token == "a.b.c");
    auto escaped = with("OAUTHBEARER", "y,a=odd=2Cname=3D@x.fr,\x01" "auth=Bearer t\x01\x01");
    CHECK(escaped.result().authzid == "odd,name=@x.fr");
}

TEST_CASE("OAUTHBEARER without an initial response asks with an empty challenge") {
    SaslExchange x("OAUTHBEARER", std::nullopt);
    REQUIRE(x.challenge());
    CHECK(*x.challenge() == "");
    x.respond(base64_encode("n,,\x01" "auth=Bearer t\x01\x01"s));
    CHECK_FALSE(x.challenge());
    CHECK(x.result().token == "t");
}

TEST_CASE("OAUTHBEARER: malformed messages") {
    for (std::string bad : {"n,,auth=Bearer t\x01\x01"s,          // no kvsep after the gs2 header
                            "p=tls-unique,,\x01" "auth=Bearer t\x01\x01"s,  // channel binding
                            "n,a=,\x01" "auth=Bearer t\x01\x01"s,    // empty authzid
                            "n,a=x=41,\x01" "auth=Bearer t\x01\x01"s,  // bad escape
                            "n,,\x01" "auth=Bearer t\x01"s,          // no final kvsep
                            "n,,\x01" "auth=Basic dDp0\x01\x01"s,    // not a bearer
                            "n,,\x01" "auth=Bearer \x01\x01"s,       // no token
                            "n,,\x01" "auth=Bearer a b\x01\x01"s,    // not a b64token
                            "n,,\x01" "host=x\x01\x01"s,             // no auth
                            "n,,\x01" "auth=Bearer t\x01" "auth=Bearer u\x01\x01"s,
                            "n,,\x01" "auth=Bearer " + std::string(9000, 'a') + "\x01\x01"}) {
        CAPTURE(bad);
        CHECK(with("OAUTHBEARER", bad).result().failure == SaslFailure::Malformed);
    }
}

TEST_CASE("XOAUTH2: Google's format") {
    auto x = with("XOAUTH2", "user=someuser@example.com\x01" "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01");
    CHECK(x.result().failure == SaslFailure::None);
    CHECK(x.result().authzid == "someuser@example.com");
    CHECK(x.result().token == "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    for (std::string bad : {"user=a@b.fr\x01" "auth=Bearer t\x01"s, "user=\x01" "auth=Bearer t\x01\x01"s,
                            "auth=Bearer t\x01\x01"s, "user=a@b.fr\x01" "auth=t\x01\x01"s,
                            "user=a@b.fr\x01" "auth=Bearer t\x01x\x01\x01"s}) {
        CAPTURE(bad);
        CHECK(with("XOAUTH2", bad).result().failure == SaslFailure::Malformed);
    }
}

TEST_CASE("a refused token: one error challenge, then BadCredentials whatever the answer") {
    for (std::string answer : {"AQ=="s, ""s, "*"s, "garbage"s}) {
        auto x = with("OAUTHBEARER", "n,,\x01" "auth=Bearer t\x01\x01");
        x.refuse_token(R"({"status":"invalid_token"})");
        REQUIRE(x.challenge());
        CHECK(*x.challenge() == base64_encode(R"({"status":"invalid_token"})"));
        x.respond(answer);
        CHECK_FALSE(x.challenge());
        CHECK(x.result().failure == SaslFailure::BadCredentials);
    }
}
