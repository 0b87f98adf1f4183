// libFuzzer target: the Disposition-Notification-Options reader (pipeline/disposition_options). On
// any input: no crash; a parse that succeeds stays within the declared bounds, has attributes and
// values, never names an attribute twice; written back in canonical form it parses to the same
// options, and asks for Direct's delivery notification exactly when the first parse did.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "pipeline/disposition_options.h"

namespace {

using mss::pipeline::DispositionOption;

std::string canonical(const std::vector<DispositionOption>& options) {
    std::string out;
    for (const auto& o : options) {
        out += (out.empty() ? "" : "; ") + o.attribute + (o.required ? "=required" : "=optional");
        for (const auto& v : o.values) {
            out += ",\"";
            for (char c : v) {
                if (c == '"' || c == '\\') out += '\\';
                out += c;
            }
            out += '"';
        }
    }
    return out;
}

bool same(const std::vector<DispositionOption>& a, const std::vector<DispositionOption>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].attribute != b[i].attribute || a[i].required != b[i].required || a[i].values != b[i].values) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = mss::pipeline::parse_disposition_options(input);
    if (!parsed) return 0;
    if (input.size() > mss::pipeline::kMaxDispositionOptionsValue) __builtin_trap();
    if (parsed->empty() || parsed->size() > mss::pipeline::kMaxDispositionOptions) __builtin_trap();
    for (std::size_t i = 0; i < parsed->size(); ++i) {
        const auto& o = (*parsed)[i];
        if (o.attribute.empty() || o.values.empty() || o.values.size() > mss::pipeline::kMaxDispositionOptionValues)
            __builtin_trap();
        for (std::size_t j = 0; j < i; ++j)
            if (mss::ascii_lower((*parsed)[j].attribute) == mss::ascii_lower(o.attribute)) __builtin_trap();
    }
    std::string again = canonical(*parsed);
    if (again.size() > mss::pipeline::kMaxDispositionOptionsValue) return 0;
    auto reparsed = mss::pipeline::parse_disposition_options(again);
    if (!reparsed || !same(*parsed, *reparsed)) __builtin_trap();
    if (mss::pipeline::asks_final_destination_delivery(*parsed) !=
        mss::pipeline::asks_final_destination_delivery(*reparsed))
        __builtin_trap();
    return 0;
}
