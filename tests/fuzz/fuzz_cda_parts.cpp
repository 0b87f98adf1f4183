// libFuzzer target: pipeline/cda_parts, the MIME scan that decides whether a submitted message
// carries CDA and hands the filing its attachments' octets. Any input must give parts in message
// order whose decoded octets fit in the message, flags that agree with their names and types, and
// carries_cda exactly when some part is an XDM or a CDA; anything else traps.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "pipeline/cda_parts.h"

using namespace mss::pipeline;

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

bool is_cda_type(std::string_view type) {
    return type == "text/xml" || type == "application/xml" || type == "application/hl7-v3+xml";
}

void check_part(const AttachedPart& p) {
    require(!(p.xdm && p.cda));
    require(p.content_type == mss::ascii_lower(p.content_type));
    require(p.content_type.find('/') != std::string::npos);
    auto name = mss::ascii_lower(p.filename);
    require(p.xdm == (name == "ihe_xdm.zip"));
    if (!p.xdm) require(p.cda == (name.ends_with(".xml") || is_cda_type(p.content_type)));
    require(!p.filename.empty() || p.xdm || p.cda);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    auto parts = attached_parts(message);
    std::size_t octets = 0;
    bool any_cda = false;
    for (const auto& p : parts) {
        check_part(p);
        octets += p.octets.size();
        any_cda = any_cda || p.xdm || p.cda;
    }
    // Each part's body is a distinct slice of the message, and decoding never grows it.
    require(octets <= message.size());
    require(carries_cda(message) == any_cda);
    return 0;
}
