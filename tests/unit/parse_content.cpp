// DATA and BDAT readers: terminators, dot-unstuffing, violations, and slicing independence.
#include <doctest/doctest.h>

#include "smtp/parse/content.h"

using namespace mss::smtp;

namespace {
struct Read {
    std::size_t consumed;
    bool done;
    std::optional<Reply> verdict;
    std::string message;
};
Read read_data(std::string_view in, std::size_t step = 1 << 20, ContentLimits limits = {1 << 20, 1000}) {
    DataReader r(limits);
    std::size_t used = 0;
    while (used < in.size() && !r.done()) used += r.feed(in.substr(used, step));
    return {used, r.done(), r.verdict(), r.done() ? r.take_message() : ""};
}
}  // namespace

TEST_CASE("DATA ends at CRLF.CRLF, unstuffs dots, leaves what follows") {
    std::string in = "Subject: x\r\n\r\n..line\r\n.\r\nQUIT\r\n";
    auto r = read_data(in);
    CHECK(r.done);
    CHECK_FALSE(r.verdict);
    CHECK(r.message == "Subject: x\r\n\r\n.line\r\n");
    CHECK(in.substr(r.consumed) == "QUIT\r\n");
    CHECK(read_data(".\r\n").message.empty());
    CHECK(read_data(".\r\n").done);
}

TEST_CASE("any slicing gives the same result") {
    std::string in = "a\r\n..b\r\n\r\n.c\r\n.\r\nNEXT";
    auto whole = read_data(in);
    for (std::size_t step : {1, 2, 3, 5, 7}) {
        auto sliced = read_data(in, step);
        CHECK(sliced.consumed == whole.consumed);
        CHECK(sliced.message == whole.message);
    }
}

TEST_CASE("violations: bare LF, bare CR, NUL, long line, size; nothing kept") {
    auto lf = read_data("a\nb\r\n.\r\n");
    CHECK(lf.done);
    REQUIRE(lf.verdict);
    CHECK(lf.verdict->code == 550);
    CHECK(lf.verdict->enhanced == "5.6.0");
    CHECK(lf.message.empty());
    CHECK(read_data("a\rb\r\n.\r\n").verdict->enhanced == "5.6.0");
    CHECK(read_data(std::string("a\0b\r\n.\r\n", 8)).verdict->enhanced == "5.6.0");
    CHECK(read_data(std::string(1200, 'x') + "\r\n.\r\n").verdict->enhanced == "5.6.0");
    auto big = read_data(std::string(3000, 'x') + "\r\n.\r\n", 1 << 20, {100, 100000});
    REQUIRE(big.verdict);
    CHECK(*big.verdict == Reply{552, "5.3.4", "Message too big"});
}

TEST_CASE("line and size limits fall on the same octet whether octets come at once or one by one") {
    const std::string line998 = std::string(998, 'x') + "\r\n.\r\n", line999 = std::string(999, 'x') + "\r\n.\r\n";
    for (std::size_t step : {std::size_t{1}, std::size_t{1} << 20}) {
        CAPTURE(step);
        auto fits = read_data(line998, step);
        CHECK_FALSE(fits.verdict);
        CHECK(fits.message.size() == 1000);
        CHECK(read_data(line999, step).verdict == Reply{550, "5.6.0", "Message line too long (RFC 5321 4.5.3.1.6)"});
        CHECK_FALSE(read_data(line998, step, {1000, 1000}).verdict);
        CHECK(read_data(line998, step, {999, 1000}).verdict == Reply{552, "5.3.4", "Message too big"});
        // The 51st octet is over both limits: the line check comes first, as it always has.
        CHECK(read_data(std::string(51, 'x') + "\r\n.\r\n", step, {50, 52}).verdict->enhanced == "5.6.0");
        ChunkReader both({50, 52});
        for (std::size_t p = 0; p < 53; p += step) both.feed(std::string(53, 'y').substr(p, step));
        CHECK(both.verdict()->code == 552);  // BDAT checks the size first
    }
}

TEST_CASE("a bare LF before a dot line does not end DATA (no smuggling)") {
    std::string in = "x\n.\r\nMAIL FROM:<evil@x.fr>\r\n\r\n.\r\nQUIT\r\n";
    auto r = read_data(in);
    CHECK(r.done);
    CHECK(in.substr(r.consumed) == "QUIT\r\n");
    CHECK(r.verdict);
}

TEST_CASE("BDAT chunks keep bytes as sent and check lines across chunks") {
    ChunkReader r({1 << 20, 1000});
    r.feed("Subject: x\r");
    r.feed("\n\r\n.not stuffed\r\n");
    CHECK_FALSE(r.verdict());
    CHECK(r.take_message() == "Subject: x\r\n\r\n.not stuffed\r\n");
    ChunkReader bad({1 << 20, 1000});
    bad.feed("a\nb");
    REQUIRE(bad.verdict());
    CHECK(bad.verdict()->enhanced == "5.6.0");
    CHECK(bad.take_message().empty());
    ChunkReader big({10, 1000});
    big.feed("0123456789AB");
    CHECK(big.verdict()->code == 552);
}
