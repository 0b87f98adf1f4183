// PREVIEW text (RFC 8970): the first plain text part, else HTML without its markup, white space
// folded, 256 characters at most and never a split UTF-8 character.
#include <doctest/doctest.h>

#include "core/text.h"
#include "imap/preview.h"

using namespace mss;
using namespace mss::imap;

TEST_CASE("a plain message: its text, white space folded") {
    CHECK(message_preview("Subject: x\r\n\r\n  Bonjour,\r\n\r\n\tle compte rendu   est joint.\r\n") ==
          "Bonjour, le compte rendu est joint.");
    CHECK(message_preview("Subject: vide\r\n\r\n") == "");
    CHECK(message_preview("Subject: rien\r\n\r\n \r\n\t\r\n") == "");
}

TEST_CASE("multipart: the first text/plain part, transfer-decoded and converted to UTF-8, attachments skipped") {
    std::string m =
        "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment\r\n\r\npiece jointe\r\n"
        "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
        "--c\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
        "--c\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "R=E9sultat d'=E9chographie\r\n"
        "--c--\r\n--b--\r\n";
    CHECK(message_preview(m) == "Résultat d'échographie");
}

TEST_CASE("HTML only: markup, style and script dropped, references replaced") {
    std::string m =
        "Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><head><style>p { color: red }</style><script>var a = 1 < 2;</script></head>"
        "<body><p>Patient&nbsp;:   M.&nbsp;Dupont</p><p>Tension &lt; 12 &amp; pouls OK</p></body></html>\r\n";
    CHECK(message_preview(m) == "Patient : M. Dupont Tension < 12 & pouls OK");
}

TEST_CASE("at most 256 characters, cut between UTF-8 characters") {
    std::string body;
    for (int i = 0; i < 300; ++i) body += "é";
    std::string preview = message_preview("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n");
    CHECK(is_valid_utf8(preview));
    CHECK(preview.size() == 2 * kMaxPreviewCharacters);
    std::string words;
    for (int i = 0; i < 200; ++i) words += "ab ";
    preview = message_preview("Subject: x\r\n\r\n" + words);
    CHECK(preview.size() <= kMaxPreviewCharacters);
    CHECK(preview.back() != ' ');
}

TEST_CASE("no text part at all: empty") {
    CHECK(message_preview("Subject: x\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n") == "");
}
