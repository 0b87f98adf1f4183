// How deeply a JSON text nests objects and arrays, counted before it reaches a recursive JSON parser,
// so that a hostile token or Bundle cannot make that parser recurse without bound. Pure; trusts
// nothing in the text (brackets inside strings and escapes are skipped, stray closers ignored).
#pragma once
#include <cstddef>
#include <limits>
#include <string_view>

namespace mss {

// The deepest nesting of objects and arrays outside strings; stops scanning as soon as the depth
// passes stop_past (the answer is then stop_past + 1).
std::size_t json_depth(std::string_view text, std::size_t stop_past = std::numeric_limits<std::size_t>::max());

}  // namespace mss
