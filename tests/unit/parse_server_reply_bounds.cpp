// The octet bounds of a peer's reply (a line, and all the lines of one reply), beside the line count.
#include <doctest/doctest.h>

#include <string>

#include "smtp/parse/server_reply.h"

using namespace mss::smtp;

TEST_CASE("a reply line longer than kMaxReplyLine is malformed") {
    ServerReplyReader r;
    std::string longest = "250 " + std::string(kMaxReplyLine - 6, 'x') + "\r\n";
    CHECK(r.feed(longest) == ServerReplyReader::Step::Done);
    ServerReplyReader over;
    CHECK(over.feed("250 " + std::string(kMaxReplyLine, 'x') + "\r\n") == ServerReplyReader::Step::Malformed);
    CHECK(over.error() == "a reply line longer than 2048 octets");
}

TEST_CASE("a reply of fewer than 100 lines but more than kMaxReplyOctets in all is malformed") {
    ServerReplyReader r;
    std::string line = "250-" + std::string(2000, 'y') + "\r\n";
    ServerReplyReader::Step step = ServerReplyReader::Step::More;
    int fed = 0;
    while (step == ServerReplyReader::Step::More && fed < 60) {
        step = r.feed(line);
        ++fed;
    }
    CHECK(step == ServerReplyReader::Step::Malformed);
    CHECK(r.error() == "a reply of more than 64 KiB");
    CHECK(fed == 33);  // 32 lines of 2000 octets fit in 64 KiB, the 33rd does not
    CHECK(r.reply().lines.size() == 32);
}
