// Plain files through stdio, zip archives through libzip (ZIP_CHECKCONS: a truncated archive fails
// to open; zip_fread checks each member's CRC at its end).
#include "directory/source.h"

#include <fmt/format.h>
#include <zip.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/text.h"

namespace mss::directory {
namespace {

constexpr char kZipMagic[] = {'P', 'K', '\3', '\4'};

class FileSource final : public ByteSource {
public:
    explicit FileSource(std::FILE* f) : f_(f) {}
    ~FileSource() override { std::fclose(f_); }
    Result<std::size_t> read(std::span<char> buffer) override {
        std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f_);
        if (n == 0 && std::ferror(f_)) return fail(ErrorKind::Io, std::strerror(errno));
        return n;
    }

private:
    std::FILE* f_;
};

class ZipSource final : public ByteSource {
public:
    ZipSource(zip_t* archive, zip_file_t* member, uint64_t size) : archive_(archive), member_(member), size_(size) {}
    ~ZipSource() override {
        zip_fclose(member_);
        zip_discard(archive_);
    }
    Result<std::size_t> read(std::span<char> buffer) override {
        zip_int64_t n = zip_fread(member_, buffer.data(), buffer.size());
        if (n < 0)
            return fail(ErrorKind::Invalid, fmt::format("damaged zip member: {}", zip_file_strerror(member_)));
        read_ += static_cast<uint64_t>(n);
        if (read_ > size_) return fail(ErrorKind::Invalid, "zip member longer than its declared size");
        if (first_ && n >= 4 && std::memcmp(buffer.data(), kZipMagic, 4) == 0)
            return fail(ErrorKind::Invalid, "a zip inside the zip: refused (the extraction is one text file)");
        first_ = false;
        return static_cast<std::size_t>(n);
    }

private:
    zip_t* archive_;
    zip_file_t* member_;
    uint64_t size_, read_ = 0;
    bool first_ = true;
};

Result<std::unique_ptr<ByteSource>> open_zip(const std::filesystem::path& file, const ZipLimits& limits) {
    int code = 0;
    zip_t* archive = zip_open(file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!archive) {
        zip_error_t e;
        zip_error_init_with_code(&e, code);
        std::string why = zip_error_strerror(&e);
        zip_error_fini(&e);
        return fail(ErrorKind::Invalid, fmt::format("not a readable zip archive (truncated?): {}", why));
    }
    auto refuse = [archive](std::string why) -> Result<std::unique_ptr<ByteSource>> {
        zip_discard(archive);
        return fail(ErrorKind::Invalid, std::move(why));
    };
    zip_int64_t entries = zip_get_num_entries(archive, 0);
    zip_int64_t member = -1;
    for (zip_int64_t i = 0; i < entries; ++i) {
        const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
        if (name && std::string_view(name).ends_with("/")) continue;
        if (member >= 0) return refuse("more than one file in the zip: the extraction is one text file");
        member = i;
    }
    if (member < 0) return refuse("an empty zip archive");
    zip_stat_t st;
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(member), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
        return refuse("zip member without sizes");
    std::string name = st.name ? ascii_lower(st.name) : "";
    if (name.ends_with(".zip")) return refuse(fmt::format("a zip inside the zip ({}): refused", st.name));
    if (st.size > limits.max_uncompressed)
        return refuse(fmt::format("zip member of {} octets unzipped, above the limit of {}", st.size,
                                  limits.max_uncompressed));
    if (st.size > 1024 * 1024 && st.size / std::max<uint64_t>(st.comp_size, 1) > limits.max_ratio)
        return refuse(fmt::format("zip member compressed {}:1, above {}:1: a zip bomb?",
                                  st.size / std::max<uint64_t>(st.comp_size, 1), limits.max_ratio));
    zip_file_t* f = zip_fopen_index(archive, static_cast<zip_uint64_t>(member), 0);
    if (!f) return refuse(fmt::format("cannot open the zip member: {}", zip_strerror(archive)));
    return std::unique_ptr<ByteSource>(std::make_unique<ZipSource>(archive, f, st.size));
}

}  // namespace

Result<std::unique_ptr<ByteSource>> open_source(const std::filesystem::path& file, ZipLimits limits) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return fail(ErrorKind::NotFound, fmt::format("{}: {}", file.string(), std::strerror(errno)));
    char head[4] = {};
    std::size_t n = std::fread(head, 1, sizeof head, f);
    if (n == sizeof head && std::memcmp(head, kZipMagic, 4) == 0) {
        std::fclose(f);
        return open_zip(file, limits);
    }
    std::rewind(f);
    return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(f));
}

}  // namespace mss::directory
