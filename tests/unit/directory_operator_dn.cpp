// The whitelist's DN rule: same attributes whatever the order, case and spacing; escapes undone;
// a different or missing attribute is another certificate; malformed text never matches.
#include <doctest/doctest.h>

#include "directory/operator_dn.h"

using mss::directory::parse_dn;
using mss::directory::same_operator_dn;

TEST_CASE("the whitelist's DN and OpenSSL's RFC 2253 subject match") {
    CHECK(same_operator_dn("CN=smtp-1.sesan.santnet.com,OU=1750048886,O=GIP SESAN,ST=Paris (75),C=FR",
                           "CN=smtp-1.sesan.santnet.com,OU=1750048886,O=GIP SESAN,ST=Paris (75),C=FR"));
    CHECK(same_operator_dn("C=FR, ST=Paris (75), O=GIP SESAN, OU=1750048886, CN=smtp-1.sesan.santnet.com",
                           "CN=smtp-1.sesan.santnet.com,OU=1750048886,O=GIP  sesan,ST=Paris (75),C=FR"));
    CHECK(same_operator_dn("cn=a,o=B\\, C", "CN=A,O=b\\2C c"));
}

TEST_CASE("another or a missing attribute is another operator") {
    CHECK_FALSE(same_operator_dn("CN=smtp-1.x.fr,O=X,C=FR", "CN=smtp-2.x.fr,O=X,C=FR"));
    CHECK_FALSE(same_operator_dn("CN=smtp-1.x.fr,O=X,C=FR", "CN=smtp-1.x.fr,O=X"));
    CHECK_FALSE(same_operator_dn("CN=smtp-1.x.fr,O=X,C=FR", "CN=smtp-1.x.fr,O=X,C=FR,OU=Y"));
}

TEST_CASE("text that is not a DN never matches") {
    CHECK_FALSE(parse_dn(""));
    CHECK_FALSE(parse_dn("CN=a,,O=b"));
    CHECK_FALSE(parse_dn("just text"));
    CHECK_FALSE(parse_dn("CN=a\\"));
    CHECK_FALSE(same_operator_dn("", ""));
    CHECK_FALSE(parse_dn(std::string(5000, 'a')));
}
