// Where an extraction's bytes come from: a plain .txt file, or the one member of the published .zip
// read through libzip with its uncompressed size and compression ratio bounded (zip bombs) and
// nested archives refused. Trusts nothing in the file; reads it once, in pieces.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "core/result.h"

namespace mss::directory {

struct ZipLimits {
    uint64_t max_uncompressed = 8ull << 30;  // the national activity file is about 1 GiB unzipped
    uint64_t max_ratio = 200;                // uncompressed / compressed; '|'-text compresses ~10-30x
};

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Up to buffer.size() octets; 0 at the end. An Error (Invalid) when the archive is damaged.
    virtual Result<std::size_t> read(std::span<char> buffer) = 0;
};

// A file starting with "PK\3\4" is read as a zip archive, anything else as the text itself.
Result<std::unique_ptr<ByteSource>> open_source(const std::filesystem::path& file, ZipLimits limits = {});

}  // namespace mss::directory
