// What SEARCH, SORT and THREAD read of a message: decoded fields, first addresses, Date: fields and
// the decoded text of the text parts (base64, quoted-printable, charsets, nested messages, limits).
#include <doctest/doctest.h>

#include "mime/text.h"

using namespace mss::mime;

TEST_CASE("fields: encoded-words, raw UTF-8, raw Latin-1, spaces") {
    CHECK(decode_field("=?UTF-8?Q?R=C3=A9sultat?= d'analyse") == "Résultat d'analyse");
    CHECK(decode_field("=?ISO-8859-1?Q?=C9chographie?=") == "Échographie");
    CHECK(decode_field("Résultat brut") == "Résultat brut");
    CHECK(decode_field("R\xe9sultat") == "Résultat");
    CHECK(decode_field("a\t b   c ") == "a b c");
    CHECK(decode_field("") == "");
    CHECK(decode_field("  \"Dupont, Jean\" (cabinet) <a@b>\t") == "\"Dupont, Jean\" (cabinet) <a@b>");
    CHECK(decode_field("x = y =?UTF-8?Q?=C3=A9?=") == "x = y \xc3\xa9");
}

TEST_CASE("first address of a field") {
    auto a = first_address("\"Dupont, Jean\" <jean.dupont@x.mssante.fr>, autre@y.fr");
    REQUIRE(a);
    CHECK(a->display_name == "Dupont, Jean");
    CHECK(a->mailbox == "jean.dupont");
    CHECK(a->host == "x.mssante.fr");
    auto encoded = first_address("=?utf-8?q?J=C3=A9r=C3=B4me?= <j@x.fr>");
    REQUIRE(encoded);
    CHECK(encoded->display_name == "Jérôme");
    auto bare = first_address("labo@x.fr");
    REQUIRE(bare);
    CHECK(bare->display_name.empty());
    CHECK(bare->mailbox == "labo");
    auto group = first_address("destinataires-non-divulgues:;");
    REQUIRE(group);
    CHECK(group->mailbox == "destinataires-non-divulgues");
    CHECK(group->host.empty());
    CHECK_FALSE(first_address(""));
    CHECK_FALSE(first_address("(commentaire seul)"));
    CHECK_FALSE(first_address(",,,"));
}

TEST_CASE("Date: fields: own calendar date and the UTC instant") {
    auto d = parse_date("Mon, 7 Feb 1994 21:52:25 -0800 (PST)");
    REQUIRE(d);
    CHECK(d->year == 1994);
    CHECK(d->month == 2);
    CHECK(d->day == 7);
    CHECK(d->utc == 760686745);  // 1994-02-08 05:52:25 UTC
    auto late = parse_date("Thu, 1 Jan 1970 23:30:00 -0100");
    REQUIRE(late);
    CHECK(late->day == 1);
    CHECK(late->utc == 86400 + 1800);
    auto obsolete = parse_date("7 Feb 94 21:52 EST");
    REQUIRE(obsolete);
    CHECK(obsolete->year == 1994);
    auto y2k = parse_date("1 Mar 07 00:00:00 +0000");
    REQUIRE(y2k);
    CHECK(y2k->year == 2007);
    CHECK_FALSE(parse_date("garbage"));
    CHECK_FALSE(parse_date("31 Feb 2024 10:00:00 +0000"));
    CHECK(parse_date("29 Feb 2024 10:00:00 +0000"));
    CHECK_FALSE(parse_date("29 Feb 2023 10:00:00 +0000"));
}

TEST_CASE("Date: fields: a zone or a year outside RFC 5322's digits names no instant") {
    CHECK(parse_date("1 Mar 2024 10:00:00 -9959"));
    CHECK_FALSE(parse_date("1 Mar 2024 10:00:00 +99999999999"));
    CHECK_FALSE(parse_date("1 Mar 2024 10:00:00 -2147483648"));
    CHECK_FALSE(parse_date("1 Mar 2024 10:00:00 +0160"));
    CHECK_FALSE(parse_date("1 Mar 2147483647 10:00:00 +0000"));
}

TEST_CASE("body text of a plain message") {
    auto t = body_text("Subject: x\r\n\r\nligne un\r\nligne deux\r\n");
    REQUIRE(t.ok());
    CHECK(t->find("ligne deux") != std::string::npos);
    CHECK(t->find("Subject") == std::string::npos);
}

TEST_CASE("body text: base64 UTF-8, quoted-printable Latin-1, attachments skipped, nested message") {
    std::string msg =
        "Subject: CR\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "UsOpc3VsdGF0IG5vcm1hbA==\r\n"
        "--b\r\nContent-Type: text/html; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<p>=C9chographie r=E9nale</p>\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "c2VjcmV0IHBkZg==\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ntexte joint\r\n"
        "--b--\r\n";
    auto t = body_text(msg);
    REQUIRE(t.ok());
    CHECK(t->find("Résultat normal") != std::string::npos);
    CHECK(t->find("Échographie rénale") != std::string::npos);
    CHECK(t->find("texte joint") != std::string::npos);
    CHECK(t->find("secret pdf") == std::string::npos);
    CHECK(t->find("c2VjcmV0") == std::string::npos);
}

TEST_CASE("body text: unknown charset kept as is, limits are errors") {
    auto t = body_text("Content-Type: text/plain; charset=x-inconnu\r\n\r\nbrut\r\n");
    REQUIRE(t.ok());
    CHECK(t->find("brut") != std::string::npos);
    CHECK_FALSE(body_text("Subject: x\r\n\r\nbody", MessageLimits{4, 32, 100}).ok());
    std::string deep = "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n";
    for (int i = 1; i < 6; ++i)
        deep += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" + std::to_string(i) +
                "\"\r\n\r\n";
    CHECK_FALSE(body_text(deep, MessageLimits{1 << 20, 3, 100}).ok());
}

TEST_CASE("body text: digests, parts without a header, LF line ends, missing boundary, no close delimiter") {
    std::string digest =
        "Content-Type: multipart/digest; boundary=d\r\n\r\npreambule\r\n--d\r\n\r\nSubject: un\r\n\r\npremier\r\n"
        "--d\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--d--\r\nepilogue\r\n";
    auto t = body_text(digest);
    REQUIRE(t.ok());
    CHECK(*t == "premier\r\nsecond");
    auto lf = body_text("Content-Type: multipart/mixed; boundary=\"x y\"\n\n--x y\n\ntexte LF\n--x y--\n");
    REQUIRE(lf.ok());
    CHECK(*lf == "texte LF");
    auto open_end = body_text("Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nsans fin\r\n");
    REQUIRE(open_end.ok());
    CHECK(*open_end == "sans fin\r\n");
    auto no_boundary = body_text("Content-Type: multipart/mixed\r\n\r\nrien\r\n");
    REQUIRE(no_boundary.ok());
    CHECK(no_boundary->empty());
}

TEST_CASE("deeply nested comments and multiparts are refused, not recursed into") {
    std::string comments(100000, '(');
    CHECK_FALSE(first_address("a@b.fr " + comments));
    CHECK_FALSE(parse_date("Mon, " + comments + " 7 Feb 1994 21:52:25 -0800"));
    CHECK(first_address("a@b.fr (un (deux) commentaire)"));
    std::string deep;
    for (int i = 0; i < 100000; ++i)
        deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
    CHECK_FALSE(body_text(deep).ok());
    std::string forwarded;
    for (int i = 0; i < 100000; ++i) forwarded += "Content-Type: message/rfc822\r\n\r\n";
    CHECK_FALSE(body_text(forwarded).ok());
}

TEST_CASE("mailbox lists: every mailbox, trailing comments, and nothing libetpan would guess at") {
    auto list = mailbox_list("Dr Marie Martin <marie.martin@x.fr>, jean@y.fr (Jean), =?utf-8?q?H=C3=A9l=C3=A8ne?= <h@z.fr>");
    REQUIRE(list);
    REQUIRE(list->size() == 3);
    CHECK((*list)[0].display_name == "Dr Marie Martin");
    CHECK((*list)[0].mailbox == "marie.martin");
    CHECK((*list)[0].host == "x.fr");
    CHECK((*list)[1].mailbox == "jean");
    CHECK((*list)[2].display_name == "H\xc3\xa9l\xc3\xa8ne");
    CHECK(mailbox_list("<a@x.fr> (comment (nested))\r\n"));
    for (std::string_view unreadable : {"", "  ", "a@x.fr b@y.fr", "<a@x.fr", "Marie <a@x.fr> junk", "a@x.fr,",
                                        "\"a\"@x.fr", "Grp: a@x.fr;", "Marie <@route:a@x.fr>", "a@x.fr.", "a..b@x.fr",
                                        "a@x.fr@y.fr", "Ma\\\"rie <a@x.fr>"}) {
        CAPTURE(unreadable);
        CHECK_FALSE(mailbox_list(unreadable));
    }
}
