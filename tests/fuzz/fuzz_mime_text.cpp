// libFuzzer target: what SEARCH and the SMTP sender checks read of a message (mime/text): decoded
// fields, first addresses, mailbox lists, Date: fields and the decoded body text. Any input must come back as a value, within the limits.
#include <cstdint>
#include <string_view>

#include "mime/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)mss::mime::decode_field(input.substr(0, 2048));
    (void)mss::mime::first_address(input.substr(0, 2048));
    if (auto list = mss::mime::mailbox_list(input.substr(0, 2048)))
        for (const auto& a : *list)
            if (a.mailbox.empty() || a.host.empty()) __builtin_trap();  // only whole local@domain addresses
    if (auto date = mss::mime::parse_date(input.substr(0, 256)); date && (date->month < 1 || date->month > 12))
        __builtin_trap();
    mss::mime::MessageLimits limits;
    limits.max_depth = 8;
    limits.max_parts = 200;
    auto text = mss::mime::body_text(input, limits);
    if (text && text->size() > 8 * input.size() + 1024) __builtin_trap();  // decoding never inflates unboundedly
    return 0;
}
