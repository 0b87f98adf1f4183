// The MIME framing S/MIME relies on: header fields, Content-Type parameters, the two parts of
// multipart/signed, base64 bodies and the From mailbox; each ambiguity must be refused.
// Pure functions: no IGC, no OpenSSL.
#include <doctest/doctest.h>

#include "core/base64.h"
#include "crypto/smime_entity.h"

namespace ent = mss::crypto::smime::entity;

TEST_CASE("header fields: folded values, CRLF or LF, and lines that are not fields") {
    auto e = ent::split("From: a@b.fr\r\nSubject: one\r\n two\r\nX-Empty:\r\n\r\nbody\r\n", 10);
    REQUIRE(e.ok());
    REQUIRE(e->fields.size() == 3);
    CHECK(e->fields[1].value == " one two");
    CHECK(e->fields[1].raw == "Subject: one\r\n two\r\n");
    CHECK(e->body == "body\r\n");
    auto lf = ent::split("From: a@b.fr\nSubject: x\n\nbody\n", 10);
    REQUIRE(lf.ok());
    CHECK(lf->body == "body\n");
    auto no_body = ent::split("From: a@b.fr\r\n", 10);
    REQUIRE(no_body.ok());
    CHECK(no_body->body.empty());
    for (const char* bad : {" folded first\r\n\r\n", "no colon here\r\n\r\n", ": no name\r\n\r\n", "Bad Name: x\r\n\r\n"})
        CHECK_FALSE(ent::split(bad, 10).ok());
    CHECK_FALSE(ent::split("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 2).ok());
}

TEST_CASE("Content-Type: type, parameters, quoting, comments, and refusal of doubt") {
    auto ct = ent::parse_content_type(
        " Multipart/Signed ; protocol=\"application/pkcs7-signature\"; micalg = sha-256 (comment);\r\n"
        "\tboundary=\"a \\\"quoted\\\" b\";");
    REQUIRE_MESSAGE(ct.ok(), ct.error().message);
    CHECK(ct->is("multipart/signed"));
    CHECK(ct->param("protocol") == "application/pkcs7-signature");
    CHECK(ct->param("micalg") == "sha-256");
    CHECK(ct->param("boundary") == "a \"quoted\" b");
    CHECK_FALSE(ct->param("charset"));
    for (const char* bad : {"text", "text/", "/plain", "text/plain; charset", "text/plain; charset=",
                            "text/plain; a=1; a=2", "text/plain; A=1; a=2", "text/plain; x=\"open",
                            "text/plain (open comment", "text/plain x=1", "text/plain; =1"})
        CHECK_MESSAGE(!ent::parse_content_type(bad).ok(), bad);
    auto e = ent::split("Content-Type: text/plain\r\ncontent-type: text/html\r\n\r\n", 10);
    REQUIRE(e.ok());
    CHECK_FALSE(ent::content_type_of(*e).ok());
    auto none = ent::split("Subject: x\r\n\r\n", 10);
    REQUIRE(none.ok());
    CHECK(ent::content_type_of(*none)->is("text/plain"));
}

TEST_CASE("multipart/signed splits into exactly two parts, the CRLF before a delimiter excluded") {
    std::string body = "preamble\r\n--b\r\ncontent line\r\n\r\n--b  \r\nContent-Type: x/y\r\n\r\nsig\r\n--b--\r\nepilogue";
    auto parts = ent::split_signed(body, "b");
    REQUIRE_MESSAGE(parts.ok(), parts.error().message);
    CHECK(parts->content == "content line\r\n");
    CHECK(parts->signature == "Content-Type: x/y\r\n\r\nsig");
    auto lf = ent::split_signed("--b\ncontent\n--b\nsig\n--b--\n", "b");
    REQUIRE(lf.ok());
    CHECK(lf->content == "content");
    // "--bb" is text, not the delimiter of boundary "b".
    auto longer = ent::split_signed("--b\r\n--bb is text\r\n--b\r\nsig\r\n--b--\r\n", "b");
    REQUIRE(longer.ok());
    CHECK(longer->content == "--bb is text");
    for (const char* bad : {"--b\r\ncontent\r\n--b--\r\n", "--b\r\ncontent\r\n--b\r\nsig\r\n", "no delimiter at all",
                            "--b\r\none\r\n--b\r\ntwo\r\n--b\r\nthree\r\n--b--\r\n", "--b\r\n--b\r\nsig\r\n--b--\r\n"})
        CHECK_MESSAGE(!ent::split_signed(bad, "b").ok(), bad);
    CHECK_FALSE(ent::split_signed("--\r\nx\r\n--\r\ny\r\n----\r\n", "").ok());
}

TEST_CASE("base64 bodies: line breaks ignored, anything else refused") {
    auto e = ent::split("Content-Transfer-Encoding: BASE64\r\n\r\nTWFu\r\nIGlz\r\n", 10);
    REQUIRE(e.ok());
    CHECK(ent::decoded_body(*e).value() == "Man is");
    auto bad = ent::split("Content-Transfer-Encoding: base64\r\n\r\nTW!u\r\n", 10);
    CHECK_FALSE(ent::decoded_body(*bad).ok());
    auto qp = ent::split("Content-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n", 10);
    CHECK_FALSE(ent::decoded_body(*qp).ok());
    auto decoded = [](const std::string& body) {
        std::string entity = "Content-Transfer-Encoding: base64\r\n\r\n" + body;  // split's views point into it
        auto e = ent::split(entity, 10);
        REQUIRE(e.ok());
        return ent::decoded_body(*e);
    };
    CHECK(decoded("TWE=").value() == "Ma");
    CHECK(decoded("TQ==\r\n").value() == "M");
    CHECK(decoded(" T W\tFu ").value() == "Man");
    for (const char* bad : {"TQ=", "TQ", "TQ==TQ==", "TWE=TWFu", "T===", "=", "", "\r\n"})
        CHECK_MESSAGE(!decoded(bad).ok(), bad);
    for (std::size_t n = 1; n < 200; ++n) {
        std::string bytes;
        for (std::size_t i = 0; i < n; ++i) bytes += static_cast<char>(i * 37 + n);
        std::string lines = mss::base64_lines(bytes);
        CHECK(decoded(lines).value() == bytes);
        CHECK(lines.size() >= 2);
        CHECK(lines.substr(lines.size() - 2) == "\r\n");
    }
    std::string long_text(100, 'x');
    std::string lines = mss::base64_lines(long_text);
    CHECK(lines.find("\r\n") == 76);
    CHECK(lines.back() == '\n');
}

TEST_CASE("the From mailbox: bare, with a display name or comments; groups and lists refused") {
    CHECK(ent::single_address("jean.dupont@test.mssante.fr").value() == "jean.dupont@test.mssante.fr");
    CHECK(ent::single_address(" Dr Jean Dupont <Jean.Dupont@test.mssante.fr> ").value() == "Jean.Dupont@test.mssante.fr");
    CHECK(ent::single_address("\"Dupont, Jean <x@y>\" <jd@test.mssante.fr>").value() == "jd@test.mssante.fr");
    CHECK(ent::single_address("jd@test.mssante.fr (Jean Dupont)").value() == "jd@test.mssante.fr");
    for (const char* bad : {"", "a@b.fr, c@d.fr", "Group: a@b.fr;", "<a@b.fr> <c@d.fr>", "<a@b.fr", "a@b.fr>",
                            "no address", "<a@b.fr> trailing", "\"unterminated <a@b.fr>", "(open a@b.fr",
                            "a@b@c.fr", "<>"})
        CHECK_MESSAGE(!ent::single_address(bad).ok(), bad);
}

TEST_CASE("the signed entity keeps the Content-* fields; the outer part keeps the rest") {
    auto e = ent::split("From: a@b.fr\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\nSubject: s\r\n"
                        "Content-Transfer-Encoding: 7bit\r\n\r\nbody\r\n", 10);
    REQUIRE(e.ok());
    CHECK(ent::mime_entity(*e) == "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nbody\r\n");
    CHECK(ent::outer_fields(*e) == "From: a@b.fr\r\nSubject: s\r\n");
    CHECK(ent::canonical_crlf("a\nb\r\nc\n") == "a\r\nb\r\nc\r\n");
}
