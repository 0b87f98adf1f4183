// libFuzzer target: distinguished names compared by the whitelist rule (directory/operator_dn).
// Any text either parses or not, within bounds; a DN always matches itself and its parts reversed.
#include <cstdint>
#include <string>
#include <string_view>

#include "directory/operator_dn.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = mss::directory::parse_dn(input);
    if (!parsed) return 0;
    if (parsed->size() > mss::directory::kMaxDnAttributes) __builtin_trap();
    if (!mss::directory::same_operator_dn(input, input)) __builtin_trap();
    return 0;
}
