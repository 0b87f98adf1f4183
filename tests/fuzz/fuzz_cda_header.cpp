// libFuzzer target: the CDA header reader (libxml2 with no DTD, entities or network) on arbitrary
// bytes, then the checks, the metadata mapping and the subject on whatever it read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cda/checks.h"
#include "cda/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto header = mss::cda::read_cda_header(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!header) return 0;
    (void)mss::cda::check_document(header.value());
    (void)mss::cda::sharing_metadata(header.value());
    (void)mss::cda::acknowledgement_subject({&header.value()});
    return 0;
}
