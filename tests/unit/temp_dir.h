// A temporary folder for a unit test, removed with everything in it when the test ends.
// Shared by every unit test binary; trusts mkdtemp.
#pragma once
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace unit_test {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/mssd-unit-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace unit_test
