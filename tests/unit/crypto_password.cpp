// scrypt password hashes: the encoding, a known answer from RFC 7914, and refusal of every malformed,
// tampered or over-costly encoding. Trusts hash_password only for the round trips; ln=10 keeps it quick.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "crypto/password.h"

using namespace mss::crypto;

namespace {

const std::string kPassword = "correct horse battery staple";

const std::string& sample_hash() {
    static const std::string hash = [] {
        auto h = hash_password(kPassword, 10);
        REQUIRE(h.ok());
        return h.value();
    }();
    return hash;
}

// The i-th '$'-separated field (0 is the empty text before the first '$').
std::string field(const std::string& encoded, int i) {
    std::size_t begin = 0;
    for (int k = 0; k < i; ++k) begin = encoded.find('$', begin) + 1;
    return encoded.substr(begin, encoded.find('$', begin) - begin);
}

std::string with_field(const std::string& encoded, int i, const std::string& value) {
    std::string out;
    for (int k = 0; k < 5; ++k) out += (k ? "$" : "") + (k == i ? value : field(encoded, k));
    return out;
}

}  // namespace

TEST_CASE("a hash names its parameters and carries a 16-byte salt and a 32-byte hash in base64") {
    const std::string& h = sample_hash();
    CHECK(field(h, 0).empty());
    CHECK(field(h, 1) == "scrypt");
    CHECK(field(h, 2) == "ln=10,r=8,p=1");
    CHECK(field(h, 3).size() == 24);  // 16 bytes, padded
    CHECK(field(h, 4).size() == 44);  // 32 bytes, padded
    CHECK(with_field(h, 4, field(h, 4)) == h);
}

TEST_CASE("the right password verifies, a wrong one does not") {
    CHECK(verify_password(kPassword, sample_hash()));
    CHECK_FALSE(verify_password("correct horse battery staplE", sample_hash()));
    CHECK_FALSE(verify_password("", sample_hash()));
    auto empty = hash_password("", 10);
    REQUIRE(empty.ok());
    CHECK(verify_password("", *empty));
    CHECK_FALSE(verify_password(" ", *empty));
}

TEST_CASE("two hashes of one password differ by their salt and both verify") {
    auto other = hash_password(kPassword, 10);
    REQUIRE(other.ok());
    CHECK(field(*other, 3) != field(sample_hash(), 3));
    CHECK(field(*other, 4) != field(sample_hash(), 4));
    CHECK(verify_password(kPassword, *other));
}

TEST_CASE("the parameters reach scrypt as N=2^ln, r, p: RFC 7914's third test vector") {
    // scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1): the first 32 of its 64 bytes.
    std::string encoded = "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU=$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI=";
    CHECK(verify_password("pleaseletmein", encoded));
    CHECK_FALSE(verify_password("pleaseletmeio", encoded));
    CHECK_FALSE(verify_password("pleaseletmein", with_field(encoded, 2, "ln=14,r=8,p=2")));
    CHECK_FALSE(verify_password("pleaseletmein", with_field(encoded, 2, "ln=13,r=8,p=1")));
    CHECK_FALSE(verify_password("pleaseletmein", with_field(encoded, 2, "ln=14,r=7,p=1")));
}

TEST_CASE("every proper prefix of a hash is refused") {
    const std::string& h = sample_hash();
    for (std::size_t n = 0; n < h.size(); ++n) CHECK_FALSE_MESSAGE(verify_password(kPassword, h.substr(0, n)), n);
}

TEST_CASE("a hash tampered in any character of its salt or hash is refused") {
    const std::string& h = sample_hash();
    std::size_t salt_at = h.size() - field(h, 4).size() - 1 - field(h, 3).size();
    for (std::size_t i = salt_at; i < h.size(); ++i) {
        if (h[i] == '$' || h[i] == '=') continue;
        std::string t = h;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        CHECK_FALSE_MESSAGE(verify_password(kPassword, t), t);
    }
}

TEST_CASE("malformed, unknown or out-of-bounds encodings are refused") {
    const std::string& h = sample_hash();
    std::string salt = field(h, 3), hash = field(h, 4);
    auto with_params = [&](const std::string& p) { return "$scrypt$" + p + "$" + salt + "$" + hash; };
    std::vector<std::string> bad = {
        "",
        "$",
        "$scrypt$",
        "$scrypt$$$",
        "garbage",
        std::string(10000, '$'),
        "$bcrypt$ln=10,r=8,p=1$" + salt + "$" + hash,
        "$SCRYPT$ln=10,r=8,p=1$" + salt + "$" + hash,
        "scrypt$ln=10,r=8,p=1$" + salt + "$" + hash,
        h + "$",
        h + "\n",
        " " + h,
        h + std::string(1, '\0'),
        with_params("ln=9,r=8,p=1"),
        with_params("ln=23,r=8,p=1"),
        with_params("ln=40,r=8,p=1"),
        with_params("ln=-10,r=8,p=1"),
        with_params("ln=010,r=8,p=1"),
        with_params("ln=+10,r=8,p=1"),
        with_params("ln=10,r=0,p=1"),
        with_params("ln=10,r=33,p=1"),
        with_params("ln=10,r=8,p=0"),
        with_params("ln=10,r=8,p=17"),
        with_params("ln=10,r=8"),
        with_params("ln=10,r=8,p=1,"),
        with_params("ln=10,r=8,p=1,x=2"),
        with_params("r=8,ln=10,p=1"),
        with_params("ln=10;r=8;p=1"),
        with_params("ln=10, r=8, p=1"),
        with_params("ln=,r=8,p=1"),
        with_field(h, 3, ""),
        with_field(h, 3, "AAAAAAAAAA=="),           // 7 bytes: too short a salt
        with_field(h, 3, std::string(88, 'A')),     // 66 bytes: too long
        with_field(h, 3, salt.substr(0, 22)),       // padding removed
        with_field(h, 3, "!" + salt.substr(1)),     // outside the alphabet
        with_field(h, 4, ""),
        with_field(h, 4, hash.substr(0, 40)),       // 30 bytes
        with_field(h, 4, hash + "AAAA"),            // 35 bytes
        with_field(h, 4, hash.substr(0, 43)),       // padding removed
    };
    for (const auto& b : bad) CHECK_FALSE_MESSAGE(verify_password(kPassword, b), b);
}

TEST_CASE("a non-canonical base64 spelling of the right hash is refused") {
    // 32 bytes leave 2 unused bits in the last base64 digit: setting one decodes to the same bytes.
    const std::string& h = sample_hash();
    std::string hash = field(h, 4);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char& last = hash[hash.size() - 2];
    REQUIRE(alphabet.find(last) % 4 == 0);
    last = alphabet[alphabet.find(last) + 1];
    CHECK_FALSE(verify_password(kPassword, with_field(h, 4, hash)));
}

TEST_CASE("an encoding asking for more memory than the cap fails at once instead of allocating it") {
    // ln=22, r=32 needs 16 GiB: above the 4 GiB cap meant for ln=22, r=8.
    const std::string& h = sample_hash();
    CHECK_FALSE(verify_password(kPassword, with_field(h, 2, "ln=22,r=32,p=16")));
}

TEST_CASE("hash_password refuses a cost outside ln 10..22") {
    for (int ln : {-1, 0, 9, 23, 64}) {
        auto h = hash_password(kPassword, ln);
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().kind == mss::ErrorKind::Invalid);
    }
}
