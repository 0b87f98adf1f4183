// libFuzzer target: a peer's reply lines read by the outbound client (smtp/parse/server_reply), the
// EHLO extensions and dot-stuffing. A reply never holds more than kMaxReplyLines lines, all of one
// code, none longer than kMaxReplyLine, kMaxReplyOctets of text in all; dot-stuffed output always
// ends with CRLF.CRLF and never has a lone-dot line before its end.
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/parse/server_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    mss::smtp::ServerReplyReader reader;
    std::size_t start = 0;
    while (start < input.size()) {
        std::size_t end = input.find('\n', start);
        std::string_view line = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end + 1 - start);
        start = end == std::string_view::npos ? input.size() : end + 1;
        auto step = reader.feed(line);
        if (step != mss::smtp::ServerReplyReader::Step::More) break;
    }
    const auto& reply = reader.reply();
    if (reply.lines.size() > mss::smtp::kMaxReplyLines) __builtin_trap();
    std::size_t octets = 0;
    for (const auto& text : reply.lines) {
        if (text.size() + 4 > mss::smtp::kMaxReplyLine) __builtin_trap();
        octets += text.size();
    }
    if (octets > mss::smtp::kMaxReplyOctets) __builtin_trap();
    if (!reply.lines.empty() && (reply.code < 200 || reply.code > 599)) __builtin_trap();
    (void)mss::smtp::extensions_of(reply);
    (void)reply.summary();
    std::string stuffed = mss::smtp::dot_stuffed(input);
    if (!stuffed.ends_with(".\r\n")) __builtin_trap();
    std::string_view body(stuffed);
    body.remove_suffix(3);
    if (body.find("\n.\r\n") != std::string_view::npos || body.starts_with(".\r\n")) __builtin_trap();
    return 0;
}
