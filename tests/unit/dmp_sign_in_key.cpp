// The CN a client certificate claims, read for the sign-in lock-outs of /dmp/fhir (pdsm_identity.h):
// the first CN of an RFC 2253 subject, escaped commas kept, "" when there is none. Pure.
#include <doctest/doctest.h>

#include "dmp/pdsm_identity.h"

using namespace mss::dmp;

TEST_CASE("common_name: the first CN of an RFC 2253 subject, whatever its place") {
    CHECK(common_name("CN=810001234565,OU=IGC-SANTE TEST,O=MSSD TEST,C=FR") == "810001234565");
    CHECK(common_name("C=FR,O=MSSD TEST,OU=IGC-SANTE TEST,CN=810001234565") == "810001234565");
    CHECK(common_name("CN=Lab\\, Lilas,CN=second,C=FR") == "Lab\\, Lilas");
    CHECK(common_name("O=no name,C=FR") == "");
    CHECK(common_name("") == "");
    CHECK(common_name("CNX=1,XCN=2") == "");
}
