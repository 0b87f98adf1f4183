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

TEST_CASE("every spelling of our authserv-id is ours (RFC 8601 section 5)") {
    for (std::string_view field : {
             "Authentication-Results: \"mss.example\"; smime=pass\r\n",
             "Authentication-Results: mss.example.; smime=pass\r\n",
             "Authentication-Results: \"MSS.Example.\"; smime=pass\r\n",
             "Authentication-Results: \"mss\\.example\"; smime=pass\r\n",
             "Authentication-Results: \" mss.example \"; smime=pass\r\n",
             "Authentication-Results: (a (nested \\) comment)) mss.example (x); smime=pass\r\n",
             "Authentication-Results: (\\() mss.example; smime=pass\r\n",
             "Authentication-Results:\r\n (folded)\r\n\tmss.example\r\n\t; smime=pass\r\n",
             "Authentication-Results: \"mss.example\r\n \"; smime=pass\r\n",
             "Authentication-Results: mss.example 1; smime=pass\r\n",
             "Authentication-Results: mss.example(comment); smime=pass\r\n",
             "AUTHENTICATION-RESULTS\t: mss.example;smime=pass\r\n",
             "Authentication-Results: mss.example\r\n",
         }) {
        CAPTURE(field);
        std::string message = std::string(field) + "Subject: x\r\n\r\nbody";
        CHECK(without_our_results(message, "mss.example") == "Subject: x\r\n\r\nbody");
    }
}

TEST_CASE("a field whose authserv-id cannot be read is removed: no reader could tell it is not ours") {
    for (std::string_view field : {
             "Authentication-Results: (unclosed mss.example; smime=pass\r\n",
             "Authentication-Results: \"mss.example; smime=pass\r\n",
             "Authentication-Results: mss.example/x; smime=pass\r\n",
             "Authentication-Results: ; smime=pass\r\n",
             "Authentication-Results: \"...\"; smime=pass\r\n",
             "Authentication-Results:\r\n",
         }) {
        CAPTURE(field);
        CHECK(without_our_results(std::string(field) + "\r\nbody", "mss.example") == "\r\nbody");
    }
}

TEST_CASE("others' results stay, whatever their spelling") {
    std::string message =
        "Authentication-Results: \"mx.other.example\"; smime=pass\r\n"
        "Authentication-Results: (mss.example) mx.other.example; dkim=pass\r\n"
        "Authentication-Results: \"mss.example.evil\"; smime=pass\r\n"
        "\r\n";
    CHECK(without_our_results(message, "mss.example") == message);
}

TEST_CASE("our own name given with a trailing dot or capitals still finds our fields") {
    CHECK(without_our_results("Authentication-Results: mss.example; x\r\n\r\n", "MSS.example.") == "\r\n");
}

TEST_CASE("continuation lines opening the header are dropped: they would fold into our fields") {
    std::string message = " smime=pass\r\n\tmore\r\nSubject: x\r\n\r\n body\r\n";
    CHECK(without_our_results(message, "mss.example") == "Subject: x\r\n\r\n body\r\n");
}
