// libFuzzer target: the message reader (our header scanner, RFC 2047 decoding and libetpan's MIME
// parser behind mime/). Any input must come back as a value, within the limits.
#include <cstdint>
#include <string_view>

#include "mime/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    auto fields = mss::mime::header_fields(message, 100);
    if (fields.size() > 100) __builtin_trap();
    for (auto& f : fields) (void)mss::mime::decode_header_text(f.value);
    mss::mime::MessageLimits limits;
    limits.max_depth = 8;
    limits.max_parts = 200;
    auto info = mss::mime::parse_message(message, limits);
    if (info && (info->depth > limits.max_depth || info->part_count > limits.max_parts)) __builtin_trap();
    return 0;
}
