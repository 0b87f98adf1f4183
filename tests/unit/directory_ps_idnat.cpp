// PS_IdNat parsing: RPPS with Luhn check digit, ADELI, and everything else refused.
#include <doctest/doctest.h>

#include "directory/ps_idnat.h"

using namespace mss::directory;

TEST_CASE("a valid RPPS PS_IdNat is accepted") {
    auto r = parse_ps_idnat("810001045367");
    REQUIRE(r.ok());
    CHECK(r->type == PsIdNat::Type::Rpps);
    CHECK(r->value == "810001045367");
}

TEST_CASE("a wrong RPPS check digit is refused") {
    CHECK_FALSE(parse_ps_idnat("810001045368").ok());
    CHECK(parse_ps_idnat("810001045368").error().message.find("check digit") != std::string::npos);
}

TEST_CASE("ADELI PS_IdNat is accepted") {
    auto r = parse_ps_idnat("0751234567");
    REQUIRE(r.ok());
    CHECK(r->type == PsIdNat::Type::Adeli);
}

TEST_CASE("malformed identifiers are refused") {
    for (auto bad : {"", "8", "81000104536", "8100010453670", "910001045367", "81000104536a", "075123456",
                     "07512345678", "0 75123456"})
        CHECK_MESSAGE(!parse_ps_idnat(bad).ok(), bad);
}

TEST_CASE("Luhn") {
    CHECK(luhn_valid("79927398713"));
    CHECK_FALSE(luhn_valid("79927398710"));
    CHECK_FALSE(luhn_valid("7992739871x"));
}
