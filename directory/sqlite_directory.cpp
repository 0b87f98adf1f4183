// SQLite implementation of the Directory (DATA/directory.db): WAL, one writer connection behind a
// mutex for imports, reader connections from a pool for look-ups. An import is one transaction that
// compares each row with the fingerprint held under its key and writes only what changed; memory is
// bounded by the keys (24 + 16 octets a row), never the rows. SQL a PostgreSQL backend can run.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <mutex>

#include "core/sqlite.h"
#include "core/text.h"
#include "directory/directory.h"

namespace mss::directory {
namespace {

// The schema as steps: step i takes PRAGMA user_version from i to i + 1. Append steps, never edit one.
constexpr const char* kSchemaSteps[] = {
    R"SQL(
CREATE TABLE IF NOT EXISTS mailboxes (
  address TEXT PRIMARY KEY, type TEXT NOT NULL, ps_idnat TEXT NOT NULL, structure_id TEXT NOT NULL,
  service TEXT NOT NULL, civility TEXT NOT NULL, family TEXT NOT NULL, given TEXT NOT NULL,
  profession_code TEXT NOT NULL, profession TEXT NOT NULL, specialty TEXT NOT NULL, structure_name TEXT NOT NULL,
  postcode TEXT NOT NULL, city TEXT NOT NULL, department TEXT NOT NULL, country TEXT NOT NULL,
  liste_rouge INTEGER NOT NULL, fingerprint BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS mailboxes_by_ps_idnat ON mailboxes(ps_idnat);
CREATE INDEX IF NOT EXISTS mailboxes_by_postcode ON mailboxes(postcode);
CREATE TABLE IF NOT EXISTS activities (
  activity_key BIGINT PRIMARY KEY, ps_idnat TEXT NOT NULL, civility TEXT NOT NULL, family TEXT NOT NULL,
  given TEXT NOT NULL, profession_code TEXT NOT NULL, profession TEXT NOT NULL, specialty_code TEXT NOT NULL,
  specialty TEXT NOT NULL, mode_code TEXT NOT NULL, siret TEXT NOT NULL, finess_site TEXT NOT NULL,
  finess_ej TEXT NOT NULL, structure_id TEXT NOT NULL, structure_name TEXT NOT NULL, postcode TEXT NOT NULL,
  city TEXT NOT NULL, fingerprint BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS activities_by_ps_idnat ON activities(ps_idnat);
CREATE TABLE IF NOT EXISTS whitelist (
  domain TEXT NOT NULL, operator_dn TEXT NOT NULL, description TEXT NOT NULL, responsible_contact TEXT NOT NULL,
  support_contact TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY(domain, operator_dn));
CREATE TABLE IF NOT EXISTS imports (
  kind TEXT PRIMARY KEY, source TEXT NOT NULL, imported_at BIGINT NOT NULL, total_rows BIGINT NOT NULL,
  bad_rows BIGINT NOT NULL, added BIGINT NOT NULL, changed BIGINT NOT NULL, withdrawn BIGINT NOT NULL,
  unchanged BIGINT NOT NULL);
)SQL",
    // The operator's liste rouge, beside the imported rows so that imports never touch it; the
    // structure look-ups of the FHIR API.
    R"SQL(
CREATE TABLE IF NOT EXISTS liste_rouge_marks (address TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS mailboxes_by_structure ON mailboxes(structure_id);
CREATE INDEX IF NOT EXISTS activities_by_structure ON activities(structure_id);
CREATE INDEX IF NOT EXISTS activities_by_finess_site ON activities(finess_site);
CREATE INDEX IF NOT EXISTS activities_by_finess_ej ON activities(finess_ej);
CREATE INDEX IF NOT EXISTS activities_by_siret ON activities(siret);
)SQL",
    // The mailboxes an import added, changed or withdrew (or whose certificate changed), one row per
    // address with the sequence number of its last change, until a feed (LDAP) acknowledges them.
    R"SQL(
CREATE TABLE IF NOT EXISTS mailbox_changes (address TEXT PRIMARY KEY, seq BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS mailbox_changes_by_seq ON mailbox_changes(seq);
CREATE TABLE IF NOT EXISTS mailbox_changes_acknowledged (seq BIGINT NOT NULL);
INSERT INTO mailbox_changes_acknowledged (seq) VALUES (0);
)SQL",
};
// The last seq given, acknowledged ones included: seq never goes back, so an acknowledgement never
// covers a change made after the page it acknowledges was read.
constexpr const char* kLastSeq = "SELECT COALESCE(MAX(s), 0) FROM (SELECT MAX(seq) AS s FROM mailbox_changes "
                                 "UNION ALL SELECT seq FROM mailbox_changes_acknowledged)";
constexpr const char* kNoteChange =
    "INSERT INTO mailbox_changes (address, seq) VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET seq = excluded.seq";

constexpr const char* kMailboxColumns =
    "address, type, ps_idnat, structure_id, service, civility, family, given, profession_code, profession, "
    "specialty, structure_name, postcode, city, department, country, liste_rouge, fingerprint";
// The mailbox columns as read back: liste_rouge also when the operator marked the address.
constexpr const char* kMailboxSelected =
    "address, type, ps_idnat, structure_id, service, civility, family, given, profession_code, profession, "
    "specialty, structure_name, postcode, city, department, country, "
    "(liste_rouge <> 0 OR address IN (SELECT address FROM liste_rouge_marks)), fingerprint";
// A mailbox anyone may be shown.
constexpr const char* kPublished = "liste_rouge = 0 AND address NOT IN (SELECT address FROM liste_rouge_marks)";
constexpr const char* kActivityColumns =
    "activity_key, ps_idnat, civility, family, given, profession_code, profession, specialty_code, specialty, "
    "mode_code, siret, finess_site, finess_ej, structure_id, structure_name, postcode, city, fingerprint";

using sqlite::exec;
using sqlite::exec_quietly;
using sqlite::scalar;
using sqlite::Stmt;

struct DbClose {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;

Result<Db> open_db(const std::filesystem::path& file, int flags) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK)
        return fail(ErrorKind::Io, fmt::format("{}: {}", file.string(), raw ? sqlite3_errmsg(raw) : "cannot open"));
    if (auto s = exec(db.get(), "PRAGMA busy_timeout=10000"); !s) return s.error();
    return db;
}

Status migrate(sqlite3* db) {
    {
        Stmt wal(db, "PRAGMA journal_mode=WAL");
        if (!wal.ok() || wal.step() != SQLITE_ROW || ascii_lower(wal.text(0)) != "wal")
            return fail(ErrorKind::Io, "cannot put the directory in WAL mode");
    }
    // After a national import's checkpoint the WAL file shrinks back to 64 MiB instead of staying
    // the size of the import.
    if (auto s = exec(db, "PRAGMA synchronous=FULL; PRAGMA journal_size_limit=67108864"); !s) return s;
    return sqlite::upgrade_schema(db, kSchemaSteps, "directory.db");
}

MailboxEntry mailbox_from(Stmt& q) {
    MailboxEntry e;
    e.address = q.text(0);
    e.type = mailbox_type_from(q.text(1)).value_or(MailboxType::Per);
    std::string* fields[] = {&e.ps_idnat, &e.structure_id, &e.service, &e.civility, &e.family, &e.given,
                             &e.profession_code, &e.profession, &e.specialty, &e.structure_name, &e.postcode,
                             &e.city, &e.department, &e.country};
    int c = 2;
    for (auto* f : fields) *f = q.text(c++);
    e.liste_rouge = q.i64(c++) != 0;
    e.fingerprint = static_cast<uint64_t>(q.i64(c));
    return e;
}

ActivityEntry activity_from(Stmt& q) {
    ActivityEntry e;
    std::string* fields[] = {&e.ps_idnat, &e.civility, &e.family, &e.given, &e.profession_code, &e.profession,
                             &e.specialty_code, &e.specialty, &e.mode_code, &e.siret, &e.finess_site,
                             &e.finess_ej, &e.structure_id, &e.structure_name, &e.postcode, &e.city};
    int c = 1;
    for (auto* f : fields) *f = q.text(c++);
    e.fingerprint = static_cast<uint64_t>(q.i64(c));
    return e;
}

// FNV-1a of the activity's key fields: the activity's identity from one extraction to the next.
int64_t activity_key(const ActivityEntry& e) {
    uint64_t h = 1469598103934665603ull;
    for (const std::string* f : {&e.ps_idnat, &e.structure_id, &e.profession_code, &e.mode_code, &e.specialty_code}) {
        for (unsigned char c : *f) h = (h ^ c) * 1099511628211ull;
        h = (h ^ '|') * 1099511628211ull;
    }
    return static_cast<int64_t>(h);
}

std::string escape_like(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// FNV-1a of a mailbox's address: its key in memory during an import.
uint64_t address_key(std::string_view address) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : address) h = (h ^ c) * 1099511628211ull;
    return h;
}

// A set of 64-bit keys with open addressing: 8 octets a slot, at most half full. The keys of a
// national file (2 million) fit in 32 MiB, where a node-based set takes about three times that.
class KeySet {
public:
    // false: the key was there already.
    bool insert(uint64_t key) {
        if (key == 0) key = 1;  // 0 marks an empty slot
        if ((size_ + 1) * 2 > slots_.size()) grow();
        for (std::size_t i = slot(key);; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == key) return false;
            if (slots_[i] == 0) {
                slots_[i] = key;
                ++size_;
                return true;
            }
        }
    }

private:
    std::size_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> 20 & (slots_.size() - 1); }
    void grow() {
        std::vector<uint64_t> old(std::max<std::size_t>(slots_.size() * 2, 1024), 0);
        old.swap(slots_);
        size_ = 0;
        for (uint64_t k : old)
            if (k) insert(k);
    }
    std::vector<uint64_t> slots_;
    std::size_t size_ = 0;
};

// What the directory holds of one kind before the import: each key's fingerprint, sorted by key,
// and whether the file gave that key again.
struct Held {
    uint64_t key = 0, fingerprint = 0;
    bool seen = false;
    bool operator<(const Held& o) const { return key < o.key; }
};

class SqliteDirectory;

// One import inside the writer's transaction (begun by begin()): each row is compared with what the
// directory held under its key, as it arrives; only added and changed rows are written, withdrawn
// ones deleted at commit. Memory: 24 octets per held row and 16 per slot of the key set.
class SqliteImport final : public ImportSession {
public:
    SqliteImport(SqliteDirectory& dir, std::unique_lock<std::mutex> lock, ExtractionKind kind);
    ~SqliteImport() override;

    Result<bool> add(const MailboxEntry& e) override;
    Result<bool> add(const ActivityEntry& e) override;
    Result<ImportCounts> commit(std::string_view source, uint64_t rows, uint64_t bad_rows) override;

    Status begin();

private:
    enum class Verdict { Duplicate, Unchanged, Changed, Added };
    Verdict classify(uint64_t key, uint64_t fingerprint);
    Result<bool> write(Verdict verdict, const std::function<void(Stmt&)>& bind_key,
                       const std::function<void(Stmt&)>& bind_row);
    Status delete_withdrawn();
    Status note_change(std::string_view address);
    Status defer_indexes();
    Status rebuild_indexes();

    SqliteDirectory& dir_;
    std::unique_lock<std::mutex> lock_;
    ExtractionKind kind_;
    std::string table_, key_column_, columns_;
    std::vector<Held> held_;
    KeySet keys_;  // every key the file gave: duplicates within the file
    std::unique_ptr<Stmt> insert_, remove_, note_;
    std::vector<std::string> deferred_indexes_;  // CREATE INDEX statements to run again at commit
    int64_t next_seq_ = 1;  // of mailbox_changes
    ImportCounts counts_;
    bool open_ = false;
};

class SqliteDirectory final : public Directory {
public:
    SqliteDirectory(std::filesystem::path file, Db writer, bool read_only)
        : file_(std::move(file)), writer_(std::move(writer)), read_only_(read_only) {}

    Result<std::unique_ptr<ImportSession>> begin_import(ExtractionKind kind) override {
        if (read_only_) return fail(ErrorKind::Denied, "the directory was opened for look-ups only");
        auto session = std::make_unique<SqliteImport>(*this, std::unique_lock(write_mutex_), kind);
        if (auto s = session->begin(); !s) return s.error();
        return std::unique_ptr<ImportSession>(std::move(session));
    }

    Result<ImportCounts> replace_whitelist(std::span<const WhitelistEntry> entries, std::string_view source) override;

    Result<std::optional<MailboxEntry>> find_mailbox(std::string_view address) override {
        return with_reader([&](Reader& r) -> Result<std::optional<MailboxEntry>> {
            auto& q = r.find_mailbox;
            q.reset().bind(1, address);
            int rc = q.step();
            if (rc == SQLITE_DONE) return std::optional<MailboxEntry>();
            if (rc != SQLITE_ROW) return q.error();
            return std::optional<MailboxEntry>(mailbox_from(q));
        });
    }

    Result<bool> domain_whitelisted(std::string_view domain) override {
        return with_reader([&](Reader& r) -> Result<bool> {
            auto& q = r.whitelisted;
            q.reset().bind(1, domain);
            int rc = q.step();
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.error();
            return rc == SQLITE_ROW;
        });
    }

    Result<std::vector<WhitelistEntry>> whitelist_entries(std::string_view domain) override {
        return with_reader([&](Reader& r) -> Result<std::vector<WhitelistEntry>> {
            Stmt q(r.db.get(), "SELECT domain, operator_dn, description, responsible_contact, support_contact, updated "
                               "FROM whitelist WHERE domain = ? ORDER BY operator_dn");
            q.bind(1, domain);
            std::vector<WhitelistEntry> out;
            while (q.step() == SQLITE_ROW)
                out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)});
            if (!q.ok()) return q.error();
            return out;
        });
    }

    Result<std::vector<std::string>> operator_dns() override {
        return with_reader([&](Reader& r) -> Result<std::vector<std::string>> {
            Stmt q(r.db.get(), "SELECT DISTINCT operator_dn FROM whitelist ORDER BY operator_dn");
            std::vector<std::string> out;
            while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
            if (!q.ok()) return q.error();
            return out;
        });
    }

    Result<std::vector<MailboxEntry>> search(const SearchQuery& query) override;

    Result<std::vector<ActivityEntry>> activities(std::string_view ps_idnat) override {
        return with_reader([&](Reader& r) -> Result<std::vector<ActivityEntry>> {
            Stmt q(r.db.get(), fmt::format("SELECT {} FROM activities WHERE ps_idnat = ? ORDER BY structure_id, "
                                           "profession_code", kActivityColumns));
            q.bind(1, ps_idnat);
            std::vector<ActivityEntry> out;
            while (q.step() == SQLITE_ROW) out.push_back(activity_from(q));
            if (!q.ok()) return q.error();
            return out;
        });
    }

    Result<DirectoryStatus> status() override;

    Result<Page<std::string>> practitioner_ids(const PublishedQuery& query) override;
    Result<Page<std::string>> organization_ids(const PublishedQuery& query) override;
    Result<Page<ActivityEntry>> roles(const PublishedQuery& query) override;

    Result<std::vector<ActivityEntry>> structure_activities(std::string_view structure_id, std::size_t limit) override {
        return with_reader([&](Reader& r) -> Result<std::vector<ActivityEntry>> {
            Stmt q(r.db.get(), fmt::format("SELECT {} FROM activities WHERE structure_id = ? ORDER BY activity_key "
                                           "LIMIT {}", kActivityColumns, limit));
            q.bind(1, structure_id);
            std::vector<ActivityEntry> out;
            while (q.step() == SQLITE_ROW) out.push_back(activity_from(q));
            if (!q.ok()) return q.error();
            return out;
        });
    }

    Result<std::vector<MailboxChange>> mailbox_changes(uint64_t after_seq, std::size_t limit) override {
        return with_reader([&](Reader& r) -> Result<std::vector<MailboxChange>> {
            Stmt q(r.db.get(), "SELECT seq, address FROM mailbox_changes WHERE seq > ? ORDER BY seq LIMIT ?");
            q.bind(1, static_cast<int64_t>(after_seq)).bind(2, static_cast<int64_t>(limit));
            std::vector<MailboxChange> out;
            while (q.step() == SQLITE_ROW) out.push_back({static_cast<uint64_t>(q.i64(0)), q.text(1)});
            if (!q.ok()) return q.error();
            return out;
        });
    }

    Status set_liste_rouge(std::string_view address, bool on) override {
        if (read_only_) return fail(ErrorKind::Denied, "the directory was opened for look-ups only");
        std::lock_guard lock(write_mutex_);
        // The mark and the change the feeds (LDAP) must send for it, in one transaction.
        sqlite3* db = writer_.get();
        if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
        Stmt q(db, on ? "INSERT INTO liste_rouge_marks (address) VALUES (?) ON CONFLICT (address) DO NOTHING"
                      : "DELETE FROM liste_rouge_marks WHERE address = ?");
        q.bind(1, address);
        if (q.step() != SQLITE_DONE) return exec_quietly(db, "ROLLBACK"), q.error();
        auto last = scalar(db, kLastSeq);
        if (!last) return exec_quietly(db, "ROLLBACK"), last.error();
        Stmt note(db, kNoteChange);
        note.bind(1, address).bind(2, *last + 1);
        if (note.step() != SQLITE_DONE) return exec_quietly(db, "ROLLBACK"), note.error();
        return exec(db, "COMMIT");
    }

    Status acknowledge_mailbox_changes(uint64_t up_to_seq) override {
        if (read_only_) return fail(ErrorKind::Denied, "the directory was opened for look-ups only");
        std::lock_guard lock(write_mutex_);
        sqlite3* db = writer_.get();
        if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
        for (const char* sql : {"DELETE FROM mailbox_changes WHERE seq <= ?1",
                                "UPDATE mailbox_changes_acknowledged SET seq = MAX(seq, ?1)"}) {
            Stmt q(db, sql);
            q.bind(1, static_cast<int64_t>(up_to_seq));
            if (q.step() != SQLITE_DONE) return exec_quietly(db, "ROLLBACK"), q.error();
        }
        return exec(db, "COMMIT");
    }

    Status note_mailbox_change(std::string_view address) override {
        if (read_only_) return fail(ErrorKind::Denied, "the directory was opened for look-ups only");
        std::lock_guard lock(write_mutex_);
        auto last = scalar(writer_.get(), kLastSeq);
        if (!last) return last.error();
        Stmt q(writer_.get(), kNoteChange);
        q.bind(1, address).bind(2, *last + 1);
        if (q.step() != SQLITE_DONE) return q.error();
        return Ok{};
    }

    Result<uint64_t> each_mailbox(const std::function<Status(const MailboxEntry&)>& visit) override {
        return with_reader([&](Reader& r) -> Result<uint64_t> {
            sqlite3* db = r.db.get();
            if (auto s = exec(db, "BEGIN"); !s) return s.error();  // the entries and the change sequence agree
            auto result = [&]() -> Result<uint64_t> {
                auto last = scalar(db, kLastSeq);
                if (!last) return last.error();
                Stmt q(db, fmt::format("SELECT {} FROM mailboxes ORDER BY address", kMailboxSelected));
                while (q.step() == SQLITE_ROW)
                    if (auto s = visit(mailbox_from(q)); !s) return s.error();
                if (!q.ok()) return q.error();
                return static_cast<uint64_t>(*last);
            }();
            exec_quietly(db, "COMMIT");
            return result;
        });
    }

    sqlite3* writer() { return writer_.get(); }

private:
    struct Reader {
        Db db;
        Stmt find_mailbox, whitelisted;
        explicit Reader(Db d)
            : db(std::move(d)),
              find_mailbox(db.get(), fmt::format("SELECT {} FROM mailboxes WHERE address = ?", kMailboxSelected)),
              whitelisted(db.get(), "SELECT 1 FROM whitelist WHERE domain = ? LIMIT 1") {}
        // A statement left on a row would hold its read snapshot: the next look-up would not see
        // the imports committed since.
        void end_read() {
            find_mailbox.reset();
            whitelisted.reset();
        }
    };

    // Runs f on an idle reader connection (a new one when none is idle), then returns it to the pool.
    template <class F>
    auto with_reader(F&& f) -> decltype(f(std::declval<Reader&>())) {
        std::unique_ptr<Reader> reader;
        {
            std::lock_guard lock(pool_mutex_);
            if (!pool_.empty()) {
                reader = std::move(pool_.back());
                pool_.pop_back();
            }
        }
        if (!reader) {
            auto db = open_db(file_, SQLITE_OPEN_READONLY);
            if (!db) return db.error();
            reader = std::make_unique<Reader>(std::move(db).value());
            if (!reader->find_mailbox.ok() || !reader->whitelisted.ok()) return reader->find_mailbox.error();
        }
        auto result = f(*reader);
        reader->end_read();
        std::lock_guard lock(pool_mutex_);
        pool_.push_back(std::move(reader));
        return result;
    }

    // One page of ids and their count, read from one snapshot. sql selects one text column.
    Result<Page<std::string>> id_page(const std::string& sql, const std::vector<std::string>& args,
                                      const PublishedQuery& query);

    std::filesystem::path file_;
    std::mutex write_mutex_;
    Db writer_;
    bool read_only_;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<Reader>> pool_;
};

SqliteImport::SqliteImport(SqliteDirectory& dir, std::unique_lock<std::mutex> lock, ExtractionKind kind)
    : dir_(dir), lock_(std::move(lock)), kind_(kind) {
    bool mailboxes = kind == ExtractionKind::Correspondance;
    table_ = mailboxes ? "mailboxes" : "activities";
    key_column_ = mailboxes ? "address" : "activity_key";
    columns_ = mailboxes ? kMailboxColumns : kActivityColumns;
}

SqliteImport::~SqliteImport() {
    insert_.reset();
    remove_.reset();
    note_.reset();
    if (open_) sqlite3_exec(dir_.writer(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status SqliteImport::begin() {
    sqlite3* db = dir_.writer();
    if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
    open_ = true;
    {
        Stmt q(db, fmt::format("SELECT {}, fingerprint FROM {}", key_column_, table_));
        bool by_address = kind_ == ExtractionKind::Correspondance;
        while (q.step() == SQLITE_ROW)
            held_.push_back({by_address ? address_key(q.text(0)) : static_cast<uint64_t>(q.i64(0)),
                             static_cast<uint64_t>(q.i64(1)), false});
        if (!q.ok()) return q.error();
    }
    std::sort(held_.begin(), held_.end());
    if (held_.empty())
        if (auto s = defer_indexes(); !s) return s;
    std::string marks;
    for (int i = 0; i < 18; ++i) marks += i ? ", ?" : "?";
    insert_ = std::make_unique<Stmt>(db, fmt::format("INSERT INTO {} ({}) VALUES ({})", table_, columns_, marks));
    remove_ = std::make_unique<Stmt>(db, fmt::format("DELETE FROM {} WHERE {} = ?", table_, key_column_));
    if (!insert_->ok()) return insert_->error();
    if (!remove_->ok()) return remove_->error();
    if (kind_ != ExtractionKind::Correspondance) return Ok{};
    auto last = scalar(db, kLastSeq);
    if (!last) return last.error();
    next_seq_ = *last + 1;
    note_ = std::make_unique<Stmt>(db, kNoteChange);
    if (!note_->ok()) return note_->error();
    return Ok{};
}

// A first load writes every row: the table's secondary indexes (the FHIR look-ups') are dropped and
// built again once at commit, which costs far less than keeping them up to date row by row. Inside
// the import's transaction, so a rollback brings them back and readers never see them missing.
Status SqliteImport::defer_indexes() {
    sqlite3* db = dir_.writer();
    std::vector<std::string> names;
    {
        Stmt q(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL");
        q.bind(1, table_);
        while (q.step() == SQLITE_ROW) names.push_back(q.text(0)), deferred_indexes_.push_back(q.text(1));
        if (!q.ok()) return q.error();
    }
    for (const auto& name : names)
        if (auto s = exec(db, fmt::format("DROP INDEX \"{}\"", name)); !s) return s;
    return Ok{};
}

Status SqliteImport::rebuild_indexes() {
    for (const auto& sql : deferred_indexes_)
        if (auto s = exec(dir_.writer(), sql); !s) return s;
    return Ok{};
}

// The address goes to mailbox_changes in the import's transaction: the change set and the
// directory commit together or not at all.
Status SqliteImport::note_change(std::string_view address) {
    note_->reset().bind(1, address).bind(2, next_seq_++);
    if (note_->step() != SQLITE_DONE) return note_->error();
    return Ok{};
}

// Same key and fingerprint: unchanged; same key, other fingerprint: changed; a key the directory
// did not hold: added. What is held and never seen again is withdrawn at commit.
SqliteImport::Verdict SqliteImport::classify(uint64_t key, uint64_t fingerprint) {
    if (!keys_.insert(key)) return Verdict::Duplicate;
    auto it = std::lower_bound(held_.begin(), held_.end(), Held{key, 0, false});
    if (it == held_.end() || it->key != key) return Verdict::Added;
    it->seen = true;
    return it->fingerprint == fingerprint ? Verdict::Unchanged : Verdict::Changed;
}

Result<bool> SqliteImport::write(Verdict verdict, const std::function<void(Stmt&)>& bind_key,
                                 const std::function<void(Stmt&)>& bind_row) {
    switch (verdict) {
        case Verdict::Duplicate: return false;
        case Verdict::Unchanged: ++counts_.unchanged; return true;
        case Verdict::Changed:
            bind_key(remove_->reset());
            if (remove_->step() != SQLITE_DONE) return remove_->error();
            ++counts_.changed;
            break;
        case Verdict::Added: ++counts_.added; break;
    }
    bind_row(insert_->reset());
    if (insert_->step() != SQLITE_DONE) return insert_->error();
    return true;
}

Result<bool> SqliteImport::add(const MailboxEntry& e) {
    if (kind_ != ExtractionKind::Correspondance) return fail(ErrorKind::Invalid, "a mailbox in an activity import");
    Verdict verdict = classify(address_key(e.address), e.fingerprint);
    auto written = write(verdict, [&](Stmt& q) { q.bind(1, e.address); },
                 [&](Stmt& q) {
                     int c = 1;
                     q.bind(c++, e.address);
                     q.bind(c++, to_string(e.type));
                     for (const std::string* f : {&e.ps_idnat, &e.structure_id, &e.service, &e.civility, &e.family,
                                                  &e.given, &e.profession_code, &e.profession, &e.specialty,
                                                  &e.structure_name, &e.postcode, &e.city, &e.department, &e.country})
                         q.bind(c++, *f);
                     q.bind(c++, int64_t{e.liste_rouge});
                     q.bind(c, static_cast<int64_t>(e.fingerprint));
                 });
    if (written && (verdict == Verdict::Added || verdict == Verdict::Changed))
        if (auto s = note_change(e.address); !s) return s.error();
    return written;
}

Result<bool> SqliteImport::add(const ActivityEntry& e) {
    if (kind_ != ExtractionKind::PersonneActivite) return fail(ErrorKind::Invalid, "an activity in a mailbox import");
    int64_t key = activity_key(e);
    return write(classify(static_cast<uint64_t>(key), e.fingerprint), [&](Stmt& q) { q.bind(1, key); },
                 [&](Stmt& q) {
                     int c = 1;
                     q.bind(c++, key);
                     for (const std::string* f : {&e.ps_idnat, &e.civility, &e.family, &e.given, &e.profession_code,
                                                  &e.profession, &e.specialty_code, &e.specialty, &e.mode_code,
                                                  &e.siret, &e.finess_site, &e.finess_ej, &e.structure_id,
                                                  &e.structure_name, &e.postcode, &e.city})
                         q.bind(c++, *f);
                     q.bind(c, static_cast<int64_t>(e.fingerprint));
                 });
}

// Held keys the file did not give again. Mailboxes are keyed by address, which held_ keeps only as a
// hash: their table is read once more for the addresses to delete.
Status SqliteImport::delete_withdrawn() {
    KeySet withdrawn;
    for (const auto& h : held_)
        if (!h.seen) ++counts_.withdrawn, withdrawn.insert(h.key);
    if (counts_.withdrawn == 0) return Ok{};
    sqlite3* db = dir_.writer();
    if (kind_ == ExtractionKind::PersonneActivite) {
        for (const auto& h : held_) {
            if (h.seen) continue;
            remove_->reset().bind(1, static_cast<int64_t>(h.key));
            if (remove_->step() != SQLITE_DONE) return remove_->error();
        }
        return Ok{};
    }
    std::vector<std::string> addresses;
    {
        Stmt q(db, "SELECT address FROM mailboxes");
        while (q.step() == SQLITE_ROW) {
            std::string a = q.text(0);
            if (!withdrawn.insert(address_key(a))) addresses.push_back(std::move(a));
        }
        if (!q.ok()) return q.error();
    }
    for (const auto& a : addresses) {
        remove_->reset().bind(1, a);
        if (remove_->step() != SQLITE_DONE) return remove_->error();
        if (auto s = note_change(a); !s) return s;
    }
    return Ok{};
}

Result<ImportCounts> SqliteImport::commit(std::string_view source, uint64_t rows, uint64_t bad_rows) {
    if (!open_) return fail(ErrorKind::Invalid, "this import was committed already");
    sqlite3* db = dir_.writer();
    if (auto s = delete_withdrawn(); !s) return s.error();
    insert_.reset();
    remove_.reset();
    note_.reset();
    if (auto s = rebuild_indexes(); !s) return s.error();
    const ImportCounts& n = counts_;
    Stmt record(db, "INSERT INTO imports (kind, source, imported_at, total_rows, bad_rows, added, changed, withdrawn, "
                    "unchanged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET "
                    "source = excluded.source, imported_at = excluded.imported_at, total_rows = excluded.total_rows, "
                    "bad_rows = excluded.bad_rows, added = excluded.added, changed = excluded.changed, "
                    "withdrawn = excluded.withdrawn, unchanged = excluded.unchanged");
    record.bind(1, to_string(kind_)).bind(2, source).bind(3, static_cast<int64_t>(std::time(nullptr)))
        .bind(4, static_cast<int64_t>(rows)).bind(5, static_cast<int64_t>(bad_rows))
        .bind(6, static_cast<int64_t>(n.added)).bind(7, static_cast<int64_t>(n.changed))
        .bind(8, static_cast<int64_t>(n.withdrawn)).bind(9, static_cast<int64_t>(n.unchanged));
    if (record.step() != SQLITE_DONE) return record.error();
    if (auto s = exec(db, "COMMIT"); !s) return s.error();
    open_ = false;
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock_.unlock();  // the next import may begin while this session object lives on
    return n;
}

Result<ImportCounts> SqliteDirectory::replace_whitelist(std::span<const WhitelistEntry> entries, std::string_view source) {
    if (read_only_) return fail(ErrorKind::Denied, "the directory was opened for look-ups only");
    std::lock_guard lock(write_mutex_);
    sqlite3* db = writer_.get();
    auto rollback = [db](Error e) -> Result<ImportCounts> {
        exec_quietly(db, "ROLLBACK");
        return e;
    };
    if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s.error();
    ImportCounts n;
    Stmt same(db, "SELECT description, responsible_contact, support_contact, updated FROM whitelist "
                  "WHERE domain = ? AND operator_dn = ?");
    for (const auto& e : entries) {
        same.reset().bind(1, e.domain).bind(2, e.operator_dn);
        int rc = same.step();
        if (rc == SQLITE_DONE) ++n.added;
        else if (rc != SQLITE_ROW) return rollback(same.error());
        else if (WhitelistEntry{e.domain, e.operator_dn, same.text(0), same.text(1), same.text(2), same.text(3)} == e)
            ++n.unchanged;
        else ++n.changed;
    }
    auto before = scalar(db, "SELECT COUNT(*) FROM whitelist");
    if (!before) return rollback(before.error());
    n.withdrawn = static_cast<uint64_t>(*before) - n.unchanged - n.changed;
    if (auto s = exec(db, "DELETE FROM whitelist"); !s) return rollback(s.error());
    Stmt insert(db, "INSERT INTO whitelist (domain, operator_dn, description, responsible_contact, support_contact, "
                    "updated) VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& e : entries) {
        insert.reset().bind(1, e.domain).bind(2, e.operator_dn).bind(3, e.description).bind(4, e.responsible_contact)
            .bind(5, e.support_contact).bind(6, e.updated);
        if (insert.step() != SQLITE_DONE) return rollback(insert.error());
    }
    Stmt record(db, "INSERT INTO imports (kind, source, imported_at, total_rows, bad_rows, added, changed, withdrawn, "
                    "unchanged) VALUES ('whitelist', ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET "
                    "source = excluded.source, imported_at = excluded.imported_at, total_rows = excluded.total_rows, "
                    "bad_rows = 0, added = excluded.added, changed = excluded.changed, "
                    "withdrawn = excluded.withdrawn, unchanged = excluded.unchanged");
    record.bind(1, source).bind(2, static_cast<int64_t>(std::time(nullptr))).bind(3, static_cast<int64_t>(entries.size()))
        .bind(4, static_cast<int64_t>(n.added)).bind(5, static_cast<int64_t>(n.changed))
        .bind(6, static_cast<int64_t>(n.withdrawn)).bind(7, static_cast<int64_t>(n.unchanged));
    if (record.step() != SQLITE_DONE) return rollback(record.error());
    if (auto s = exec(db, "COMMIT"); !s) return rollback(s.error());
    return n;
}

Result<std::vector<MailboxEntry>> SqliteDirectory::search(const SearchQuery& query) {
    std::string where = "1 = 1";
    std::vector<std::string> args;
    auto like = [](const std::string& v) { return escape_like(ascii_lower(v)); };
    if (query.ps_idnat) where += " AND ps_idnat = ?", args.push_back(*query.ps_idnat);
    if (query.postcode) where += " AND postcode = ?", args.push_back(*query.postcode);
    if (query.family) where += " AND lower(family) = ?", args.push_back(ascii_lower(*query.family));
    if (query.given) where += " AND lower(given) = ?", args.push_back(ascii_lower(*query.given));
    if (query.name) {
        where += " AND (lower(family) LIKE ? ESCAPE '\\' OR lower(given) LIKE ? ESCAPE '\\')";
        args.push_back(like(*query.name) + "%");
        args.push_back(like(*query.name) + "%");
    }
    if (query.address) where += " AND address LIKE ? ESCAPE '\\'", args.push_back("%" + like(*query.address) + "%");
    if (query.profession) {
        where += " AND (profession_code = ? OR lower(profession) LIKE ? ESCAPE '\\')";
        args.push_back(*query.profession);
        args.push_back("%" + like(*query.profession) + "%");
    }
    if (query.structure_id) where += " AND structure_id = ?", args.push_back(*query.structure_id);
    if (!query.include_liste_rouge) where += fmt::format(" AND {}", kPublished);
    std::string sql = fmt::format("SELECT {} FROM mailboxes WHERE {} ORDER BY address LIMIT {} OFFSET {}",
                                  kMailboxSelected, where, query.limit, query.offset);
    return with_reader([&](Reader& r) -> Result<std::vector<MailboxEntry>> {
        Stmt q(r.db.get(), sql);
        if (!q.ok()) return q.error();
        int i = 1;
        for (const auto& a : args) q.bind(i++, a);
        std::vector<MailboxEntry> out;
        while (q.step() == SQLITE_ROW) out.push_back(mailbox_from(q));
        if (!q.ok()) return q.error();
        return out;
    });
}

// A WHERE clause built from "any of" lists: each list one parenthesised OR, lists joined by AND.
struct Where {
    std::string sql = "1 = 1";
    std::vector<std::string> args;

    // expr holds `per_value` placeholders, each bound to the same value.
    Where& any(std::string_view expr, const std::vector<std::string>& values, int per_value = 1) {
        if (values.empty()) return *this;
        sql += " AND (";
        for (std::size_t i = 0; i < values.size(); ++i) {
            sql += i ? " OR " : "";
            sql += expr;
            for (int k = 0; k < per_value; ++k) args.push_back(values[i]);
        }
        sql += ")";
        return *this;
    }
    Where& also(std::string_view condition) {
        sql += fmt::format(" AND {}", condition);
        return *this;
    }
};

std::vector<std::string> lowered(const std::vector<std::string>& values, std::string_view before = "",
                                 std::string_view after = "") {
    std::vector<std::string> out;
    for (const auto& v : values)
        out.push_back(fmt::format("{}{}{}", before, before.empty() && after.empty() ? ascii_lower(v)
                                                                                    : escape_like(ascii_lower(v)), after));
    return out;
}

// The mailbox criteria of a query, on the mailboxes table.
Where& mailbox_criteria(Where& w, const PublishedQuery& q) {
    std::vector<std::string> types;
    for (auto t : q.mailbox_types) types.emplace_back(to_string(t));
    return w.any("address = ?", lowered(q.mailboxes))
        .any("address LIKE ? ESCAPE '\\'", lowered(q.mailbox_parts, "%", "%"))
        .any("type = ?", types);
}

Where& person_criteria(Where& w, const PublishedQuery& q) {
    return w.any("ps_idnat = ?", q.ids)
        .any("lower(family) LIKE ? ESCAPE '\\'", lowered(q.family, "", "%"))
        .any("lower(given) LIKE ? ESCAPE '\\'", lowered(q.given, "", "%"))
        .any("(lower(family) LIKE ? ESCAPE '\\' OR lower(given) LIKE ? ESCAPE '\\')", lowered(q.name, "", "%"), 2)
        .any("postcode = ?", q.postcodes);
}

void append(std::vector<std::string>& to, const std::vector<std::string>& from) { to.insert(to.end(), from.begin(), from.end()); }

Result<Page<std::string>> SqliteDirectory::id_page(const std::string& sql, const std::vector<std::string>& args,
                                                   const PublishedQuery& query) {
    return with_reader([&](Reader& r) -> Result<Page<std::string>> {
        sqlite3* db = r.db.get();
        if (auto s = exec(db, "BEGIN"); !s) return s.error();  // the page and its count from one snapshot
        Page<std::string> page;
        {
            Stmt q(db, fmt::format("SELECT id FROM ({}) ORDER BY id LIMIT {} OFFSET {}", sql, query.limit, query.offset));
            int i = 1;
            for (const auto& a : args) q.bind(i++, a);
            while (q.step() == SQLITE_ROW) page.items.push_back(q.text(0));
            if (!q.ok()) return exec_quietly(db, "ROLLBACK"), q.error();
        }
        Stmt count(db, fmt::format("SELECT COUNT(*) FROM ({})", sql));
        int i = 1;
        for (const auto& a : args) count.bind(i++, a);
        if (count.step() != SQLITE_ROW) return exec_quietly(db, "ROLLBACK"), count.error();
        page.total = static_cast<uint64_t>(count.i64(0));
        exec_quietly(db, "COMMIT");
        return page;
    });
}

// Practitioners are the PS_IdNat of activities and of published PER and CAB mailboxes.
Result<Page<std::string>> SqliteDirectory::practitioner_ids(const PublishedQuery& query) {
    Where boxes;
    boxes.also("type IN ('PER', 'CAB') AND ps_idnat <> ''").also(kPublished);
    person_criteria(boxes, query);
    mailbox_criteria(boxes, query);
    std::string sql = fmt::format("SELECT ps_idnat AS id FROM mailboxes WHERE {}", boxes.sql);
    std::vector<std::string> args;
    if (!query.asks_mailbox()) {
        Where acts;
        person_criteria(acts, query);
        sql = fmt::format("SELECT ps_idnat AS id FROM activities WHERE {} UNION {}", acts.sql, sql);
        args = acts.args;
    }
    append(args, boxes.args);
    return id_page(sql, args, query);
}

// Organisations are the structure ids of activities and of published ORG and APP mailboxes.
Result<Page<std::string>> SqliteDirectory::organization_ids(const PublishedQuery& query) {
    Where boxes;
    boxes.also("type IN ('ORG', 'APP') AND structure_id <> ''").also(kPublished)
        .any("structure_id = ?", query.ids)
        .any("lower(structure_name) LIKE ? ESCAPE '\\'", lowered(query.name, "%", "%"))
        .any("postcode = ?", query.postcodes);
    mailbox_criteria(boxes, query);
    std::string sql = fmt::format("SELECT structure_id AS id FROM mailboxes WHERE {}", boxes.sql);
    std::vector<std::string> args;
    if (!query.asks_mailbox()) {
        Where acts;
        acts.also("structure_id <> ''")
            .any("(structure_id = ? OR finess_site = ? OR finess_ej = ? OR siret = ?)", query.ids, 4)
            .any("lower(structure_name) LIKE ? ESCAPE '\\'", lowered(query.name, "%", "%"))
            .any("postcode = ?", query.postcodes);
        sql = fmt::format("SELECT structure_id AS id FROM activities WHERE {} UNION {}", acts.sql, sql);
        args = acts.args;
    }
    append(args, boxes.args);
    return id_page(sql, args, query);
}

// Roles are activities; a mailbox criterion selects the activities of the mailbox's professional.
Result<Page<ActivityEntry>> SqliteDirectory::roles(const PublishedQuery& query) {
    Where w;
    w.any("ps_idnat = ?", query.practitioners).any("structure_id = ?", query.organizations);
    if (query.asks_mailbox()) {
        Where boxes;
        boxes.also("type IN ('PER', 'CAB')").also(kPublished);
        mailbox_criteria(boxes, query);
        w.also(fmt::format("ps_idnat IN (SELECT ps_idnat FROM mailboxes WHERE {})", boxes.sql));
        append(w.args, boxes.args);
    }
    return with_reader([&](Reader& r) -> Result<Page<ActivityEntry>> {
        sqlite3* db = r.db.get();
        if (auto s = exec(db, "BEGIN"); !s) return s.error();
        Page<ActivityEntry> page;
        {
            Stmt q(db, fmt::format("SELECT {} FROM activities WHERE {} ORDER BY ps_idnat, activity_key LIMIT {} OFFSET {}",
                                   kActivityColumns, w.sql, query.limit, query.offset));
            int i = 1;
            for (const auto& a : w.args) q.bind(i++, a);
            while (q.step() == SQLITE_ROW) page.items.push_back(activity_from(q));
            if (!q.ok()) return exec_quietly(db, "ROLLBACK"), q.error();
        }
        Stmt count(db, fmt::format("SELECT COUNT(*) FROM activities WHERE {}", w.sql));
        int i = 1;
        for (const auto& a : w.args) count.bind(i++, a);
        if (count.step() != SQLITE_ROW) return exec_quietly(db, "ROLLBACK"), count.error();
        page.total = static_cast<uint64_t>(count.i64(0));
        exec_quietly(db, "COMMIT");
        return page;
    });
}

Result<DirectoryStatus> SqliteDirectory::status() {
    return with_reader([&](Reader& r) -> Result<DirectoryStatus> {
        sqlite3* db = r.db.get();
        if (auto s = exec(db, "BEGIN"); !s) return s.error();  // one snapshot for every count
        DirectoryStatus st;
        Stmt q(db, "SELECT kind, source, imported_at, total_rows, bad_rows, added, changed, withdrawn, unchanged "
                   "FROM imports ORDER BY kind");
        while (q.step() == SQLITE_ROW) {
            ImportRecord rec{q.text(0), q.text(1), q.i64(2), static_cast<uint64_t>(q.i64(3)),
                             static_cast<uint64_t>(q.i64(4)), {}};
            rec.counts = {static_cast<uint64_t>(q.i64(5)), static_cast<uint64_t>(q.i64(6)),
                          static_cast<uint64_t>(q.i64(7)), static_cast<uint64_t>(q.i64(8))};
            st.imports.push_back(std::move(rec));
        }
        std::pair<const char*, uint64_t*> counts[] = {
            {"SELECT COUNT(*) FROM mailboxes", &st.mailboxes},
            {"SELECT COUNT(*) FROM activities", &st.activities},
            {"SELECT COUNT(*) FROM whitelist", &st.whitelist_entries},
            {"SELECT COUNT(DISTINCT domain) FROM whitelist", &st.whitelisted_domains},
            {"SELECT COUNT(*) FROM mailbox_changes", &st.pending_mailbox_changes}};
        for (auto [sql, out] : counts) {
            auto v = scalar(db, sql);
            if (!v) return exec_quietly(db, "ROLLBACK"), v.error();
            *out = static_cast<uint64_t>(*v);
        }
        exec_quietly(db, "COMMIT");
        return st;
    });
}

}  // namespace

Result<std::unique_ptr<Directory>> open_sqlite_directory(const std::filesystem::path& file, DirectoryOptions options) {
    auto writer = open_db(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!writer) return writer.error();
    if (auto s = migrate(writer->get()); !s) return fail(s.error().kind, fmt::format("{}: {}", file.string(), s.error().message));
    return std::unique_ptr<Directory>(
        std::make_unique<SqliteDirectory>(file, std::move(writer).value(), options.read_only));
}

}  // namespace mss::directory
