// An SMTP reply as a value: basic code, RFC 3463 enhanced status code and text. Every rejection the
// parsers and the session produce is one of these, so each bad input has its exact code.
#pragma once
#include <string>

namespace mss::smtp {

struct Reply {
    int code = 250;
    std::string enhanced;  // "5.5.2"; empty only for 220/221-style replies that carry none
    std::string text;

    bool positive() const { return code < 400; }
    bool permanent() const { return code >= 500; }
    bool operator==(const Reply&) const = default;
};

// "code enhanced text\r\n" (multi-line replies are written by the session).
std::string format_reply(const Reply& reply);

}  // namespace mss::smtp
