// Files of the pki/ folder: atomic 0600 writes (temporary file, fsync, rename, fsync of the folder),
// bounded reads, private folders and an exclusive lock for read-modify-write of the issued index.
// Internal to crypto/; trusts the folder's owner (the operator), nothing else.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::crypto::files {

Result<bool> present(const std::filesystem::path& path);
Status write_atomic(const std::filesystem::path& path, std::string_view text);
// NotFound when missing; Invalid when larger than max_size.
Result<std::string> read_text(const std::filesystem::path& path, std::size_t max_size = 64 * 1024 * 1024);
// Creates dir (0700) and its parents when missing; an existing dir keeps its mode.
Status make_private_dir(const std::filesystem::path& dir);

// flock(LOCK_EX) on a lock file, released when destroyed.
class Lock {
public:
    static Result<Lock> acquire(const std::filesystem::path& lock_file);
    Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    ~Lock();

private:
    explicit Lock(int fd) : fd_(fd) {}
    int fd_;
};

}  // namespace mss::crypto::files
