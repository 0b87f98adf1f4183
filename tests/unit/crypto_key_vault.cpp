// The key vault: sealed keys open only with the same vault key and label; the vault file is made
// once, private, and refused when it is not a 32-byte key.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "crypto/key_vault.h"
#include "crypto_fixture.h"

using mss::crypto::KeyVault;
using crypto_test::TempDir;

TEST_CASE("a sealed secret opens with its label and no other") {
    TempDir dir;
    auto vault = KeyVault::open(dir.path / "vault.key", true);
    REQUIRE(vault);
    const std::string secret = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n";
    auto sealed = vault->seal(secret, "sign:dr@x.fr");
    REQUIRE(sealed);
    CHECK(sealed->starts_with("v1:"));
    CHECK(sealed->find("PRIVATE KEY") == std::string::npos);
    CHECK(*vault->unseal(*sealed, "sign:dr@x.fr") == secret);
    CHECK_FALSE(vault->unseal(*sealed, "encryption:dr@x.fr"));
    CHECK_FALSE(vault->unseal(*sealed, "sign:autre@x.fr"));
    CHECK(*vault->seal(secret, "sign:dr@x.fr") != *sealed);  // a fresh nonce each time
}

TEST_CASE("an altered or truncated sealed key does not open") {
    TempDir dir;
    auto vault = KeyVault::open(dir.path / "vault.key", true);
    REQUIRE(vault);
    std::string sealed = *vault->seal("secret", "l");
    std::string flipped = sealed;
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
    CHECK_FALSE(vault->unseal(flipped, "l"));
    CHECK_FALSE(vault->unseal(sealed.substr(0, 20), "l"));
    CHECK_FALSE(vault->unseal("v2:" + sealed.substr(3), "l"));
    CHECK_FALSE(vault->unseal("", "l"));
}

TEST_CASE("the vault key is made once, private, and only another vault's key fails") {
    TempDir dir;
    auto file = dir.path / "vault.key";
    CHECK(KeyVault::open(file, false).error().kind == mss::ErrorKind::NotFound);
    auto first = KeyVault::open(file, true);
    REQUIRE(first);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0077) == 0);
    std::string sealed = *first->seal("secret", "l");
    auto again = KeyVault::open(file, false);
    REQUIRE(again);
    CHECK(*again->unseal(sealed, "l") == "secret");
    auto other = KeyVault::open(dir.path / "other.key", true);
    REQUIRE(other);
    CHECK_FALSE(other->unseal(sealed, "l"));
    std::ofstream(file, std::ios::trunc) << "not base64 at all\n";
    CHECK(KeyVault::open(file, false).error().kind == mss::ErrorKind::Invalid);
}
