// What every reader of an mssd.toml table shares: unknown keys are refused, never ignored.
// Internal to core/config*.cpp; trusts the file's owner, checks every key.
#pragma once
#include <toml++/toml.h>

#include <initializer_list>
#include <string_view>

#include "core/result.h"

namespace mss {

// Invalid, naming "<where><key>", when the table holds a key that is not in known.
Status check_known(const toml::table& t, std::initializer_list<std::string_view> known, std::string_view where);

}  // namespace mss
