// Base64: RFC 4648 test vectors and strict refusal of malformed input.
#include <doctest/doctest.h>

#include "core/base64.h"

TEST_CASE("RFC 4648 section 10 vectors round-trip") {
    const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; ++i) {
        CHECK(mss::base64_encode(plain[i]) == coded[i]);
        auto d = mss::base64_decode(coded[i]);
        REQUIRE(d);
        CHECK(*d == plain[i]);
    }
}

TEST_CASE("SASL PLAIN response decodes with its NULs") {
    auto d = mss::base64_decode("AGRyQGV4YW1wbGUAc2VjcmV0");
    REQUIRE(d);
    CHECK(*d == std::string("\0dr@example\0secret", 18));
}

TEST_CASE("malformed base64 is refused") {
    for (auto bad : {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v YmFy", "Zm9v\r\n", "Zm9*", "=Zg="})
        CHECK_MESSAGE(!mss::base64_decode(bad), bad);
}

TEST_CASE("MIME body lines: 76 characters and CRLF, every length round-trips") {
    for (std::size_t n = 0; n < 300; ++n) {
        std::string bytes;
        for (std::size_t i = 0; i < n; ++i) bytes += static_cast<char>(i * 37 + n);
        std::string lines = mss::base64_lines(bytes), joined;
        for (std::size_t p = 0; p < lines.size();) {
            auto end = lines.find("\r\n", p);
            REQUIRE(end != std::string::npos);
            CHECK(end - p <= 76);
            if (end + 2 < lines.size()) CHECK(end - p == 76);
            joined += lines.substr(p, end - p);
            p = end + 2;
        }
        CHECK(joined == mss::base64_encode(bytes));
        CHECK(mss::base64_decode(joined).value() == bytes);
    }
}
