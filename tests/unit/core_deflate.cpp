// The deflate StreamFilter against zlib itself as the peer: bursts both ways, the peer's history
// kept across rest() (the window given back as a dictionary), bounded output, corrupt input refused.
#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

#include "core/deflate.h"

namespace {

// A peer's raw deflate stream (window 15, as RFC 4978 clients use): each burst sync-flushed.
struct Peer {
    z_stream out{};
    z_stream in{};
    Peer() {
        deflateInit2(&out, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
        inflateInit2(&in, -15);
    }
    ~Peer() {
        deflateEnd(&out);
        inflateEnd(&in);
    }
    std::string compress(const std::string& plain) {
        std::string wire(plain.size() + 1024, '\0');
        out.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
        out.avail_in = static_cast<uInt>(plain.size());
        out.next_out = reinterpret_cast<Bytef*>(wire.data());
        out.avail_out = static_cast<uInt>(wire.size());
        REQUIRE(deflate(&out, Z_SYNC_FLUSH) == Z_OK);
        wire.resize(wire.size() - out.avail_out);
        return wire;
    }
    std::string decompress(const std::string& wire) {
        std::string plain(1 << 20, '\0');
        in.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(wire.data()));
        in.avail_in = static_cast<uInt>(wire.size());
        in.next_out = reinterpret_cast<Bytef*>(plain.data());
        in.avail_out = static_cast<uInt>(plain.size());
        int rc = inflate(&in, Z_SYNC_FLUSH);
        CHECK((rc == Z_OK || rc == Z_BUF_ERROR));
        CHECK(in.avail_in == 0);
        plain.resize(plain.size() - in.avail_out);
        return plain;
    }
};

std::string command(int i) { return "a" + std::to_string(i) + " UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE)\r\n"; }

}  // namespace

TEST_CASE("commands in and responses out across rests, the peer's history kept") {
    auto filter = mss::make_deflate_filter();
    Peer peer;
    for (int i = 0; i < 50; ++i) {
        std::string plain;
        REQUIRE(filter->decode(peer.compress(command(i)), plain, 1 << 20));
        CHECK(plain == command(i));
        CHECK_FALSE(filter->has_pending_input());
        std::string response = "* 1 FETCH (FLAGS (\\Seen))\r\n" + std::string("a") + std::to_string(i) + " OK done\r\n";
        std::string wire;
        REQUIRE(filter->encode(response, wire));
        CHECK(peer.decompress(wire) == response);
        filter->rest();  // waiting for the next command: later commands still refer to earlier ones
    }
}

TEST_CASE("after a rest, a response like the one before deflates as well as without the rest") {
    auto filter = mss::make_deflate_filter();
    Peer peer;
    std::string response = "* 12 FETCH (UID 1012 FLAGS (\\Seen $Urgent))\r\nb OK FETCH completed\r\n";
    std::string first, again;
    REQUIRE(filter->encode(response, first));
    CHECK(peer.decompress(first) == response);
    filter->rest();
    REQUIRE(filter->encode(response, again));
    CHECK(peer.decompress(again) == response);
    CHECK(again.size() * 3 < first.size());  // it refers back to what the peer already has
}

TEST_CASE("a command cut anywhere in its deflated octets decodes once whole") {
    auto filter = mss::make_deflate_filter();
    Peer peer;
    std::string wire = peer.compress(command(1) + command(2));
    std::string plain;
    for (char c : wire) REQUIRE(filter->decode(std::string_view(&c, 1), plain, 1 << 20));
    CHECK(plain == command(1) + command(2));
}

TEST_CASE("one read inflates to a bounded size; the rest waits in the filter") {
    auto filter = mss::make_deflate_filter();
    Peer peer;
    std::string literal(1 << 20, 'x');  // a megabyte of one octet deflates to about a kilobyte
    std::string wire = peer.compress(literal);
    CHECK(wire.size() < 4096);
    std::string plain;
    REQUIRE(filter->decode(wire, plain, 64 * 1024));
    CHECK(plain.size() <= 64 * 1024 + 16 * 1024);
    CHECK(filter->has_pending_input());
    while (filter->has_pending_input()) REQUIRE(filter->decode({}, plain, 64 * 1024));
    CHECK(plain == literal);
}

TEST_CASE("a large response leaves as one flushed burst") {
    auto filter = mss::make_deflate_filter();
    Peer peer;
    std::string body;
    for (int i = 0; i < 20000; ++i) body += "line " + std::to_string(i) + "\r\n";
    std::string wire;
    REQUIRE(filter->encode(body, wire));
    CHECK(wire.size() < body.size() / 3);
    CHECK(peer.decompress(wire) == body);
}

TEST_CASE("octets that are not deflate are refused") {
    auto filter = mss::make_deflate_filter();
    std::string plain;
    // Block type 3 is reserved (RFC 1951 3.2.3): 0xff starts one.
    CHECK_FALSE(filter->decode("\xff\xff\xff\xff", plain, 1 << 20));
}

TEST_CASE("a window larger than 4 KiB rests deflated and still serves the peer's far references") {
    auto filter = mss::make_deflate_filter();
    Peer peer;
    std::string token;  // 2 KiB that only a back-reference to it can shorten
    for (int i = 0; token.size() < 2048; ++i) token += std::to_string(i * 7919 % 10007) + ",";
    std::string sent;
    for (int round = 0; round < 40; ++round) {
        // Each burst: the token again (a reference reaching back across rests), then 4 KiB of new
        // text, so that the token lies farther back than 4 KiB.
        std::string burst = "a" + std::to_string(round) + " APPEND Drafts {" + std::to_string(token.size()) + "+}\r\n" + token;
        for (int j = 0; j < 160; ++j) burst += "line " + std::to_string(round * 100 + j) + " du brouillon\r\n";
        std::string wire = peer.compress(burst);
        if (round > 0) CHECK(wire.size() < burst.size() / 2);  // the peer did refer back
        std::string plain;
        REQUIRE(filter->decode(wire, plain, 1 << 20));
        CHECK(plain == burst);
        sent += burst;
        filter->rest();
    }
    CHECK(sent.size() > 32 * 1024);
}
