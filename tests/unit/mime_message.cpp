// Reading stored messages: header fields, RFC 2047 subjects, MIME structure within limits.
#include <doctest/doctest.h>

#include "mime/message.h"

using namespace mss::mime;

TEST_CASE("header fields are unfolded and stop at the blank line") {
    auto f = header_fields("Subject: a\r\n b\r\nFrom: x@y.fr\r\n\r\nNot: a header\r\n");
    REQUIRE(f.size() == 2);
    CHECK(f[0].name == "Subject");
    CHECK(f[0].value == "a b");
    CHECK(header_fields("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 2).size() == 2);
}

TEST_CASE("encoded subjects decode to UTF-8") {
    CHECK(decode_header_text("=?UTF-8?Q?R=C3=A9sultats?=") == "Résultats");
    CHECK(decode_header_text("=?utf-8?B?UsOpc3VsdGF0cw==?=") == "Résultats");
    CHECK(decode_header_text("=?ISO-8859-1?Q?Compte_rendu_d'=E9chographie?=") == "Compte rendu d'échographie");
    CHECK(decode_header_text("plain text") == "plain text");
}

TEST_CASE("MIME structure: parts and depth counted, limits enforced, broken MIME is a value") {
    std::string msg =
        "Subject: =?UTF-8?Q?XDM/1.0/DDM+CR?=\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        "--b\r\nContent-Type: application/zip\r\n\r\nPK\r\n--b--\r\n";
    auto info = parse_message(msg);
    REQUIRE(info.ok());
    CHECK(info->part_count == 2);
    CHECK(info->subject == "XDM/1.0/DDM+CR");
    std::string nested = "Content-Type: multipart/mixed; boundary=\"0\"\r\n\r\n";
    for (int i = 1; i < 12; ++i)
        nested += "--" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=\"" + std::to_string(i) +
                  "\"\r\n\r\n";
    MessageLimits tight;
    tight.max_depth = 4;
    CHECK_FALSE(parse_message(nested, tight).ok());
    CHECK_FALSE(parse_message(std::string(100, 'x'), {50, 32, 100}).ok());
    (void)parse_message("Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n");
}

TEST_CASE("fields by name: any case, WSP before the colon, their own continuation lines only, none past the header") {
    std::string m = "Received: x\r\n from: a@x.fr\r\nFROM : <b@x.fr>,\r\n <c@x.fr>\r\nX: y\r\n <d@x.fr>\r\n"
                    "From: e@x.fr\r\n\r\nFrom: body@x.fr\r\n";
    auto from = fields_named(m, "From", 10);
    REQUIRE(from.size() == 2);
    CHECK(from[0].value == "<b@x.fr>, <c@x.fr>");
    CHECK(from[1].value == "e@x.fr");
    CHECK(fields_named(m, "from", 1).size() == 1);
    std::string many;
    for (int i = 0; i < 5000; ++i) many += "X-Filler: x\r\n";
    CHECK(fields_named(many + "From: late@x.fr\r\n\r\n", "From", 2).size() == 1);  // no count of fields hides it
}

TEST_CASE("the last field within the limit keeps its continuation lines") {
    auto f = header_fields("A: 1\r\nB: 2\r\n 3\r\nC: 4\r\n\r\n", 2);
    REQUIRE(f.size() == 2);
    CHECK(f[1].value == "2 3");
    auto from = fields_named("From: a@x.fr,\r\n b@x.fr\r\n\r\n", "From", 1);
    REQUIRE(from.size() == 1);
    CHECK(from[0].value == "a@x.fr, b@x.fr");
}
