// One import of a file into the Directory: an extraction (.txt or .zip) streamed through the reader
// and the row checks into an ImportSession, or a whitelist XML. All or nothing: a file refused
// whole leaves the directory as it was. Trusts nothing in the file.
#pragma once
#include <filesystem>
#include <functional>

#include "core/result.h"
#include "directory/directory.h"
#include "directory/source.h"

namespace mss::directory {

struct ImportReport {
    ExtractionKind kind = ExtractionKind::Correspondance;
    uint64_t rows = 0;      // data rows read
    uint64_t bad_rows = 0;  // set aside (each given to on_bad_row)
    ImportCounts counts;
};

using BadRowSink = std::function<void(const BadRow&)>;

Result<ImportReport> import_extraction(Directory& directory, const std::filesystem::path& file,
                                       const BadRowSink& on_bad_row, ZipLimits limits = {});

Result<ImportCounts> import_whitelist(Directory& directory, const std::filesystem::path& file);

}  // namespace mss::directory
