// Authentication-Results as written and filtered: folded, inert values, and only the fields that
// claim our authserv-id removed, in the header only.
#include <doctest/doctest.h>

#include "pipeline/trace.h"

using mss::pipeline::authentication_results;
using mss::pipeline::SmimeResult;
using mss::pipeline::without_our_results;

TEST_CASE("a pass names the signer's address, serial and issuer") {
    SmimeResult r{"pass", "signed by 810001045367", "dr@x.fr", "1A2B", "CN=AC IGC-SANTE TEST PERSONNES,C=FR"};
    CHECK(authentication_results("mss.example", r) ==
          "Authentication-Results: mss.example;\r\n\tsmime=pass (signed by 810001045367)\r\n"
          "\tbody.smime-identifier=\"dr@x.fr\"\r\n\tbody.smime-serial=\"1A2B\"\r\n"
          "\tbody.smime-issuer=\"CN=AC IGC-SANTE TEST PERSONNES,C=FR\"\r\n");
}

TEST_CASE("values from a certificate cannot break the field") {
    SmimeResult r;
    r.result = "fail";
    r.comment = "bad) (x\r\nX-Injected: yes";
    r.issuer = "CN=\"quoted\\\",O=\xc3\xa9";
    std::string field = authentication_results("mss.example", r);
    CHECK(field.find("\r\nX-Injected") == std::string::npos);
    CHECK(field.find("(bad? ?x??X-Injected: yes)") != std::string::npos);
    CHECK(field.find("body.smime-issuer=\"CN=?quoted??,O=??\"") != std::string::npos);
}

TEST_CASE("only our own Authentication-Results fields are removed, folded ones whole") {
    std::string message =
        "Received: from a\r\n"
        "Authentication-Results: MSS.example;\r\n\tsmime=pass\r\n"
        "Authentication-Results: (comment) mss.example; dkim=pass\r\n"
        "Authentication-Results: mx.other.example; smime=pass\r\n"
        "authentication-results : mss.example; none\r\n"
        "Subject: x\r\n"
        "\r\n"
        "Authentication-Results: mss.example; in the body stays\r\n";
    CHECK(without_our_results(message, "mss.example") ==
          "Received: from a\r\n"
          "Authentication-Results: mx.other.example; smime=pass\r\n"
          "Subject: x\r\n"
          "\r\n"
          "Authentication-Results: mss.example; in the body stays\r\n");
}

TEST_CASE("a look-alike authserv-id is not ours") {
    std::string message = "Authentication-Results: mss.example.evil; smime=pass\r\nAuthentication-Results: mss.exampl;\r\n\r\n";
    CHECK(without_our_results(message, "mss.example") == message);
}

TEST_CASE("messages without a header or with bare LF pass through") {
    CHECK(without_our_results("", "h") == "");
    CHECK(without_our_results("\r\nbody", "h") == "\r\nbody");
    CHECK(without_our_results("Authentication-Results: h; x\nA: b\n\nbody", "h") == "A: b\n\nbody");
    CHECK(without_our_results("Authentication-Results: h", "h") == "");
}
