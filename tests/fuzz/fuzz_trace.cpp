// libFuzzer target: removing our Authentication-Results fields from any message (pipeline/trace).
// The result is never longer than the input, keeps the body, never opens with a continuation line,
// and filtering again changes nothing; our authserv-id behind any comment is always found; the field
// written from any text has only folded lines.
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string out = mss::pipeline::without_our_results(std::string(input), "mss.example");
    if (out.size() > input.size()) __builtin_trap();
    if (input.ends_with("\r\n\r\nbody") && !out.ends_with("body")) __builtin_trap();
    if (mss::pipeline::without_our_results(out, "mss.example") != out) __builtin_trap();  // idempotent
    if (!out.empty() && (out.front() == ' ' || out.front() == '\t')) __builtin_trap();
    std::string comment;
    for (char c : input.substr(0, 200))
        if (c != '(' && c != ')' && c != '\\' && c != '\r' && c != '\n') comment += c;
    std::string forged = "Authentication-Results: (" + comment + ") \"MSS.example.\"; smime=pass\r\n\r\nbody";
    if (mss::pipeline::without_our_results(forged, "mss.example") != "\r\nbody") __builtin_trap();
    mss::pipeline::SmimeResult r{std::string(input.substr(0, 64)), std::string(input.substr(0, 300)), "", "", ""};
    std::string field = mss::pipeline::authentication_results("mss.example", r);
    for (std::size_t i = 0; i < field.size(); ++i) {  // only folded lines: CRLF then TAB, CRLF at the end
        if (field[i] == '\r' && (i + 1 == field.size() || field[i + 1] != '\n')) __builtin_trap();
        if (field[i] == '\n' && (field[i - 1] != '\r' || (i + 1 < field.size() && field[i + 1] != '\t'))) __builtin_trap();
    }
    return 0;
}
