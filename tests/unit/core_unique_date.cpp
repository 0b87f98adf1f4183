// core/date.h and core/unique.h: the date forms mail and HTTP write, and the random names mssd makes.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "core/date.h"
#include "core/unique.h"

TEST_CASE("dates as RFC 5322, RFC 9110, RFC 3501 and RFC 3339 write them, in UTC") {
    CHECK(mss::rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
    CHECK(mss::rfc5322_date(1796550000) == "Sun, 06 Dec 2026 09:40:00 +0000");
    CHECK(mss::imf_fixdate(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's own example
    CHECK(mss::imap_date_time(1796550000) == "06-Dec-2026 09:40:00 +0000");
    CHECK(mss::utc_instant(1796550000) == "2026-12-06T09:40:00Z");
}

TEST_CASE("random hex: two characters a byte, lowercase, not repeated") {
    std::string a = mss::random_hex(16);
    CHECK(a.size() == 32);
    CHECK(std::all_of(a.begin(), a.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
    CHECK(mss::random_hex(16) != a);
    CHECK(mss::random_hex(0).empty());
}

TEST_CASE("queue ids: 12 uppercase hex digits, distinct") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        std::string id = mss::new_queue_id();
        CHECK(id.size() == 12);
        CHECK(std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }));
        seen.insert(id);
    }
    CHECK(seen.size() == 100);
}
