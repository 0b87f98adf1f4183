// HTTP Basic credentials (RFC 7617) as the guarded routes read them: the scheme without case, the
// password may hold colons, anything malformed gives nothing.
#include <doctest/doctest.h>

#include "core/base64.h"
#include "http/guarded.h"

using mss::base64_encode;
using mss::http::basic_credentials;

TEST_CASE("Basic credentials are split at the first colon") {
    auto c = basic_credentials("Basic " + base64_encode("jean.dupont@test.mssante.fr:pa:ss w"));
    REQUIRE(c);
    CHECK(c->user == "jean.dupont@test.mssante.fr");
    CHECK(c->password == "pa:ss w");
    CHECK(basic_credentials("basic  " + base64_encode("a:b")));
}

TEST_CASE("other schemes and malformed values give nothing") {
    CHECK_FALSE(basic_credentials("Bearer abc"));
    CHECK_FALSE(basic_credentials("Basic"));
    CHECK_FALSE(basic_credentials("Basic !!!"));
    CHECK_FALSE(basic_credentials("Basic " + base64_encode("no-colon")));
    CHECK_FALSE(basic_credentials("Basic " + base64_encode(":password")));
}
