// libFuzzer target: the PDSm request readers (ITI-65 Bundle, JSON Patch) on arbitrary bytes: each
// input is read both ways, within small bounds so that the fuzzer reaches the limits too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dmp/pdsm_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    mss::dmp::RequestLimits limits;
    limits.max_body = 64 * 1024;
    limits.max_entries = 8;
    limits.max_documents = 4;
    (void)mss::dmp::parse_provide_bundle(body, limits);
    (void)mss::dmp::parse_metadata_patch(body, limits);
    return 0;
}
