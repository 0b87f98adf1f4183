// Response framing. Content-Length is always sent (no chunked responses: bodies are built whole),
// except where RFC 9110 forbids a body (1xx, 204, 304).
#include "http/wire.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/date.h"
#include "core/text.h"

namespace mss::http {
namespace {

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Framing fields are the session's; a handler's copy of them is dropped.
bool framing_field(std::string_view name) {
    std::string n = ascii_lower(name);
    return n == "content-length" || n == "transfer-encoding" || n == "connection" || n == "date";
}

bool bodiless(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

bool safe_fields(const Response& response) {
    return std::all_of(response.fields.begin(), response.fields.end(), [](const Field& f) {
        return !f.name.empty() && std::all_of(f.name.begin(), f.name.end(), is_tchar) &&
               f.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
    });
}

std::string render(const Response& response, const Framing& framing) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", response.status, reason_phrase(response.status));
    for (const auto& f : response.fields)
        if (!framing_field(f.name)) out += fmt::format("{}: {}\r\n", f.name, f.value);
    out += fmt::format("Date: {}\r\n", imf_fixdate(framing.now));
    if (!bodiless(response.status)) out += fmt::format("Content-Length: {}\r\n", response.body.size());
    if (framing.close) out += "Connection: close\r\n";
    out += "\r\n";
    if (!framing.head && !bodiless(response.status)) out += response.body;
    return out;
}

}  // namespace mss::http
