// libFuzzer target: the FHIR search query reader (percent escapes, modifiers, comma lists with
// FHIR's backslash escapes, bounds) on arbitrary bytes; every value it returns must keep its bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/parse/fhir_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mss::http::QueryLimits limits;
    auto r = mss::http::parse_search_query(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    if (!r) return 0;
    if (r->size() > limits.max_params) std::abort();
    for (const auto& p : *r) {
        if (p.name.empty() || p.values.empty() || p.values.size() > limits.max_values) std::abort();
        for (const auto& v : p.values)
            if (v.size() > limits.max_value) std::abort();
    }
    return 0;
}
