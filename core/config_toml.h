// What every reader of an mssd.toml table shares: unknown keys are refused, never ignored.
// Internal to core/config*.cpp; trusts the file's owner, checks every key.
#pragma once
#include <fmt/format.h>
#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "core/result.h"

namespace mss {

// Invalid, naming "<where><key>", when the table holds a key that is not in known.
Status check_known(const toml::table& t, std::initializer_list<std::string_view> known, std::string_view where);

// An integer key in [min, max] into out; out is left as it was when the key is absent.
template <class T>
Status read_int(const toml::table& t, std::string_view key, T& out, int64_t min, int64_t max) {
    auto node = t[key];
    if (!node) return Ok{};
    auto v = node.value<int64_t>();
    if (!v || *v < min || *v > max)
        return fail(ErrorKind::Invalid, fmt::format("{} must be an integer from {} to {}", key, min, max));
    out = static_cast<T>(*v);
    return Ok{};
}

// A number of seconds from 1 to 3600.
Status read_seconds(const toml::table& t, std::string_view key, std::chrono::seconds& out);

}  // namespace mss
