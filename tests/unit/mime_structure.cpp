// MIME structure, ENVELOPE, BODY/BODYSTRUCTURE, BODY[section] and BINARY. Goldens were checked
// against Dovecot 2.3.19 fetching the same messages; where we differ on purpose (RFC 2045/2046 over
// Dovecot's habits, octets as stored rather than LF counted as CRLF) the test says so.
#include <doctest/doctest.h>

#include "mime/bodystructure.h"
#include "mime/structure.h"

using namespace mss::mime;

namespace {

// Test messages are written with LF; stored messages have CRLF.
std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

std::string bodystructure(const std::string& m) { return body_structure(m, parse_structure(m), true); }
std::string body(const std::string& m) { return body_structure(m, parse_structure(m), false); }
std::string envelope_of(const std::string& m) { return envelope(std::string_view(m).substr(0, header_length(m))); }

std::string section(const std::string& m, std::vector<uint32_t> part, SectionText text = SectionText::None,
                    std::vector<std::string> fields = {}) {
    return part_section(m, parse_structure(m), SectionSpec{std::move(part), text, std::move(fields)});
}

std::optional<std::string> binary(const std::string& m, std::vector<uint32_t> part) {
    return binary_content(m, parse_structure(m), part);
}

const std::string kMixed = crlf(R"(From: "Laboratoire Y" <lab@labo-y.mssante.fr>
To: dr.martin@hopital-x.mssante.fr
Subject: =?UTF-8?Q?R=C3=A9sultats?=
Date: Mon, 3 Nov 2025 10:00:00 +0100
Message-ID: <abc@labo-y.mssante.fr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_b1"

This is a preamble.
--=_b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

R=C3=A9sultat normal.
Deux lignes.
--=_b1
Content-Type: application/pdf; name="cr.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="cr.pdf"; size=12
Content-ID: <pdf1@x>
Content-Description: Compte rendu
Content-Language: fr, en
Content-Location: http://x.fr/cr.pdf
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoK
--=_b1--
Epilogue here.
)");

const std::string kForward = crlf(R"(From: a@b.fr
To: c@d.fr
Subject: fwd
Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

see attached
--x
Content-Type: message/rfc822
Content-Disposition: attachment

From: "Inner, Sender" <in@n.fr>
To: u1@d.fr, Group: g1@d.fr, g2@d.fr;
Subject: inner subject
Date: Tue, 4 Nov 2025 08:00:00 +0000
Message-ID: <inner@n.fr>
In-Reply-To: <prev@n.fr>
Content-Type: multipart/alternative; boundary=y

--y
Content-Type: text/plain

inner plain
line2
--y
Content-Type: text/html

<b>inner</b>
--y--
--x
Content-Type: message/rfc822

Subject: simple inner

just text
--x--
)");

}  // namespace

TEST_CASE("a simple text message is its own part 1") {
    std::string m = crlf("Subject: hi\nFrom: a@b.fr\n\nhello\n");
    CHECK(bodystructure(m) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL))");
    CHECK(body(m) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1))");
    CHECK(envelope_of(m) == R"((NIL "hi" ((NIL NIL "a" "b.fr")) ((NIL NIL "a" "b.fr")) ((NIL NIL "a" "b.fr")) NIL NIL NIL NIL NIL))");
    CHECK(section(m, {1}) == "hello\r\n");
    CHECK(section(m, {1}, SectionText::Mime) == "Subject: hi\r\nFrom: a@b.fr\r\n\r\n");
    CHECK(section(m, {2}).empty());
    CHECK(section(m, {1, 1}).empty());
    CHECK(section(m, {1}, SectionText::Header).empty());  // part 1 is not message/rfc822
}

TEST_CASE("multipart/mixed: extension data, preamble and epilogue outside the parts") {
    CHECK(bodystructure(kMixed) ==
          R"((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 35 1 NIL NIL NIL NIL))"
          R"(("application" "pdf" ("name" "cr.pdf") "<pdf1@x>" "Compte rendu" "base64" 36 "Q2hlY2sgSW50ZWdyaXR5IQ==" )"
          R"(("attachment" ("filename" "cr.pdf" "size" "12")) ("fr" "en") "http://x.fr/cr.pdf") "mixed" ("boundary" "=_b1") NIL NIL NIL))");
    CHECK(body(kMixed) == R"((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 35 1))"
                          R"(("application" "pdf" ("name" "cr.pdf") "<pdf1@x>" "Compte rendu" "base64" 36) "mixed"))");
    CHECK(envelope_of(kMixed) ==
          R"(("Mon, 3 Nov 2025 10:00:00 +0100" "=?UTF-8?Q?R=C3=A9sultats?=" (("Laboratoire Y" NIL "lab" "labo-y.mssante.fr")) )"
          R"((("Laboratoire Y" NIL "lab" "labo-y.mssante.fr")) (("Laboratoire Y" NIL "lab" "labo-y.mssante.fr")) )"
          R"(((NIL NIL "dr.martin" "hopital-x.mssante.fr")) NIL NIL NIL "<abc@labo-y.mssante.fr>"))");
    CHECK(section(kMixed, {1}) == "R=C3=A9sultat normal.\r\nDeux lignes.");
    CHECK(section(kMixed, {2}, SectionText::Mime).starts_with("Content-Type: application/pdf; name=\"cr.pdf\"\r\n"));
    CHECK(section(kMixed, {2}, SectionText::Mime).ends_with("Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n\r\n"));
    CHECK(section(kMixed, {3}).empty());
}

TEST_CASE("nested multipart/alternative: a multipart part's body runs to the outer delimiter") {
    std::string m = crlf(R"(From: a@b.fr
Subject: nested
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain

plain
--inner
Content-Type: text/html; charset="iso-8859-1"

<p>html</p>
--inner--

--outer
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer--
)");
    CHECK(bodystructure(m) ==
          R"(((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL))"
          R"(("text" "html" ("charset" "iso-8859-1") NIL NIL "7bit" 11 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL))"
          R"(("image" "png" NIL NIL NIL "base64" 12 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL))");
    CHECK(body(m) == R"(((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0)("text" "html" ("charset" "iso-8859-1") NIL NIL "7bit" 11 0) "alternative"))"
                     R"(("image" "png" NIL NIL NIL "base64" 12) "mixed"))");
    CHECK(section(m, {1}).size() == 126);
    CHECK(section(m, {1}).ends_with("<p>html</p>\r\n--inner--\r\n"));
    CHECK(section(m, {1}, SectionText::Mime) == "Content-Type: multipart/alternative; boundary=inner\r\n\r\n");
    CHECK(section(m, {1, 2}, SectionText::Mime) == "Content-Type: text/html; charset=\"iso-8859-1\"\r\n\r\n");
    CHECK(section(m, {1, 2}) == "<p>html</p>");
}

TEST_CASE("message/rfc822 parts carry the envelope, the inner structure and the line count") {
    // Dovecot counts the CRLF after "--y--" in part 2 (343 octets, 18 lines); by RFC 2046's grammar
    // that CRLF starts the outer delimiter, so part 2 is 341 octets and 17 lines here.
    CHECK(bodystructure(kForward) ==
          R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL))"
          R"(("message" "rfc822" NIL NIL NIL "7bit" 341 ("Tue, 4 Nov 2025 08:00:00 +0000" "inner subject" )"
          R"((("Inner, Sender" NIL "in" "n.fr")) (("Inner, Sender" NIL "in" "n.fr")) (("Inner, Sender" NIL "in" "n.fr")) )"
          R"(((NIL NIL "u1" "d.fr")(NIL NIL "Group" NIL)(NIL NIL "g1" "d.fr")(NIL NIL "g2" "d.fr")(NIL NIL NIL NIL)) NIL NIL )"
          R"("<prev@n.fr>" "<inner@n.fr>") (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 1 NIL NIL NIL NIL))"
          R"(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" ("boundary" "y") NIL NIL NIL) )"
          R"(17 NIL ("attachment" NIL) NIL NIL))"
          R"(("message" "rfc822" NIL NIL NIL "7bit" 34 (NIL "simple inner" NIL NIL NIL NIL NIL NIL NIL NIL) )"
          R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL))");
    CHECK(body(kForward).find(R"(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 12 0) "alternative") 17))") !=
          std::string::npos);
}

TEST_CASE("part numbers inside message/rfc822 (RFC 3501 6.4.5)") {
    CHECK(section(kForward, {2}).starts_with("From: \"Inner, Sender\" <in@n.fr>\r\n"));
    CHECK(section(kForward, {2}).ends_with("<b>inner</b>\r\n--y--"));
    CHECK(section(kForward, {2}, SectionText::Mime) == "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n");
    CHECK(section(kForward, {2}, SectionText::Header).ends_with("Content-Type: multipart/alternative; boundary=y\r\n\r\n"));
    CHECK(section(kForward, {2}, SectionText::Header).size() == 237);
    CHECK(section(kForward, {2}, SectionText::Text).starts_with("--y\r\n"));
    CHECK(section(kForward, {2}, SectionText::HeaderFields, {"SUBJECT"}) == "Subject: inner subject\r\n\r\n");
    CHECK(section(kForward, {2, 1}) == "inner plain\r\nline2");
    CHECK(section(kForward, {2, 2}, SectionText::Mime) == "Content-Type: text/html\r\n\r\n");
    CHECK(section(kForward, {3, 1}) == "just text");  // a non-multipart inner message's part 1 is itself
    CHECK(section(kForward, {3, 1}, SectionText::Mime) == "Subject: simple inner\r\n\r\n");
    CHECK(section(kForward, {3}, SectionText::Text) == "just text");
    CHECK(section(kForward, {3, 2}).empty());
    CHECK(section(kForward, {2, 1, 1}).empty());  // Dovecot answers part 2.1 here; it does not exist
    CHECK(section(kForward, {1}, SectionText::Text).empty());
    CHECK(section(kForward, {1}, SectionText::HeaderFields, {"CONTENT-TYPE"}).empty());
    CHECK(section(kForward, {4}).empty());
    CHECK(section(kForward, {0}).empty());
}

TEST_CASE("a top-level message/rfc822: part 1 is the encapsulated message, 1.1 its body") {
    std::string m = crlf("From: a@b.fr\nSubject: rfc822 top\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain\n\ninner body\n");
    CHECK(bodystructure(m) == R"(("message" "rfc822" NIL NIL NIL "7bit" 56 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) )"
                              R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL))");
    CHECK(section(m, {1}).size() == 56);
    CHECK(section(m, {1}, SectionText::Header) == "Subject: inner\r\nContent-Type: text/plain\r\n\r\n");
    CHECK(section(m, {1}, SectionText::Mime) == "From: a@b.fr\r\nSubject: rfc822 top\r\nContent-Type: message/rfc822\r\n\r\n");
    CHECK(section(m, {1, 1}) == "inner body\r\n");
    CHECK(section(m, {1, 1}, SectionText::Mime) == "Subject: inner\r\nContent-Type: text/plain\r\n\r\n");
}

TEST_CASE("S/MIME: application/pkcs7-mime and multipart/signed with its protocol") {
    std::string enveloped = crlf(R"(From: a@b.fr
To: c@d.fr
Subject: chiffre
MIME-Version: 1.0
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=smime.p7m

MIAGCSqGSIb3DQEHA6CAMIACAQAxggFAMIIBPAIBADAkMB8xHTAbBgNVBAMMFFRl
c3QgQ0EgcGxhbmV0ZQIBATANBgkqhkiG9w0BAQEFAASCAQA=
)");
    CHECK(bodystructure(enveloped) == R"(("application" "pkcs7-mime" ("smime-type" "enveloped-data" "name" "smime.p7m") NIL NIL )"
                                      R"("base64" 116 NIL ("attachment" ("filename" "smime.p7m")) NIL NIL))");
    CHECK(binary(enveloped, {1})->starts_with("\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03"));
    std::string signed_message = crlf(R"(From: a@b.fr
To: c@d.fr
Subject: signe
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="----S1"

This is an S/MIME signed message

------S1
Content-Type: text/plain; charset=us-ascii

Signed body.
------S1
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"

MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0B
------S1--

)");
    CHECK(bodystructure(signed_message) ==
          R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL))"
          R"(("application" "pkcs7-signature" ("name" "smime.p7s") NIL NIL "base64" 64 NIL ("attachment" ("filename" "smime.p7s")) NIL NIL) )"
          R"("signed" ("protocol" "application/pkcs7-signature" "micalg" "sha-256" "boundary" "----S1") NIL NIL NIL))");
    // The signed content is part 1's MIME header and body, octet for octet (RFC 8551 3.5).
    CHECK(section(signed_message, {1}, SectionText::Mime) + section(signed_message, {1}) ==
          "Content-Type: text/plain; charset=us-ascii\r\n\r\nSigned body.");
}

TEST_CASE("multipart/digest parts default to message/rfc822") {
    std::string m = crlf("From: a@b.fr\nSubject: digest\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n"
                         "--d\nContent-Type: text/plain\n\nsecond\n--d--\n");
    CHECK(bodystructure(m) == R"((("message" "rfc822" NIL NIL NIL "7bit" 21 (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL) )"
                              R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL))"
                              R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 0 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL))");
}

TEST_CASE("broken MIME: a multipart without a usable boundary is text/plain") {
    std::string no_boundary = crlf("From: a@b.fr\nContent-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n");
    CHECK(bodystructure(no_boundary) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 44 5 NIL NIL NIL NIL))");
    CHECK(section(no_boundary, {1}) == crlf("--x\nContent-Type: text/plain\n\nhi\n--x--\n"));
    std::string never = crlf("Subject: x\nContent-Type: multipart/mixed; boundary=nope\n\npreamble only\n");
    CHECK(bodystructure(never) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 15 1 NIL NIL NIL NIL))");
    std::string empty_boundary = crlf("Content-Type: multipart/mixed; boundary=\"\"\nContent-Transfer-Encoding: 8bit\n\n--\n--\n");
    CHECK(body(empty_boundary) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "8bit" 8 2))");
    std::string close_first = crlf("Content-Type: multipart/mixed; boundary=c\n\n--c--\n--c\n\nafter close\n");
    CHECK(body(close_first) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 27 4))");
}

TEST_CASE("broken MIME: an unterminated multipart ends with the message") {
    std::string m = crlf("From: a@b.fr\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\npart one\n"
                         "--b\nContent-Type: text/html\n\n<p>never closed\n");
    CHECK(bodystructure(m) == R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL))"
                              R"(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 17 1 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))");
    CHECK(section(m, {2}) == "<p>never closed\r\n");
}

TEST_CASE("broken MIME: missing or invalid Content-Type takes the RFC 2045 default") {
    std::string no_type = "Subject: no type\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n";
    CHECK(bodystructure(no_type) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "8bit" 7 1 NIL NIL NIL NIL))");
    // Dovecot answers ("text" "" ...) and ("" "" ...) for these; RFC 2045 5.2 says text/plain.
    CHECK(body(crlf("Content-Type: text\n\nx\n")) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1))");
    CHECK(body(crlf("Content-Type: /plain; charset=x\nContent-Type: image/gif\n\nx\n")) ==
          R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1))");
    CHECK(body(crlf("Content-Type:\n\nx\n")) == R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1))");
    CHECK(body(crlf("Content-Type: TEXT/HTML\n\nx\n")) == R"(("TEXT" "HTML" ("charset" "us-ascii") NIL NIL "7bit" 3 1))");
}

TEST_CASE("broken MIME: bad parameters are skipped, the good ones kept") {
    std::string m = crlf("Content-Type: text/plain; charset; foo=bar; =x; format=flowed; name=\"unterminated\n"
                         "Content-Disposition: inline; filename\nContent-Transfer-Encoding: 7BIT\n\nbody\n");
    CHECK(bodystructure(m) ==
          R"(("text" "plain" ("foo" "bar" "format" "flowed" "charset" "us-ascii") NIL NIL "7BIT" 6 1 NIL ("inline" NIL) NIL NIL))");
    CHECK(body(crlf("Content-Type: text/plain; name=a b; charset=\"\" (c)\n\nx\n")) ==
          R"(("text" "plain" ("name" "a" "charset" "") NIL NIL "7bit" 3 1))");
}

TEST_CASE("RFC 2231 continuations are joined; extended values stay encoded") {
    auto ct = parse_content_type("APPLICATION/OCTET-STREAM; NAME*0=\"long\"; NAME*1=\"name.pdf\"; title*=utf-8''%E2%82%AC; x=(c)\"y\"");
    REQUIRE(ct);
    CHECK(ct->type == "APPLICATION");
    CHECK(ct->params == std::vector<Param>{{"title*", "utf-8''%E2%82%AC"}, {"x", "y"}, {"NAME", "longname.pdf"}});
    auto mixed = parse_content_type("text/plain; f*1=\"b c%\"; f*0*=utf-8''a%20");
    REQUIRE(mixed);
    CHECK(mixed->params == std::vector<Param>{{"f*", "utf-8''a%20b%20c%25"}});
}

TEST_CASE("broken MIME: bare LF line ends, sizes in stored octets") {
    std::string m = "From: a@b.fr\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nl1\nl2\n"
                    "--z\nContent-Type: text/plain\n\r\nmix\r\n--z--\n";
    // Dovecot counts each LF as CRLF (6 octets for part 1); we count the octets BODY[1] returns.
    CHECK(body(m) == R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 1)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0) "mixed"))");
    CHECK(section(m, {1}) == "l1\nl2");
    CHECK(section(m, {2}) == "mix");
    CHECK(section(m, {}, SectionText::Text).starts_with("--z\n"));
}

TEST_CASE("broken MIME: a delimiter inside a header cuts the part short") {
    std::string m = crlf(R"(Subject: cut
Content-Type: multipart/mixed; boundary=f

--f
Content-Type: text/plain
--f

no header
--f
--f
Content-Type: message/rfc822

Subject: no blank
--f
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

U3ViamVjdDogeA0KDQpib2R5DQo=
--f--
)");
    CHECK(body(m) == R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))"
                     R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0))"
                     R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))"
                     R"(("message" "rfc822" NIL NIL NIL "7bit" 17 (NIL "no blank" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) 0))"
                     R"(("message" "rfc822" NIL NIL NIL "base64" 28 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) 0) "mixed"))");
    CHECK(section(m, {1}, SectionText::Mime) == "Content-Type: text/plain");
    CHECK(section(m, {2}, SectionText::Mime) == "\r\n");
    CHECK(section(m, {3}, SectionText::Mime).empty());
    CHECK(section(m, {4}) == "Subject: no blank");
    CHECK(section(m, {4}, SectionText::Header) == "Subject: no blank");
}

TEST_CASE("a part never ends before its last child: an empty last part before the outer delimiter") {
    std::string m = crlf("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/alternative; boundary=y\n\n"
                         "--y\nContent-Type: text/plain\n\nplain\n--y\n--x--\n");
    auto root = parse_structure(m);
    const Part& alternative = root.children.at(0);
    REQUIRE(alternative.children.size() == 2);
    CHECK(alternative.children[1].header_size() == 0);
    CHECK(alternative.children[1].body_size() == 0);
    CHECK(alternative.end == alternative.children[1].end);
    CHECK(section(m, {1}).ends_with("plain\r\n--y\r\n"));
}

TEST_CASE("parameters past the 256th are dropped") {
    std::string value = "text/plain";
    for (int i = 0; i < 1000; ++i) value += "; p" + std::to_string(i) + "*" + std::to_string(i) + "=v";
    auto ct = parse_content_type(value);
    REQUIRE(ct);
    CHECK(ct->params.size() == 256);
}

TEST_CASE("boundaries: innermost first, prefix match, transport padding") {
    std::string m = crlf("Content-Type: multipart/mixed; boundary=\"a b\"\n\n--a b  \nContent-Type: multipart/mixed; boundary=\"a b-1\"\n\n"
                         "--a b-1\nContent-Type: text/plain\n\none\n--a b-1--\n--a b\nContent-Type: text/plain\n\ntwo\n--a b--\n");
    CHECK(body(m) == R"(((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0) "mixed")("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0) "mixed"))");
    CHECK(section(m, {1, 1}) == "one");
    CHECK(section(m, {2}) == "two");
}

TEST_CASE("extension fields: trimmed values, language lists, first field wins") {
    std::string m = crlf("Content-Type: text/plain; CHARSET=UTF-8\nContent-Type: text/html\nContent-Language: fr\n"
                         "Content-ID:  <id1@x>  \nContent-Description:   desc   \nContent-Transfer-Encoding:  Base64 (comment) \n"
                         "Content-Disposition: attachment\nContent-Location:  http://a.fr/\n  x\n\naGk=\n");
    CHECK(bodystructure(m) == R"(("text" "plain" ("CHARSET" "UTF-8") "<id1@x>" "desc" "Base64" 6 1 NIL ("attachment" NIL) ("fr") "http://a.fr/  x"))");
    CHECK(binary(m, {1}) == "hi");
}

TEST_CASE("ENVELOPE: raw unfolded strings, defaults, quoting, groups and routes") {
    std::string m = crlf(R"(Date: Wed, 5 Nov 2025
 12:00:00 +0100
Subject: Compte rendu "urgent" \ test
From: "Dr. Martin \"Jr\"" <martin@x.fr>, k@y.fr (Kay Smith)
Sender: secretariat@x.fr
Reply-To: undisclosed-recipients:;
To: Group One: a@b.fr, "B" <b@c.fr>;, lone@z.fr
Cc: <@route1.fr,@route2.fr:routed@z.fr>, NoDomain, 
Bcc: =?iso-8859-1?q?Jos=E9?= <jose@x.fr>
In-Reply-To: <a@b> <c@d>
Message-ID:   <id@x.fr>  

text
)");
    // Dovecot sends the subject and the first name as literals; quoted strings are as valid.
    CHECK(envelope_of(m) ==
          R"(("Wed, 5 Nov 2025 12:00:00 +0100" "Compte rendu \"urgent\" \\ test" (("Dr. Martin \"Jr\"" NIL "martin" "x.fr"))"
          R"(("Kay Smith" NIL "k" "y.fr")) ((NIL NIL "secretariat" "x.fr")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) )"
          R"(((NIL NIL "Group One" NIL)(NIL NIL "a" "b.fr")("B" NIL "b" "c.fr")(NIL NIL NIL NIL)(NIL NIL "lone" "z.fr")) )"
          R"(((NIL "@route1.fr,@route2.fr" "routed" "z.fr")(NIL NIL "NoDomain" "MISSING_DOMAIN")) )"
          R"((("=?iso-8859-1?q?Jos=E9?=" NIL "jose" "x.fr")) "<a@b> <c@d>" "<id@x.fr>  "))");
    CHECK(envelope_of(crlf("Subject: no from\n\n")) == "(NIL \"no from\" NIL NIL NIL NIL NIL NIL NIL NIL)");
    CHECK(envelope_of(crlf("Subject: first\nSubject: second\nDate:\n\n")) == "(\"\" \"second\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("addresses: unquoting, comments as names, missing parts, lenient recovery") {
    using A = EnvelopeAddress;
    CHECK(parse_addresses("\"john doe\"@x.fr, <>, @x.fr, Name <>, a@[1.2.3.4]") ==
          std::vector<A>{{{}, {}, "john doe", "x.fr"}, {{}, {}, "MISSING_MAILBOX", "MISSING_DOMAIN"},
                         {{}, {}, "MISSING_MAILBOX", "x.fr"}, {"Name", {}, "MISSING_MAILBOX", "MISSING_DOMAIN"},
                         {{}, {}, "a", "[1.2.3.4]"}});
    CHECK(parse_addresses("a (first) (second) @ b . fr") == std::vector<A>{{"second", {}, "a", "b.fr"}});
    CHECK(parse_addresses("A B   C <abc@x.fr>, Dr. No <no@x.fr>") ==
          std::vector<A>{{"A B C", {}, "abc", "x.fr"}, {"Dr. No", {}, "no", "x.fr"}});
    CHECK(parse_addresses("broken <a@b.fr, next@x.fr") == std::vector<A>{{"broken", {}, "a", "b.fr"}, {{}, {}, "next", "x.fr"}});
    CHECK(parse_addresses("g: ;, h: x@y.fr, ,, (just comment)") ==
          std::vector<A>{{{}, {}, "g", {}}, {}, {{}, {}, "h", {}}, {{}, {}, "x", "y.fr"}, {}});
    CHECK(parse_addresses("<a@b.fr> trailing garbage, c@d.fr") == std::vector<A>{{{}, {}, "a", "b.fr"}, {{}, {}, "c", "d.fr"}});
    CHECK(parse_addresses(" , ,").empty());
    CHECK(parse_addresses(">>;;::<<").empty());
    std::string many;
    for (int i = 0; i < 100000; ++i) many += "u" + std::to_string(i) + "@x.fr, ";
    CHECK(parse_addresses(many).size() == 65536 / 6 + 1);  // read up to its 65,536th token, 6 an address
}

TEST_CASE("8-bit header text goes as literals") {
    std::string m = "From: =?utf-8?q?R=C3=A9mi?= <r@x.fr>\r\nSubject: caf\xc3\xa9\r\nTo: \"Jos\xc3\xa9\" <j@x.fr>\r\n\r\nbody\r\n";
    CHECK(envelope_of(m) == "(NIL {5}\r\ncaf\xc3\xa9 ((\"=?utf-8?q?R=C3=A9mi?=\" NIL \"r\" \"x.fr\")) ((\"=?utf-8?q?R=C3=A9mi?=\" NIL \"r\" \"x.fr\")) "
                            "((\"=?utf-8?q?R=C3=A9mi?=\" NIL \"r\" \"x.fr\")) (({5}\r\nJos\xc3\xa9 NIL \"j\" \"x.fr\")) NIL NIL NIL NIL)");
}

TEST_CASE("IMAP strings: quoted with escapes, literals for CR, LF, 8-bit and length, no NUL") {
    CHECK(imap_string("plain") == "\"plain\"");
    CHECK(imap_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(imap_string("") == "\"\"");
    CHECK(imap_string("a\r\nb") == "{4}\r\na\r\nb");
    CHECK(imap_string(std::string(1001, 'x')).starts_with("{1001}\r\n"));
    CHECK(imap_string(std::string("a\0b", 3)) == "{5}\r\na\xEF\xBF\xBD" "b");
}

TEST_CASE("top-level sections: whole, header, text, header fields") {
    const std::string m = "Return-Path: <lab@x.fr>\r\nSubject: CR\r\n continued\r\nFrom: lab@x.fr\r\n\r\nbody line\r\n";
    CHECK(message_section(m, {{}, SectionText::None, {}}) == m);
    CHECK(message_section(m, {{}, SectionText::Header, {}}) == "Return-Path: <lab@x.fr>\r\nSubject: CR\r\n continued\r\nFrom: lab@x.fr\r\n\r\n");
    CHECK(message_section(m, {{}, SectionText::Text, {}}) == "body line\r\n");
    CHECK(message_section("no blank line", {{}, SectionText::Text, {}}).empty());
    CHECK(message_section(m, {{}, SectionText::HeaderFields, {"SUBJECT"}}) == "Subject: CR\r\n continued\r\n\r\n");
    CHECK(message_section(m, {{}, SectionText::HeaderFieldsNot, {"SUBJECT", "RETURN-PATH"}}) == "From: lab@x.fr\r\n\r\n");
    CHECK(message_section(m, {{}, SectionText::HeaderFields, {"X-NONE"}}) == "\r\n");
    CHECK(part_section(m, parse_structure(m), {{}, SectionText::Text, {}}) == "body line\r\n");
    CHECK(header_length("A: b\nC: d\n\nbody") == 11);
    CHECK(header_length("\r\nbody") == 2);
}

TEST_CASE("BINARY: transfer encodings removed, unknown ones refused") {
    std::string m = crlf(R"(Content-Type: multipart/mixed; boundary=e

--e
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9 soft=
break=0D=0Aend
--e
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAECAwBhYmM=
--e
Content-Type: text/plain
Content-Transfer-Encoding: x-uuencode

begin 644 x
--e--
)");
    auto root = parse_structure(m);
    CHECK(binary(m, {1}) == "caf\xc3\xa9 softbreak\r\nend");
    CHECK(binary(m, {2}) == std::string("\0\1\2\3\0abc", 8));
    CHECK_FALSE(binary(m, {3}));
    CHECK_FALSE(binary_decodable(root, {3}));
    CHECK(binary_decodable(root, {1}));
    CHECK(binary_decodable(root, {9}));
    CHECK(binary(m, {9}) == "");
    CHECK(binary(m, {}) == m);
}

TEST_CASE("transfer decoders are lenient") {
    CHECK(decode_base64("aGVs\r\nbG8=\r\n") == "hello");
    CHECK(decode_base64("a G*V s b G 8") == "hello");
    CHECK(decode_base64("aGk=aGk=") == "hi");
    CHECK(decode_quoted_printable("a=3Db=3db  \r\nc=\r\nd=ZZ=4") == "a=b=b\r\ncd=ZZ=4");
    CHECK(decode_quoted_printable("x=\ny\n") == "xy\r\n");
}

TEST_CASE("limits: nesting deeper than max_depth becomes opaque, parts beyond max_parts stay in their parent") {
    std::string deep;
    for (int i = 0; i < 40; ++i) {
        std::string boundary = "=_" + std::to_string(i) + "_=";  // none the prefix of another
        deep += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary + "\r\n";
    }
    deep += "Content-Type: text/plain\r\n\r\nleaf\r\n";
    StructureLimits limits;
    limits.max_depth = 5;
    auto root = parse_structure(deep, limits);
    const Part* p = &root;
    int depth = 0;
    while (p->kind == PartKind::Multipart) {
        p = &p->children.front();
        ++depth;
    }
    CHECK(depth == 5);
    CHECK(p->type == "application");
    CHECK(p->subtype == "octet-stream");
    CHECK(p->end == deep.size());
    CHECK(parse_structure(deep).kind == PartKind::Multipart);  // 32 levels by default: no crash, a value

    std::string many = "Content-Type: multipart/mixed; boundary=m\r\n\r\n";
    for (int i = 0; i < 50; ++i) many += "--m\r\n\r\npart\r\n";
    many += "--m--\r\n";
    limits.max_parts = 10;
    auto wide = parse_structure(many, limits);
    CHECK(wide.children.size() == 9);
    CHECK(body_structure(many, wide, true).starts_with("(("));
}

TEST_CASE("degenerate inputs are values") {
    for (std::string m : {std::string(), std::string("\r\n"), std::string("no header at all"), std::string("--\r\n"),
                          std::string("Content-Type: message/rfc822\r\n\r\n"), std::string("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a"),
                          std::string("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n--a--")}) {
        auto root = parse_structure(m);
        CHECK(root.end == m.size());
        CHECK_FALSE(body_structure(m, root, true).empty());
        CHECK(envelope_of(m).starts_with("("));
    }
}
