// The SQLite helpers every module that keeps its own SQLite file shares (store, directory, dmp): a
// prepared statement finalised on scope exit, exec, and the upgrade through append-only schema steps.
// Header-only, so that core/ itself does not link SQLite; trusts its callers' SQL text.
#pragma once
#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace mss::sqlite {

class Stmt {
public:
    Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    Stmt(sqlite3* db, const std::string& sql) : Stmt(db, sql.c_str()) {}
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Prepared, and the last step (if any) did not fail.
    bool ok() const { return rc_ == SQLITE_OK || rc_ == SQLITE_ROW || rc_ == SQLITE_DONE; }

    Stmt& bind(int i, int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Stmt& bind(int i, std::string_view v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Stmt& bind(int i, const std::optional<std::string>& v) {
        if (v) return bind(i, std::string_view(*v));
        sqlite3_bind_null(stmt_, i);
        return *this;
    }
    Stmt& bind(int i, const std::optional<uint64_t>& v) {
        if (v) return bind(i, static_cast<int64_t>(*v));
        sqlite3_bind_null(stmt_, i);
        return *this;
    }
    // Not copied: the octets must stay where they are until the statement is stepped.
    Stmt& bind_blob(int i, std::string_view v) {
        sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC);
        return *this;
    }

    int step() { return rc_ = sqlite3_step(stmt_); }
    // Ready to run again with new bindings (the statement is prepared once for many rows).
    Stmt& reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return *this;
    }

    int64_t i64(int c) { return sqlite3_column_int64(stmt_, c); }
    bool is_null(int c) { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::string text(int c) {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string();
    }
    std::optional<std::string> opt(int c) {
        if (is_null(c)) return std::nullopt;
        return text(c);
    }
    std::optional<uint64_t> optional_u64(int c) {
        if (is_null(c)) return std::nullopt;
        return static_cast<uint64_t>(i64(c));
    }
    // Valid until the next step or reset.
    std::string_view blob_view(int c) {
        auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string_view();
    }
    std::string blob(int c) { return std::string(blob_view(c)); }

    Error error() const { return fail(ErrorKind::Io, sqlite3_errmsg(db_)); }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    int rc_;
};

// Statements prepared once and kept while the connection lives, for the few a hot path runs again
// and again (a deposit, a trace). Keyed by SQL text; one cache per connection, used under the lock
// that guards the connection, and cleared before it closes. A use hands the statement back reset,
// so that no finished SELECT keeps a read snapshot open between uses.
class StmtCache {
public:
    class Use {
    public:
        explicit Use(Stmt& s) : stmt_(s) {}
        ~Use() { stmt_.reset(); }
        Use(const Use&) = delete;
        Use& operator=(const Use&) = delete;
        Stmt* operator->() { return &stmt_; }
        Stmt& operator*() { return stmt_; }

    private:
        Stmt& stmt_;
    };

    explicit StmtCache(sqlite3* db) : db_(db) {}
    Use operator()(const std::string& sql) {
        auto found = stmts_.find(sql);
        if (found == stmts_.end()) found = stmts_.emplace(sql, std::make_unique<Stmt>(db_, sql)).first;
        return Use(*found->second);
    }
    void clear() { stmts_.clear(); }

private:
    sqlite3* db_;
    std::unordered_map<std::string, std::unique_ptr<Stmt>> stmts_;
};

inline Status exec(sqlite3* db, const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
        std::string text = msg ? msg : "sqlite error";
        sqlite3_free(msg);
        return fail(ErrorKind::Io, text);
    }
    return Ok{};
}
inline Status exec(sqlite3* db, const std::string& sql) { return exec(db, sql.c_str()); }

// For ROLLBACK, RELEASE and clean-ups on paths that already report an error.
inline void exec_quietly(sqlite3* db, const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
inline void exec_quietly(sqlite3* db, const std::string& sql) { exec_quietly(db, sql.c_str()); }

inline Result<int64_t> scalar(sqlite3* db, const char* sql) {
    Stmt q(db, sql);
    if (!q.ok() || q.step() != SQLITE_ROW) return q.error();
    return q.i64(0);
}
inline Result<int64_t> scalar(sqlite3* db, const std::string& sql) { return scalar(db, sql.c_str()); }

// Brings a file from its PRAGMA user_version to steps.size() in one transaction: step i takes
// version i to i + 1 (steps are appended, never edited). A file newer than the program is refused;
// a file without schema (version 0) is laid out only when `create` is set. `file` names it in errors.
inline Status upgrade_schema(sqlite3* db, std::span<const char* const> steps, std::string_view file, bool create = true) {
    const auto latest = static_cast<int64_t>(steps.size());
    if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
    auto upgrade = [&]() -> Status {
        auto version = scalar(db, "PRAGMA user_version");
        if (!version) return version.error();
        if (*version > latest)
            return fail(ErrorKind::Invalid,
                        fmt::format("{}: schema version {} is newer than this program's {}", file, *version, latest));
        if (*version == 0 && !create)
            return fail(ErrorKind::NotFound, fmt::format("{}: no schema (run mssctl init)", file));
        for (auto step = *version; step < latest; ++step)
            if (auto s = exec(db, steps[static_cast<std::size_t>(step)]); !s) return s;
        return exec(db, fmt::format("PRAGMA user_version={}", latest));
    };
    if (auto s = upgrade(); !s) return exec_quietly(db, "ROLLBACK"), s;
    return exec(db, "COMMIT");
}

}  // namespace mss::sqlite
