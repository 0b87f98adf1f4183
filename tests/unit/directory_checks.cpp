// FINESS and INS keys, address syntax.
#include <doctest/doctest.h>

#include "directory/checks.h"

using namespace mss::directory;

TEST_CASE("FINESS: Luhn over the nine characters, Corsica's 2A/2B read as 20") {
    CHECK(finess_valid("750000010"));  // 75000001 + Luhn key 0
    CHECK_FALSE(finess_valid("750000017"));
    CHECK(finess_valid("2A0000016"));  // read as 200000016
    CHECK(finess_valid("2B0000016"));
    CHECK_FALSE(finess_valid("2A0000015"));
    for (auto bad : {"", "75000001", "7500000100", "75000001x", "2C0000016"}) CHECK_MESSAGE(!finess_valid(bad), bad);
}

TEST_CASE("INS matricule: 97 - NIR mod 97, Corsica read with 2A as 19 and 2B as 18") {
    CHECK(ins_valid("184127510804231"));
    CHECK_FALSE(ins_valid("184127510804232"));
    // 2A: 1 84 12 2A 108 042 is read 1841219108042; 2B as 1841218108042.
    CHECK(ins_valid("18412" "2A" "108042" "88"));
    CHECK(ins_valid("18412" "2B" "108042" "18"));
    CHECK(ins_valid("18412" "2a" "108042" "88"));
    CHECK_FALSE(ins_valid("18412" "2A" "108042" "18"));
    for (auto bad : {"", "18412751080423", "1841275108042311", "18412751080423x", "18412" "2C" "108042" "88"})
        CHECK_MESSAGE(!ins_valid(bad), bad);
}

TEST_CASE("mailbox address syntax") {
    for (auto good : {"jean.dupont@medecin.mssante.fr", "labo-results@labo-y.mssante.fr", "a+b@x.fr", "X@Y.FR"})
        CHECK_MESSAGE(address_valid(good), good);
    for (auto bad : {"", "@x.fr", "a@", "a@x", "a..b@x.fr", ".a@x.fr", "a.@x.fr", "a b@x.fr", "a@-x.fr", "a@x-.fr",
                     "a@x..fr", "é@x.fr", "a@x.fr.", "a@b@x.fr"})
        CHECK_MESSAGE(!address_valid(bad), bad);
}
