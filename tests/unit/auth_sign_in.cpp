// Sign-ins outside SASL (the DMP's HTTP routes) through auth::Guard: refusals counted against the
// address and the claimed professional start the same lock-outs as passwords, a success clears the
// pair, and the keys a token or a certificate claims. No clock is faked: only counts, no waiting.
#include <doctest/doctest.h>

#include "auth/guard.h"
#include "auth/jwt.h"

using namespace mss;
using namespace mss::auth;

namespace {

AuthGuardSettings settings() {
    AuthGuardSettings s;
    s.lockout_after = 2;
    s.ip_lockout_after = 4;
    s.account_delay_after = 1000;
    return s;
}

std::string token_claiming(std::string_view subject) {
    return base64url_encode(R"({"alg":"RS256"})") + "." +
           base64url_encode(std::string(R"({"SubjectNameID":")") + std::string(subject) + "\"}") + ".c2ln";
}

}  // namespace

TEST_CASE("refusals of one professional from one address lock that pair out, and only it") {
    Guard guard(1);
    const auto s = settings();
    const std::string ip = "192.0.2.7", other_ip = "192.0.2.8";
    CHECK_FALSE(guard.before_sign_in(s, ip, "psc:810001234565").locked_out);
    guard.count_sign_in(s, ip, "psc:810001234565", false);
    CHECK_FALSE(guard.before_sign_in(s, ip, "psc:810001234565").locked_out);
    guard.count_sign_in(s, ip, "psc:810001234565", false);
    auto verdict = guard.before_sign_in(s, ip, "psc:810001234565");
    CHECK(verdict.locked_out);
    CHECK(verdict.wait.count() > 0);
    CHECK(verdict.wait <= s.lockout);
    CHECK_FALSE(guard.before_sign_in(s, other_ip, "psc:810001234565").locked_out);
    CHECK_FALSE(guard.before_sign_in(s, ip, "psc:810009999999").locked_out);
}

TEST_CASE("refusals under many names lock the address out for every name") {
    Guard guard(1);
    const auto s = settings();
    for (int i = 0; i < 4; ++i) guard.count_sign_in(s, "192.0.2.9", "psc:8100000000" + std::to_string(10 + i), false);
    CHECK(guard.before_sign_in(s, "192.0.2.9", "psc:810001234565").locked_out);
    CHECK_FALSE(guard.before_sign_in(s, "192.0.2.10", "psc:810001234565").locked_out);
}

TEST_CASE("a success clears the pair's failures") {
    Guard guard(1);
    const auto s = settings();
    guard.count_sign_in(s, "192.0.2.11", "psc:810001234565", false);
    guard.count_sign_in(s, "192.0.2.11", "psc:810001234565", true);
    guard.count_sign_in(s, "192.0.2.11", "psc:810001234565", false);
    CHECK_FALSE(guard.before_sign_in(s, "192.0.2.11", "psc:810001234565").locked_out);
}

TEST_CASE("the keys: a token's claimed SubjectNameID, a certificate's CN, both as one professional") {
    CHECK(Guard::token_claimant(token_claiming("810001234565")) == "psc:810001234565");
    CHECK(Guard::token_claimant(token_claiming("810001234565")) == Guard::professional_key("810001234565"));
    CHECK(Guard::token_claimant("not-a-jwt") == "psc:");
    CHECK(Guard::professional_key(std::string(100, '8')) == "psc:" + std::string(64, '8'));
}
