// libFuzzer target: the XDM reader (libzip from memory, ebRIM metadata, each document checked) on
// arbitrary bytes, with small bounds so that each input stays fast.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cda/checks.h"
#include "cda/xdm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mss::cda::XdmLimits limits;
    limits.max_archive_octets = 1024 * 1024;
    limits.max_total_octets = 4 * 1024 * 1024;
    limits.max_entries = 64;
    auto attachment = mss::cda::read_attachment(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    if (!attachment) return 0;
    auto documents = mss::cda::cda_documents(attachment.value());
    (void)mss::cda::one_patient(documents);
    (void)mss::cda::check_mss_headers("11502-2", "O", documents);
    return 0;
}
