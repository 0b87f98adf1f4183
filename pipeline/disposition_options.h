// The Disposition-Notification-Options field (RFC 8098 section 2.2) of a message, and whether it asks
// for the US Direct Project's reliable delivery notification (X-DIRECT-FINAL-DESTINATION-DELIVERY).
// Pure and bounded: the value comes from a peer's message and is trusted in nothing; any ambiguity
// (a parameter given twice, a missing importance, stray text) is an error, never a guess.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::pipeline {

inline constexpr std::size_t kMaxDispositionOptionsValue = 4096;  // octets of the unfolded value
inline constexpr std::size_t kMaxDispositionOptions = 16;        // parameters in one field
inline constexpr std::size_t kMaxDispositionOptionValues = 16;   // values of one parameter

// attribute "=" importance "," value *("," value)
struct DispositionOption {
    std::string attribute;            // as written (compared without ASCII case)
    bool required = false;            // importance: "required" or "optional"
    std::vector<std::string> values;  // quoted strings unquoted
};

// The parameters of the field's value (unfolded or folded: CR and LF count as white space).
// Invalid on any syntax error, an empty list, a repeated attribute or a bound passed.
Result<std::vector<DispositionOption>> parse_disposition_options(std::string_view value);

// True when the options ask for Direct's final destination delivery notification: the parameter
// X-DIRECT-FINAL-DESTINATION-DELIVERY (either importance) whose first value is "true".
bool asks_final_destination_delivery(const std::vector<DispositionOption>& options);

}  // namespace mss::pipeline
