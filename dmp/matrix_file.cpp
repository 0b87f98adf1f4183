// Where the access matrix comes from: the data directory's own copy, else the shipped default.
// Trusts the files' owner (the operator).
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "dmp/access.h"

namespace mss::dmp {

Result<AccessMatrix> load_access_matrix(const std::filesystem::path& data_dir) {
    std::filesystem::path own = data_dir / "dmp-access-matrix.tsv";
    std::error_code ec;
    std::filesystem::path file = std::filesystem::exists(own, ec) ? own
                                                                   : std::filesystem::path(MSSD_DMP_DATA_DIR) / "access-matrix.tsv";
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorKind::Io, fmt::format("cannot read the DMP access matrix {}", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    auto matrix = AccessMatrix::parse(text.str());
    if (!matrix) return fail(ErrorKind::Invalid, fmt::format("{}: {}", file.string(), matrix.error().message));
    return matrix;
}

}  // namespace mss::dmp
