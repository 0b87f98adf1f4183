// libFuzzer target: the message reader (our header scanner, fields by name, RFC 2047 decoding and
// libetpan's MIME parser behind mime/). Any input must come back as a value, within the limits.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "mime/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    auto fields = mss::mime::header_fields(message, 100);
    if (fields.size() > 100) __builtin_trap();
    for (auto& f : fields) (void)mss::mime::decode_header_text(f.value);
    // The From fields by name are the From fields among all of them (the scan does not count the others).
    auto from = mss::mime::fields_named(message, "From", 2);
    if (from.size() > 2) __builtin_trap();
    if (fields.size() < 100) {
        std::size_t all = 0;
        for (auto& f : fields)
            if (f.name.size() == 4 && (f.name[0] | 0x20) == 'f' && (f.name[1] | 0x20) == 'r' && (f.name[2] | 0x20) == 'o' &&
                (f.name[3] | 0x20) == 'm' && all++ < from.size() && f.value != from[all - 1].value)
                __builtin_trap();
        if (std::min<std::size_t>(all, 2) != from.size()) __builtin_trap();
    }
    mss::mime::MessageLimits limits;
    limits.max_depth = 8;
    limits.max_parts = 200;
    auto info = mss::mime::parse_message(message, limits);
    if (info && (info->depth > limits.max_depth || info->part_count > limits.max_parts)) __builtin_trap();
    return 0;
}
