// core/sqlite.h's schema-step upgrade, which the store, the directory and the DMP all use: each
// step once, in order, in one transaction; newer files and files without schema refused as told.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "core/sqlite.h"

namespace {

struct Memory {
    sqlite3* db = nullptr;
    Memory() { sqlite3_open(":memory:", &db); }
    ~Memory() { sqlite3_close(db); }
    int64_t version() { return *mss::sqlite::scalar(db, "PRAGMA user_version"); }
    bool has_table(const char* name) {
        mss::sqlite::Stmt q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
        q.bind(1, name);
        return q.step() == SQLITE_ROW;
    }
};

constexpr const char* kTwo[] = {"CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);"};
constexpr const char* kThree[] = {"CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);",
                                  "ALTER TABLE a ADD COLUMN z TEXT;"};

}  // namespace

TEST_CASE("a fresh file gets every step; a later program applies only the new ones") {
    Memory m;
    REQUIRE(mss::sqlite::upgrade_schema(m.db, kTwo, "test.db"));
    CHECK(m.version() == 2);
    CHECK(m.has_table("b"));
    REQUIRE(mss::sqlite::upgrade_schema(m.db, kThree, "test.db"));
    CHECK(m.version() == 3);
    CHECK(mss::sqlite::exec(m.db, "INSERT INTO a (x, z) VALUES (1, 'z')"));
    REQUIRE(mss::sqlite::upgrade_schema(m.db, kThree, "test.db"));
    CHECK(m.version() == 3);
}

TEST_CASE("a file written by a newer program is refused and left as it is") {
    Memory m;
    REQUIRE(mss::sqlite::upgrade_schema(m.db, kThree, "test.db"));
    auto refused = mss::sqlite::upgrade_schema(m.db, kTwo, "test.db");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == mss::ErrorKind::Invalid);
    CHECK(refused.error().message.find("newer") != std::string::npos);
    CHECK(m.version() == 3);
}

TEST_CASE("without create, a file with no schema is refused") {
    Memory m;
    auto refused = mss::sqlite::upgrade_schema(m.db, kTwo, "test.db", false);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == mss::ErrorKind::NotFound);
    CHECK_FALSE(m.has_table("a"));
}

TEST_CASE("a failing step rolls every step of the upgrade back") {
    Memory m;
    constexpr const char* kBroken[] = {"CREATE TABLE a (x INTEGER);", "CREATE TABLE a (x INTEGER);"};
    REQUIRE_FALSE(mss::sqlite::upgrade_schema(m.db, kBroken, "test.db"));
    CHECK(m.version() == 0);
    CHECK_FALSE(m.has_table("a"));
}
