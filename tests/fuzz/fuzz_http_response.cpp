// libFuzzer target: the HTTP response reader on arbitrary bytes, within small bounds so that the
// fuzzer reaches them; a response it returns keeps its bounds and an HTTP status (100-599).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/parse/response_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mss::http::ResponseLimits limits;
    limits.max_header = 1024;
    limits.max_body = 4096;
    auto r = mss::http::parse_response(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    if (!r) return 0;
    if (r->status < 100 || r->status > 599 || r->body.size() > limits.max_body) std::abort();
    return 0;
}
