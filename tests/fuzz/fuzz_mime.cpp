// libFuzzer target: the message reader (our header scanner, fields by name, RFC 2047 decoding and
// libetpan's MIME parser behind mime/). Any input must come back as a value, within the limits.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"
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
        std::vector<std::string> values;
        for (auto& f : fields)
            if (mss::ascii_lower(f.name) == "from") values.push_back(f.value);
        if (values.size() > 2) values.resize(2);
        if (values.size() != from.size()) __builtin_trap();
        for (std::size_t i = 0; i < values.size(); ++i)
            if (values[i] != from[i].value) __builtin_trap();
    }
    mss::mime::MessageLimits limits;
    limits.max_depth = 8;
    limits.max_parts = 200;
    auto info = mss::mime::parse_message(message, limits);
    if (info && (info->depth > limits.max_depth || info->part_count > limits.max_parts)) __builtin_trap();
    return 0;
}
