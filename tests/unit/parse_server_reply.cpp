// Our relay client's reading of a peer's replies: single and multi-line, enhanced codes, EHLO
// extensions, and the faults that end a connection (garbage, mixed codes, endless replies); dot-stuffing.
#include <doctest/doctest.h>

#include <string>

#include "smtp/parse/server_reply.h"

using namespace mss::smtp;

TEST_CASE("a multi-line EHLO reply and its extensions") {
    ServerReplyReader r;
    CHECK(r.feed("250-mx.b.fr Hello\r\n") == ServerReplyReader::Step::More);
    CHECK(r.feed("250-PIPELINING\r\n") == ServerReplyReader::Step::More);
    CHECK(r.feed("250-SIZE 26214400\r\n") == ServerReplyReader::Step::More);
    CHECK(r.feed("250-starttls\r\n") == ServerReplyReader::Step::More);
    CHECK(r.feed("250 CHUNKING\r\n") == ServerReplyReader::Step::Done);
    auto e = extensions_of(r.reply());
    CHECK(e.starttls);
    CHECK(e.pipelining);
    CHECK(e.chunking);
    CHECK(e.size == 26214400ULL);
    CHECK_FALSE(e.smtputf8);
}

TEST_CASE("codes, enhanced codes and the summary") {
    ServerReplyReader r;
    CHECK(r.feed("550 5.7.1 refused here\r\n") == ServerReplyReader::Step::Done);
    CHECK(r.reply().permanent());
    CHECK(r.reply().enhanced == "5.7.1");
    CHECK(r.reply().summary() == "550 5.7.1 refused here");
    ServerReplyReader bare;
    CHECK(bare.feed("250\r\n") == ServerReplyReader::Step::Done);
    CHECK(bare.reply().positive());
    ServerReplyReader wrong_class;
    CHECK(wrong_class.feed("451 5.0.0 odd\r\n") == ServerReplyReader::Step::Done);
    CHECK(wrong_class.reply().enhanced.empty());
    CHECK(wrong_class.reply().transient());
}

TEST_CASE("garbage, mixed codes and endless replies are malformed") {
    ServerReplyReader a;
    CHECK(a.feed("hello\r\n") == ServerReplyReader::Step::Malformed);
    ServerReplyReader b;
    CHECK(b.feed("250-a\r\n") == ServerReplyReader::Step::More);
    CHECK(b.feed("251 b\r\n") == ServerReplyReader::Step::Malformed);
    ServerReplyReader c;
    CHECK(c.feed("199 x\r\n") == ServerReplyReader::Step::Malformed);
    ServerReplyReader d;
    CHECK(d.feed("250x\r\n") == ServerReplyReader::Step::Malformed);
    ServerReplyReader e;
    ServerReplyReader::Step step = ServerReplyReader::Step::More;
    for (int i = 0; i < 200 && step == ServerReplyReader::Step::More; ++i) step = e.feed("250-more\r\n");
    CHECK(step == ServerReplyReader::Step::Malformed);
    CHECK(e.reply().lines.size() == kMaxReplyLines);
}

TEST_CASE("dot-stuffing doubles leading dots and ends with CRLF.CRLF") {
    CHECK(dot_stuffed("a\r\n.b\r\n..c\r\n") == "a\r\n..b\r\n...c\r\n.\r\n");
    CHECK(dot_stuffed(".\r\n") == "..\r\n.\r\n");
    CHECK(dot_stuffed("no end") == "no end\r\n.\r\n");
    CHECK(dot_stuffed("") == ".\r\n");
}
