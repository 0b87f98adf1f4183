// Binary parts re-encoded at APPEND (imap/append_encoding): no NUL left, base64 of the same octets,
// every other byte of the message kept.
#include <doctest/doctest.h>

#include <string>

#include "core/base64.h"
#include "imap/append_encoding.h"

using namespace mss;
using namespace std::string_literals;

TEST_CASE("a message without NUL is stored as it came") {
    std::string m = "Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\nplain\r\n";
    CHECK(imap::without_nul_octets(m) == m);
}

TEST_CASE("a single-part binary message: its field replaced, its body in base64") {
    std::string body = "ab\0cd"s;
    std::string m = "Subject: x\r\nContent-Transfer-Encoding: binary\r\n\tcontinued\r\nX-Other: y\r\n\r\n" + body;
    auto out = imap::without_nul_octets(m);
    REQUIRE(out);
    CHECK(*out == "Subject: x\r\nX-Other: y\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64_encode(body));
}

TEST_CASE("in a multipart, only the part holding NUL changes") {
    std::string pdf = "%PDF\0\x01\x02"s;
    std::string m = "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\n"
                    "Content-Type: text/plain\r\n\r\ntexte\r\n--b\r\nContent-Type: application/pdf\r\n"
                    "Content-Transfer-Encoding: binary\r\n\r\n" + pdf + "\r\n--b--\r\n";
    auto out = imap::without_nul_octets(m);
    REQUIRE(out);
    CHECK(out->find('\0') == std::string::npos);
    CHECK(out->find("Content-Type: text/plain\r\n\r\ntexte\r\n--b\r\n") != std::string::npos);
    CHECK(out->find("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64_encode(pdf) +
                    "\r\n--b--\r\n") != std::string::npos);
}

TEST_CASE("NUL outside every part's body cannot be stored") {
    CHECK_FALSE(imap::without_nul_octets("Subject: a\0b\r\n\r\nbody\r\n"s));
    CHECK_FALSE(imap::without_nul_octets("Content-Type: multipart/mixed; boundary=b\r\n\r\npre\0amble\r\n--b\r\n\r\nx\r\n--b--\r\n"s));
}
