// The query string of a FHIR search (`Practitioner?family=Dupont&mailbox-mss:contains=chu`), read
// into parameters: percent-decoded, a modifier after ':', comma lists split (with FHIR's `\,`
// escape), repeated parameters kept apart. Pure and bounded; trusts nothing: every byte is the
// client's. Which names and modifiers mean something is the API's business, not this reader's: the
// directory's FHIR API and the DMP's PDSm searches both read their queries here.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::http {

struct SearchParam {
    std::string name;                 // "mailbox-mss"
    std::string modifier;             // "contains", or "" when none
    std::vector<std::string> values;  // the comma list, each unescaped: any of them matches
};

struct QueryLimits {
    std::size_t max_length = 4096;   // of the raw query string
    std::size_t max_params = 32;     // name=value pairs
    std::size_t max_values = 20;     // in one comma list
    std::size_t max_value = 256;     // octets of one decoded value
};

// The parameters in their order, or ErrorKind::Invalid naming the fault (a malformed escape, NUL,
// a name outside [A-Za-z0-9_.-], an empty name, a bound passed).
Result<std::vector<SearchParam>> parse_search_query(std::string_view raw, const QueryLimits& limits = {});

}  // namespace mss::http
