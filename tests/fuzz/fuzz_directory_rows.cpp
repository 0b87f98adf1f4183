// libFuzzer target: the extraction reader and the row checks on arbitrary bytes, fed in pieces cut
// where the first input byte says; a row it gives must have the published column count.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "directory/entries.h"
#include "directory/extraction.h"

using namespace mss::directory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::size_t piece = 1 + data[0] % 64;
    std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    ExtractionReader reader(ReaderLimits{4096});
    auto visit = [&](const RawRow& row) {
        if (row.fields.size() != published_header(*reader.kind()).size()) __builtin_trap();
        if (*reader.kind() == ExtractionKind::Correspondance) (void)mailbox_of(row);
        else (void)activity_of(row);
    };
    auto reject = [](const BadRow&) {};
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        if (!reader.feed(bytes.substr(at, piece), visit, reject).ok()) return 0;
    (void)reader.finish(visit, reject);
    return 0;
}
