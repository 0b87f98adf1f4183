// libFuzzer target: the whitelist reader (libxml2 with no DTD, entities or network) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "directory/whitelist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    (void)mss::directory::parse_whitelist(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
