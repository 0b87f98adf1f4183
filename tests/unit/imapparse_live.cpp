// The commands of a live connection's extensions: COMPRESS (RFC 4978), GETMETADATA and SETMETADATA
// (RFC 5464), parsed into their arguments or refused with their exact response.
#include <doctest/doctest.h>

#include "imap/parse/command.h"

using namespace mss::imap;
using namespace std::literals;

namespace {

template <class T>
T args(std::string_view text) {
    auto parsed = parse_command(text);
    if (auto* r = std::get_if<Response>(&parsed)) FAIL_CHECK("refused: ", text, " -> ", format_response(*r));
    REQUIRE(std::holds_alternative<Command>(parsed));
    auto cmd = std::get<Command>(std::move(parsed));
    REQUIRE(std::holds_alternative<T>(cmd.args));
    return std::get<T>(std::move(cmd.args));
}

std::string refused(std::string_view text) {
    auto parsed = parse_command(text);
    if (std::holds_alternative<Command>(parsed)) {
        FAIL_CHECK("accepted: ", text);
        return {};
    }
    return format_response(std::get<Response>(parsed));
}

}  // namespace

TEST_CASE("COMPRESS names its mechanism, upper-cased") {
    CHECK(args<CompressArgs>("a COMPRESS DEFLATE").mechanism == "DEFLATE");
    CHECK(args<CompressArgs>("a compress deflate").mechanism == "DEFLATE");
    CHECK(args<CompressArgs>("a COMPRESS LZMA").mechanism == "LZMA");  // refused by the session (BAD)
    CHECK(refused("a COMPRESS") == "a BAD Missing argument\r\n");
    CHECK(refused("a COMPRESS DEFLATE X").rfind("a BAD ", 0) == 0);
    CHECK(refused("a COMPRESS \"DEFLATE\"").rfind("a BAD ", 0) == 0);
}
