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

TEST_CASE("GETMETADATA: options, one entry or a list, names lower-cased") {
    auto a = args<GetMetadataArgs>("a GETMETADATA \"INBOX\" /private/Comment");
    CHECK(a.mailbox == "INBOX");
    CHECK(a.entries == std::vector<std::string>{"/private/comment"});
    CHECK(a.depth == 0);
    CHECK_FALSE(a.max_size);
    a = args<GetMetadataArgs>("a GETMETADATA (MAXSIZE 1024 DEPTH infinity) \"\" (/shared/comment /private)");
    CHECK(a.mailbox.empty());
    CHECK(a.entries == std::vector<std::string>{"/shared/comment", "/private"});
    CHECK(a.depth == -1);
    CHECK(a.max_size == 1024u);
    CHECK(args<GetMetadataArgs>("a GETMETADATA (DEPTH 1) INBOX /shared").depth == 1);
}

TEST_CASE("SETMETADATA: values as strings, literals, literal8 or NIL") {
    auto a = args<SetMetadataArgs>("a SETMETADATA INBOX (/private/comment \"Patients du mardi\" /shared/x NIL)");
    REQUIRE(a.values.size() == 2);
    CHECK(a.values[0] == std::pair<std::string, std::optional<std::string>>{"/private/comment", "Patients du mardi"});
    CHECK(a.values[1].second == std::nullopt);
    a = args<SetMetadataArgs>("a SETMETADATA \"\" (/private/vendor/mss/note {5}\r\nab\"cd)");
    CHECK(a.values[0].second == "ab\"cd");
    a = args<SetMetadataArgs>("a SETMETADATA INBOX (/private/bin ~{3}\r\na\0b)"sv);
    CHECK(a.values[0].second == "a\0b"s);
}

TEST_CASE("METADATA entry names and options refused with BAD") {
    CHECK(refused("a GETMETADATA INBOX /other/comment") == "a BAD Entry names begin with /private/ or /shared/\r\n");
    CHECK(refused("a GETMETADATA INBOX \"/private/a*b\"") == "a BAD Invalid character in entry name\r\n");
    CHECK(refused("a GETMETADATA INBOX /private//a") == "a BAD Invalid entry name\r\n");
    CHECK(refused("a GETMETADATA INBOX /private/a/") == "a BAD Invalid entry name\r\n");
    CHECK(refused("a SETMETADATA INBOX (/private \"x\")") == "a BAD Entry names begin with /private/ or /shared/\r\n");
    CHECK(refused("a GETMETADATA (DEPTH 2) INBOX /private") == "a BAD DEPTH is 0, 1 or infinity\r\n");
    CHECK(refused("a GETMETADATA (DEPTH 1 DEPTH 1) INBOX /private") == "a BAD Unknown or repeated GETMETADATA option\r\n");
    CHECK(refused("a SETMETADATA INBOX /private/x \"v\"").rfind("a BAD ", 0) == 0);
    std::string many = "a GETMETADATA INBOX (";
    for (int i = 0; i <= 100; ++i) many += (i ? " /private/e" : "/private/e") + std::to_string(i);
    CHECK(refused(many + ")") == "a BAD [LIMIT] Too many entries\r\n");
}
