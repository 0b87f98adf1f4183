// File -> reader -> row checks -> ImportSession; the session is committed only when the whole file
// was read without a file-level error and held at least one good row.
#include "directory/import.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace mss::directory {
namespace {

constexpr std::size_t kPiece = 256 * 1024;

// Receives the reader's rows, checks them and stages the good ones; the first storage error stops it.
class Stager {
public:
    Stager(Directory& directory, const BadRowSink& on_bad_row) : directory_(directory), on_bad_row_(on_bad_row) {}

    void row(ExtractionKind kind, const RawRow& raw) {
        if (failure_) return;
        if (!session_) {
            auto s = directory_.begin_import(kind);
            if (!s) return void(failure_ = s.error());
            session_ = std::move(s).value();
        }
        Result<bool> staged = kind == ExtractionKind::Correspondance ? stage(mailbox_of(raw)) : stage(activity_of(raw));
        if (!staged) {
            if (staged.error().kind == ErrorKind::Invalid) return bad({raw.line, staged.error().message});
            return void(failure_ = staged.error());
        }
        if (!*staged)
            return bad({raw.line, kind == ExtractionKind::Correspondance ? "duplicate mailbox address"
                                                                       : "duplicate activity (same PS_IdNat, structure, "
                                                                         "profession, mode and savoir-faire)"});
        ++good_;
    }
    void bad(const BadRow& b) {
        ++bad_;
        on_bad_row_(b);
    }

    const std::optional<Error>& failure() const { return failure_; }
    uint64_t good() const { return good_; }
    uint64_t bad_count() const { return bad_; }
    ImportSession* session() { return session_.get(); }

private:
    template <class Entry>
    Result<bool> stage(Result<Entry> entry) {
        if (!entry) return entry.error();
        return session_->add(*entry);
    }

    Directory& directory_;
    const BadRowSink& on_bad_row_;
    std::unique_ptr<ImportSession> session_;
    std::optional<Error> failure_;
    uint64_t good_ = 0, bad_ = 0;
};

}  // namespace

Result<ImportReport> import_extraction(Directory& directory, const std::filesystem::path& file,
                                       const BadRowSink& on_bad_row, ZipLimits limits) {
    auto source = open_source(file, limits);
    if (!source) return source.error();
    ExtractionReader reader;
    Stager stager(directory, on_bad_row);
    auto visit = [&](const RawRow& row) { stager.row(*reader.kind(), row); };
    auto reject = [&](const BadRow& b) { stager.bad(b); };
    std::vector<char> buffer(kPiece);
    for (;;) {
        auto n = source.value()->read(buffer);
        if (!n) return n.error();
        Status s = *n == 0 ? reader.finish(visit, reject) : reader.feed({buffer.data(), *n}, visit, reject);
        if (!s) return s.error();
        if (stager.failure()) return *stager.failure();
        if (*n == 0) break;
    }
    if (stager.good() == 0)
        return fail(ErrorKind::Invalid, fmt::format("no valid row in {} rows: refusing to withdraw every entry",
                                                    reader.rows()));
    ImportReport report;
    report.kind = *reader.kind();
    report.rows = reader.rows();
    report.bad_rows = stager.bad_count();
    auto counts = stager.session()->commit(file.filename().string(), report.rows, report.bad_rows);
    if (!counts) return counts.error();
    report.counts = *counts;
    return report;
}

Result<ImportCounts> import_whitelist(Directory& directory, const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorKind::NotFound, fmt::format("cannot read {}", file.string()));
    std::string xml(kMaxWhitelistOctets + 1, '\0');
    in.read(xml.data(), static_cast<std::streamsize>(xml.size()));
    xml.resize(static_cast<std::size_t>(in.gcount()));
    auto whitelist = parse_whitelist(xml);
    if (!whitelist) return whitelist.error();
    return directory.replace_whitelist(whitelist->entries, file.filename().string());
}

}  // namespace mss::directory
