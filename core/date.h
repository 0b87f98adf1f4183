// Dates as mail and HTTP write them: RFC 5322 §3.3 date-time in UTC, and RFC 9110 §5.6.7 IMF-fixdate.
// Header-only and pure: takes a time_t, trusts nothing else.
#pragma once
#include <ctime>
#include <string>

namespace mss {

namespace detail {
inline std::string format_utc(std::time_t t, const char* pattern) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, pattern, &tm);
    return buf;
}
}  // namespace detail

inline std::string rfc5322_date(std::time_t t) { return detail::format_utc(t, "%a, %d %b %Y %H:%M:%S +0000"); }

inline std::string imf_fixdate(std::time_t t) { return detail::format_utc(t, "%a, %d %b %Y %H:%M:%S GMT"); }

}  // namespace mss
