// Files of the pki/ folder, written so that a crash leaves either the old state or the whole new file.
// Trusts the folder's owner; reads are bounded in size.
#include "crypto/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mss::crypto::files {
namespace {

namespace fs = std::filesystem;

Error system_failure(std::string_view what, const fs::path& path) {
    return fail(ErrorKind::Io, fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Status sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return system_failure("cannot open", dir);
    if (::fsync(fd) != 0) {
        Error e = system_failure("cannot sync", dir);
        ::close(fd);
        return e;
    }
    ::close(fd);
    return Ok{};
}

// Fills and closes the temporary file fd, whatever happens.
Status fill_temporary(int fd, const fs::path& tmp, std::string_view text) {
    if (::fchmod(fd, 0600) != 0 || !write_all(fd, text) || ::fsync(fd) != 0) {
        Error e = system_failure("cannot write", tmp);
        ::close(fd);
        return e;
    }
    if (::close(fd) != 0) return system_failure("cannot write", tmp);
    return Ok{};
}

}  // namespace

Result<bool> present(const fs::path& path) {
    std::error_code ec;
    bool found = fs::exists(path, ec);
    if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", path.string(), ec.message()));
    return found;
}

Status write_atomic(const fs::path& path, std::string_view text) {
    std::string tmp = path.string() + ".tmp-XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) return system_failure("cannot create", tmp);
    Status filled = fill_temporary(fd, tmp, text);
    if (filled && ::rename(tmp.c_str(), path.c_str()) != 0) filled = system_failure("cannot rename to", path);
    if (!filled) {
        ::unlink(tmp.c_str());
        return filled;
    }
    return sync_directory(path.has_parent_path() ? path.parent_path() : fs::path("."));
}

Result<std::string> read_text(const fs::path& path, std::size_t max_size) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::NotFound, fmt::format("cannot read {}", path.string()));
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (!ec && size > max_size)
        return fail(ErrorKind::Invalid, fmt::format("{} is larger than {} bytes", path.string(), max_size));
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) return fail(ErrorKind::Io, fmt::format("cannot read {}", path.string()));
    return s.str();
}

Status make_private_dir(const fs::path& dir) {
    std::error_code ec;
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", dir.parent_path().string(), ec.message()));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return system_failure("cannot create", dir);
    if (!fs::is_directory(dir, ec)) return fail(ErrorKind::Io, fmt::format("{} is not a directory", dir.string()));
    return Ok{};
}

Result<Lock> Lock::acquire(const fs::path& lock_file) {
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return system_failure("cannot open", lock_file);
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        Error e = system_failure("cannot lock", lock_file);
        ::close(fd);
        return e;
    }
    return Lock(fd);
}

Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace mss::crypto::files
