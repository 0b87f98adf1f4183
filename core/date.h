// Dates as the protocols write them, in UTC: RFC 5322 §3.3 date-time, RFC 9110 §5.6.7 IMF-fixdate,
// RFC 3501 date-time (INTERNALDATE, SAVEDATE) and an RFC 3339 instant (FHIR dateTime).
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

inline std::string imap_date_time(std::time_t t) { return detail::format_utc(t, "%d-%b-%Y %H:%M:%S +0000"); }

inline std::string utc_instant(std::time_t t) { return detail::format_utc(t, "%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace mss
