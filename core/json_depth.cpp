// The JSON nesting scanner of json_depth.h: one pass, no allocation.
#include "core/json_depth.h"

namespace mss {

std::size_t json_depth(std::string_view text, std::size_t stop_past) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > deepest && (deepest = depth) > stop_past) return deepest;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace mss
