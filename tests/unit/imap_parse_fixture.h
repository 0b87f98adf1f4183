// Helpers of the IMAP parser's unit tests: a command that must parse, and the exact response of one
// that must not.
#pragma once
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "imap/parse/command.h"

namespace imap_parse_fixture {

inline mss::imap::Command accepted(std::string_view text, const mss::imap::ParseOptions& options = {}) {
    auto parsed = mss::imap::parse_command(text, options);
    if (auto* r = std::get_if<mss::imap::Response>(&parsed)) FAIL("refused: ", text, " -> ", format_response(*r));
    return std::get<mss::imap::Command>(parsed);
}

inline std::string refused(std::string_view text, const mss::imap::ParseOptions& options = {}) {
    auto parsed = mss::imap::parse_command(text, options);
    if (std::holds_alternative<mss::imap::Command>(parsed)) {
        FAIL_CHECK("accepted: ", text);
        return {};
    }
    return format_response(std::get<mss::imap::Response>(parsed));
}

}  // namespace imap_parse_fixture
