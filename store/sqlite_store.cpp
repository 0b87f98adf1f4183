// SQLite implementation of the Store: WAL with synchronous=FULL, one writer connection behind a
// mutex, reader connections from a small pool. Trusts its callers for authorisation decisions.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <iterator>
#include <mutex>

#include "core/sqlite.h"
#include "core/message_ids.h"
#include "core/text.h"
#include "store/store.h"

namespace mss::store {
namespace {

constexpr const char* kRightsOrder = "lrswipkxtea0";

// The schema as steps: step i takes PRAGMA user_version from i to i + 1. Append steps, never edit one.
constexpr const char* kSchemaSteps[] = {
    R"SQL(
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, ps_idnat TEXT,
  password_hash TEXT, cert_sha256 TEXT UNIQUE, disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL, special_use TEXT NOT NULL DEFAULT '', uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL DEFAULT 1, highest_modseq INTEGER NOT NULL DEFAULT 1, UNIQUE(account_id, name));
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY, content BLOB NOT NULL, size INTEGER NOT NULL, internal_date INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS folder_messages (
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE, uid INTEGER NOT NULL,
  message_id INTEGER NOT NULL REFERENCES messages(id), modseq INTEGER NOT NULL, flags TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(folder_id, uid));
CREATE TABLE IF NOT EXISTS members (
  org_account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  member_account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  rights TEXT NOT NULL, PRIMARY KEY(org_account_id, member_account_id));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
)SQL",
    // With foreign_keys=ON, removing a message looks up folder_messages by message_id.
    "CREATE INDEX IF NOT EXISTS folder_messages_by_message ON folder_messages(message_id);",
    // Subscriptions (existing folders start subscribed), QRESYNC's expunged UIDs, RFC 9208 quotas.
    R"SQL(
CREATE TABLE IF NOT EXISTS subscriptions (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE, name TEXT NOT NULL,
  PRIMARY KEY(account_id, name));
INSERT OR IGNORE INTO subscriptions(account_id, name) SELECT account_id, name FROM folders;
CREATE TABLE IF NOT EXISTS vanished (
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE, uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL, PRIMARY KEY(folder_id, uid));
ALTER TABLE accounts ADD COLUMN quota_storage_kib INTEGER;
ALTER TABLE accounts ADD COLUMN quota_messages INTEGER;
)SQL",
    // S/MIME certificates per address (keys sealed outside the database's reach) and settings.
    R"SQL(
CREATE TABLE IF NOT EXISTS smime_certificates (
  address TEXT NOT NULL, usage TEXT NOT NULL CHECK (usage IN ('sign', 'encryption')),
  certificate_pem TEXT NOT NULL, sealed_key TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY(address, usage));
CREATE TABLE IF NOT EXISTS smime_settings (
  address TEXT PRIMARY KEY, custody TEXT NOT NULL CHECK (custody IN ('server', 'client')),
  unsigned_action TEXT, invalid_action TEXT, cipher TEXT);
)SQL",
    // Each message's header block, cut when it is stored, so SEARCH on header fields reads a few
    // hundred octets per message, not the message. Messages stored earlier have none (read_texts
    // then reads their content).
    R"SQL(
CREATE TABLE IF NOT EXISTS message_headers (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE, header BLOB NOT NULL);
)SQL",
    // \Recent: the first UID no session has claimed yet; what was there before the upgrade is old.
    R"SQL(
ALTER TABLE folders ADD COLUMN recent_from INTEGER NOT NULL DEFAULT 1;
UPDATE folders SET recent_from = uidnext;
)SQL",
    // The outbound queue (issue 11): a message for other operators, one row per remote recipient,
    // and the static routes. Delivered recipients are removed; failed ones stay for the DSN.
    R"SQL(
CREATE TABLE IF NOT EXISTS outbound_messages (
  id TEXT PRIMARY KEY, return_path TEXT NOT NULL, content BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbound_recipients (
  message_id TEXT NOT NULL REFERENCES outbound_messages(id) ON DELETE CASCADE, address TEXT NOT NULL,
  domain TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(message_id, address));
CREATE INDEX IF NOT EXISTS outbound_due ON outbound_recipients(state, next_attempt);
CREATE TABLE IF NOT EXISTS routes (domain TEXT PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL);
)SQL",
    // SAVEDATE (RFC 8514): when each message was filed in its folder (APPEND, delivery, COPY, MOVE);
    // unknown (NULL) for those filed before this step.
    "ALTER TABLE folder_messages ADD COLUMN saved_at INTEGER;",
    // OBJECTID (RFC 8474): a message's EMAILID, kept by COPY and MOVE, and a folder's MAILBOXID, kept
    // by RENAME; random (96 bits), so that they tell nothing of other mailboxes.
    R"SQL(
ALTER TABLE messages ADD COLUMN email_id TEXT;
UPDATE messages SET email_id = 'M' || lower(hex(randomblob(12)));
ALTER TABLE folders ADD COLUMN mailbox_id TEXT;
UPDATE folders SET mailbox_id = 'F' || lower(hex(randomblob(12)));
)SQL",
    // RFC 5464 annotations: folder_id 0 for the server's; private_to 0 for /shared entries, the
    // account's id for its /private ones. A deleted folder's go with it; a renamed folder keeps its id.
    R"SQL(
CREATE TABLE IF NOT EXISTS annotations (
  folder_id INTEGER NOT NULL, private_to INTEGER NOT NULL, entry TEXT NOT NULL, value BLOB NOT NULL,
  PRIMARY KEY (folder_id, private_to, entry));
CREATE TRIGGER IF NOT EXISTS annotations_of_deleted_folder AFTER DELETE ON folders
  BEGIN DELETE FROM annotations WHERE folder_id = OLD.id; END;
)SQL",
    // Pro Santé Connect sign-in finds a professional's mailboxes by PS_IdNat at every bearer login.
    "CREATE INDEX IF NOT EXISTS accounts_by_ps_idnat ON accounts(ps_idnat);",
    // The filing queue (issue 12): a submitted message with CDA documents until the worker has filed
    // it into the DMP and acknowledged it; and the mailboxes that turned filing off (on by default).
    R"SQL(
CREATE TABLE IF NOT EXISTS filing_jobs (
  id INTEGER PRIMARY KEY, submitter TEXT NOT NULL, return_path TEXT NOT NULL, queue_id TEXT NOT NULL,
  content BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS filing_due ON filing_jobs(next_attempt);
CREATE TABLE IF NOT EXISTS filing_settings (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE, enabled INTEGER NOT NULL);
)SQL",
    // THREADID (RFC 8474 5.2): each stored content's thread, found when it is stored from the msg-ids
    // it names (References, else In-Reply-To) and its own Message-ID; thread_keys maps each msg-id
    // seen to its thread. Contents stored before this step have none (THREADID NIL).
    R"SQL(
ALTER TABLE messages ADD COLUMN thread_id TEXT;
CREATE TABLE IF NOT EXISTS thread_keys (msg_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL) WITHOUT ROWID;
)SQL",
    // RFC 3461 (issue 11): RET and ENVID of a queued message, NOTIFY and ORCPT of each remote
    // recipient as the sender gave them ('' when absent), and whether its delay warning went out.
    R"SQL(
ALTER TABLE outbound_messages ADD COLUMN ret TEXT NOT NULL DEFAULT '';
ALTER TABLE outbound_messages ADD COLUMN envid TEXT NOT NULL DEFAULT '';
ALTER TABLE outbound_recipients ADD COLUMN notify TEXT NOT NULL DEFAULT '';
ALTER TABLE outbound_recipients ADD COLUMN orcpt TEXT NOT NULL DEFAULT '';
ALTER TABLE outbound_recipients ADD COLUMN delay_warned INTEGER NOT NULL DEFAULT 0;
)SQL",
    // THREADID (issue 13): a thread's msg-ids go with its last stored content (drop_orphans), found
    // by these indexes; what files kept before this step for threads already gone goes now.
    R"SQL(
CREATE INDEX IF NOT EXISTS messages_thread ON messages(thread_id);
CREATE INDEX IF NOT EXISTS thread_keys_thread ON thread_keys(thread_id);
DELETE FROM thread_keys WHERE thread_id NOT IN (SELECT thread_id FROM messages WHERE thread_id IS NOT NULL);
)SQL",
    // Filing without a second copy (issue 12): a job whose message is the delivery's shared stored
    // copy refers to it (message_id; its octets from content_offset on, past the Return-Path line)
    // and keeps an empty content. The referred message is pinned until the job ends (drop_orphans
    // spares it), so that a user's expunge meanwhile does not take the documents from the worker.
    R"SQL(
ALTER TABLE filing_jobs ADD COLUMN message_id INTEGER;
ALTER TABLE filing_jobs ADD COLUMN content_offset INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS filing_jobs_by_message ON filing_jobs(message_id) WHERE message_id IS NOT NULL;
)SQL",
};

using sqlite::exec;
using sqlite::exec_quietly;
using sqlite::Stmt;

// Octets of a message's header block through its empty line, once text (a prefix of the message)
// holds that line: where mime::header_fields stops reading.
std::optional<std::size_t> header_block_size(std::string_view text) {
    if (text.starts_with("\r\n")) return 2;
    if (text.starts_with("\n")) return 1;
    auto crlf = text.find("\r\n\r\n"), lf = text.find("\n\n");
    if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::nullopt;
    if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) return crlf + 4;
    return lf + 2;
}

// Reads messages.content a piece at a time through one blob handle moved from row to row, so a
// header block costs a page or two however large the message is. Used inside a read transaction.
class ContentReader {
public:
    explicit ContentReader(sqlite3* db) : db_(db) {}
    ~ContentReader() { sqlite3_blob_close(blob_); }
    ContentReader(const ContentReader&) = delete;
    ContentReader& operator=(const ContentReader&) = delete;

    // The header block or the whole message; valid until the next call.
    Result<std::string_view> read(int64_t message_id, TextExtent extent) {
        if (auto opened = open(message_id); !opened) return opened.error();
        auto size = static_cast<std::size_t>(sqlite3_blob_bytes(blob_));
        std::size_t want = extent == TextExtent::Whole ? size : std::min(size, kFirstRead);
        buffer_.clear();
        for (;;) {
            if (auto filled = fill(want); !filled) return filled.error();
            if (extent == TextExtent::Whole) return std::string_view(buffer_);
            if (auto end = header_block_size(buffer_)) return std::string_view(buffer_).substr(0, *end);
            if (want == size) return std::string_view(buffer_);  // no empty line: all of it is header
            want = std::min(size, want * 4);
        }
    }

private:
    static constexpr std::size_t kFirstRead = 2048;

    Status open(int64_t message_id) {
        int rc = blob_ ? sqlite3_blob_reopen(blob_, message_id)
                       : sqlite3_blob_open(db_, "main", "messages", "content", message_id, 0, &blob_);
        if (rc == SQLITE_OK) return Ok{};
        Error error = fail(ErrorKind::Io, fmt::format("message {}: {}", message_id, sqlite3_errmsg(db_)));
        sqlite3_blob_close(blob_);  // an aborted handle is of no further use
        blob_ = nullptr;
        return error;
    }

    // buffer_ holds the first want octets.
    Status fill(std::size_t want) {
        std::size_t have = buffer_.size();
        buffer_.resize(want);
        if (sqlite3_blob_read(blob_, buffer_.data() + have, static_cast<int>(want - have), static_cast<int>(have)) !=
            SQLITE_OK)
            return fail(ErrorKind::Io, sqlite3_errmsg(db_));
        return Ok{};
    }

    sqlite3* db_;
    sqlite3_blob* blob_ = nullptr;
    std::string buffer_;
};

Status require_wal(sqlite3* db) {
    Stmt wal(db, "PRAGMA journal_mode=WAL");
    if (wal.step() != SQLITE_ROW) return wal.error();
    if (auto mode = wal.text(0); mode != "wal") return fail(ErrorKind::Io, fmt::format("journal_mode is {}, not wal", mode));
    return Ok{};
}

// Every connection: WAL (readers beside the writer), synchronous=FULL (a COMMIT is on disk), foreign keys.
Status configure(sqlite3* db) {
    if (auto s = exec(db, "PRAGMA busy_timeout=10000"); !s) return s;
    if (auto s = require_wal(db); !s) return s;
    return exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

Result<sqlite3*> connect(const std::filesystem::path& file, bool create) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close(db);
        return fail(ErrorKind::Io, fmt::format("{}: {}", file.string(), msg));
    }
    auto s = configure(db);
    if (!s) {
        sqlite3_close(db);
        return s.error();
    }
    return db;
}

Account read_account(Stmt& q) {
    Account a;
    a.id = q.i64(0);
    a.address = q.text(1);
    a.kind = mailbox_kind_from(q.text(2)).value_or(MailboxKind::Personal);
    a.ps_idnat = q.opt(3);
    a.password_hash = q.opt(4);
    a.cert_sha256 = q.opt(5);
    a.disabled = q.i64(6) != 0;
    a.created_at = q.i64(7);
    return a;
}

constexpr const char* kAccountColumns =
    "SELECT id, address, kind, ps_idnat, password_hash, cert_sha256, disabled, created_at FROM accounts ";

Result<std::string> normalise_rights(std::string_view rights) {
    std::string out;
    for (char c : rights)
        if (!std::strchr(kRightsOrder, c) || c == '\0')
            return fail(ErrorKind::Invalid, fmt::format("'{}' is not a right (RFC 4314 lrswipkxtea, and 0: send as)", c));
    for (const char* r = kRightsOrder; *r; ++r)
        if (rights.find(*r) != std::string_view::npos) out += *r;
    return out;
}

// Members are people: personal mailboxes (domain.md 1: "several members (doctors, a secretary) share
// it"). An organisational mailbox signs in only through its members, so as a member it would hand its
// rights on to its own members, a chain neither IMAP's namespaces nor the send-as right follow (and
// being its own member, a loop); an applicative mailbox is a machine that acts only as itself.
std::optional<Error> membership_refusal(const Account& org, const Account& member) {
    if (member.id == org.id) return fail(ErrorKind::Invalid, fmt::format("{} cannot be a member of itself", org.address));
    if (member.kind == MailboxKind::Personal) return std::nullopt;
    return fail(ErrorKind::Invalid,
                fmt::format("{} is an {} mailbox: only personal mailboxes (people) can be members", member.address,
                            member.kind == MailboxKind::Organisational ? "organisational" : "applicative"));
}

// What the store itself refuses: a delivery with no recipient would be filed nowhere, and a return
// path holding CR, LF, NUL or angle brackets would forge the Return-Path field (RFC 5321 4.4).
// Flags as stored: sorted, each once, separated by spaces.
std::string joined_flags(std::span<const std::string> flags) {
    std::vector<std::string> sorted(flags.begin(), flags.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string joined;
    for (auto& flag : sorted) joined += (joined.empty() ? "" : " ") + flag;
    return joined;
}

Status check_delivery(const Delivery& d) {
    if (d.account_ids.empty() && d.remote_recipients.empty() && d.queued.empty())
        return fail(ErrorKind::Invalid, "a delivery needs at least one recipient");
    for (const auto& q : d.queued) {
        if (q.queue_id.empty() || q.content.empty() || q.recipients.empty())
            return fail(ErrorKind::Invalid, "a queued message needs a queue id, recipients and content");
        if (q.return_path.find_first_of(std::string_view("\r\n<>\0", 5)) != std::string::npos)
            return fail(ErrorKind::Invalid, "the return path holds CR, LF, NUL or angle brackets");
    }
    if (!d.remote_recipients.empty() && (d.queue_id.empty() || d.outbound_content.empty()))
        return fail(ErrorKind::Invalid, "remote recipients need a queue id and the outbound content");
    if (!d.copies.empty() && d.copies.size() != d.account_ids.size())
        return fail(ErrorKind::Invalid, "a delivery's copies are one per recipient");
    if (!d.remote_dsn.empty() && d.remote_dsn.size() != d.remote_recipients.size())
        return fail(ErrorKind::Invalid, "a delivery's DSN parameters are one per remote recipient");
    if (d.return_path.find_first_of(std::string_view("\r\n<>\0", 5)) != std::string::npos)
        return fail(ErrorKind::Invalid, "the return path holds CR, LF, NUL or angle brackets");
    return Ok{};
}

Status check_new_account(const NewAccount& n) {
    if (n.address.empty()) return fail(ErrorKind::Invalid, "a mailbox needs an address");
    if (n.kind == MailboxKind::Applicative && n.password_hash)
        return fail(ErrorKind::Invalid, "an applicative mailbox has no password");
    return Ok{};
}

// Folder names as the store keeps them: UTF-8 without controls, '/'-separated non-empty parts.
Status check_folder_name(std::string_view name) {
    if (name.empty() || name.size() > 1024 || name.front() == '/' || name.back() == '/' ||
        name.find("//") != std::string_view::npos)
        return fail(ErrorKind::Invalid, "a folder name has non-empty parts separated by '/'");
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f) return fail(ErrorKind::Invalid, "a folder name holds no control characters");
    return Ok{};
}

std::string canonical_folder(std::string_view name) {
    if (ascii_lower(name) == "inbox") return "INBOX";
    if (name.size() > 6 && ascii_lower(name.substr(0, 6)) == "inbox/") return "INBOX" + std::string(name.substr(5));
    return std::string(name);
}

// The parents of "a/b/c": "a", "a/b".
std::vector<std::string> parents_of(std::string_view name) {
    std::vector<std::string> out;
    for (auto slash = name.find('/'); slash != std::string_view::npos; slash = name.find('/', slash + 1))
        out.emplace_back(name.substr(0, slash));
    return out;
}

OutboundMessage outbound_message_of(std::string id, std::string return_path, int64_t created_at, int64_t size,
                                    std::string ret, std::string envid) {
    OutboundMessage m;
    m.id = std::move(id);
    m.return_path = std::move(return_path);
    m.created_at = created_at;
    m.size = static_cast<uint64_t>(size);
    m.ret = std::move(ret);
    m.envid = std::move(envid);
    return m;
}

std::vector<Result<DeliveryOutcome>> every_slot(std::size_t count, const Error& error) {
    return std::vector<Result<DeliveryOutcome>>(count, Result<DeliveryOutcome>(error));
}

class SqliteStore final : public Store {
    static constexpr std::size_t kMaxKeptHeader = 64 * 1024;  // octets of header block kept for SEARCH
    static constexpr std::size_t kMaxThreadKey = 256;        // octets of a msg-id kept in thread_keys

public:
    SqliteStore(std::filesystem::path file, sqlite3* writer) : file_(std::move(file)), writer_(writer) {}
    ~SqliteStore() override {
        for (auto* db : readers_) sqlite3_close(db);
        sqlite3_close(writer_);
    }

    // Brings the file to its last schema step in one transaction; lays a fresh schema only when create is set.
    Status upgrade_schema(bool create) {
        std::lock_guard lock(write_mutex_);
        return sqlite::upgrade_schema(writer_, kSchemaSteps, file_.string(), create);
    }

    Result<Account> create_account(const NewAccount& n) override {
        if (auto s = check_new_account(n); !s) return s.error();
        std::string address = ascii_lower(n.address);
        if (auto id = transaction<int64_t>([&] { return create_locked(n, address); }); !id) return id.error();
        return find_account(address);
    }

    Result<Account> find_account(std::string_view address) override {
        return read([&](sqlite3* db) -> Result<Account> {
            Stmt q(db, (std::string(kAccountColumns) + "WHERE address = ?").c_str());
            q.bind(1, ascii_lower(address));
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
            return read_account(q);
        });
    }

    Result<Account> find_account_by_cert(std::string_view sha) override {
        return read([&](sqlite3* db) -> Result<Account> {
            Stmt q(db, (std::string(kAccountColumns) + "WHERE cert_sha256 = ?").c_str());
            q.bind(1, ascii_lower(sha));
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, "no mailbox for this certificate");
            return read_account(q);
        });
    }

    Result<std::vector<Account>> personal_accounts_of(std::string_view ps_idnat) override {
        return read([&](sqlite3* db) -> Result<std::vector<Account>> {
            Stmt q(db, (std::string(kAccountColumns) + "WHERE ps_idnat = ? AND kind = ? ORDER BY address").c_str());
            q.bind(1, ps_idnat).bind(2, to_string(MailboxKind::Personal));
            std::vector<Account> out;
            while (q.step() == SQLITE_ROW) out.push_back(read_account(q));
            return out;
        });
    }

    Result<std::vector<Account>> list_accounts() override {
        return read([&](sqlite3* db) -> Result<std::vector<Account>> {
            Stmt q(db, (std::string(kAccountColumns) + "ORDER BY address").c_str());
            std::vector<Account> out;
            while (q.step() == SQLITE_ROW) out.push_back(read_account(q));
            return out;
        });
    }

    Status set_disabled(std::string_view address, bool disabled) override {
        return update_account("UPDATE accounts SET disabled = ?1 WHERE address = ?2", disabled ? 1 : 0, address);
    }

    Status set_password_hash(std::string_view address, std::string_view hash) override {
        auto a = find_account(address);
        if (!a) return a.error();
        if (a->kind == MailboxKind::Applicative) return fail(ErrorKind::Invalid, "an applicative mailbox has no password");
        std::lock_guard lock(write_mutex_);
        Stmt q(writer_, "UPDATE accounts SET password_hash = ?1 WHERE id = ?2");
        q.bind(1, hash).bind(2, a->id);
        if (q.step() != SQLITE_DONE) return q.error();
        return Ok{};
    }

    Status set_member(std::string_view org_address, std::string_view member_address, std::string_view rights) override {
        auto norm = normalise_rights(rights);
        if (!norm) return norm.error();
        auto org = find_account(org_address);
        if (!org) return org.error();
        if (org->kind != MailboxKind::Organisational)
            return fail(ErrorKind::Invalid, fmt::format("{} is not an organisational mailbox", org->address));
        auto member = find_account(member_address);
        if (!member) return member.error();
        if (auto refusal = membership_refusal(*org, *member); refusal && !norm.value().empty()) return *refusal;
        std::lock_guard lock(write_mutex_);
        if (norm.value().empty()) {
            Stmt q(writer_, "DELETE FROM members WHERE org_account_id = ?1 AND member_account_id = ?2");
            q.bind(1, org->id).bind(2, member->id);
            return q.step() == SQLITE_DONE ? Status(Ok{}) : Status(q.error());
        }
        Stmt q(writer_, "INSERT INTO members(org_account_id, member_account_id, rights) VALUES(?1, ?2, ?3) "
                        "ON CONFLICT(org_account_id, member_account_id) DO UPDATE SET rights = excluded.rights");
        q.bind(1, org->id).bind(2, member->id).bind(3, norm.value());
        return q.step() == SQLITE_DONE ? Status(Ok{}) : Status(q.error());
    }

    Result<std::vector<Member>> members(std::string_view org_address) override {
        auto org = find_account(org_address);
        if (!org) return org.error();
        return read([&](sqlite3* db) -> Result<std::vector<Member>> {
            Stmt q(db, "SELECT a.address, m.rights FROM members m JOIN accounts a ON a.id = m.member_account_id "
                       "WHERE m.org_account_id = ? ORDER BY a.address");
            q.bind(1, org->id);
            std::vector<Member> out;
            while (q.step() == SQLITE_ROW) out.push_back({q.text(0), q.text(1)});
            return out;
        });
    }

    Result<std::string> rights_of(std::string_view org_address, std::string_view member_address) override {
        return read([&](sqlite3* db) -> Result<std::string> {
            Stmt q(db, "SELECT m.rights FROM members m JOIN accounts o ON o.id = m.org_account_id "
                       "JOIN accounts a ON a.id = m.member_account_id WHERE o.address = ?1 AND a.address = ?2");
            q.bind(1, ascii_lower(org_address)).bind(2, ascii_lower(member_address));
            return q.step() == SQLITE_ROW ? q.text(0) : std::string();
        });
    }

    Result<std::vector<Folder>> folders(std::string_view address) override {
        auto a = find_account(address);
        if (!a) return a.error();
        return read([&](sqlite3* db) -> Result<std::vector<Folder>> {
            Stmt q(db, "SELECT id, name, special_use, uidvalidity, uidnext, highest_modseq, recent_from, mailbox_id "
                       "FROM folders WHERE account_id = ? ORDER BY name = 'INBOX' DESC, name");
            q.bind(1, a->id);
            std::vector<Folder> out;
            while (q.step() == SQLITE_ROW)
                out.push_back({q.i64(0), q.text(1), q.text(2), static_cast<uint32_t>(q.i64(3)),
                               static_cast<uint32_t>(q.i64(4)), static_cast<uint64_t>(q.i64(5)),
                               static_cast<uint32_t>(q.i64(6)), q.text(7)});
            return out;
        });
    }

    Result<std::vector<Membership>> memberships(std::string_view member_address) override {
        return read([&](sqlite3* db) -> Result<std::vector<Membership>> {
            Stmt q(db, "SELECT o.address, m.rights FROM members m JOIN accounts o ON o.id = m.org_account_id "
                       "JOIN accounts a ON a.id = m.member_account_id WHERE a.address = ?1 ORDER BY o.address");
            q.bind(1, ascii_lower(member_address));
            std::vector<Membership> out;
            while (q.step() == SQLITE_ROW) out.push_back({q.text(0), q.text(1)});
            return out;
        });
    }

    Result<Folder> create_folder(std::string_view address, std::string_view name, std::string_view special_use) override {
        std::string folder = canonical_folder(name);
        if (auto s = check_folder_name(folder); !s) return s.error();
        auto a = find_account(address);
        if (!a) return a.error();
        auto made = transaction<Ok>([&]() -> Result<Ok> {
            if (auto exists = find_folder_locked(a->id, folder); exists) 
                return fail(ErrorKind::Exists, fmt::format("{} already exists", folder));
            for (const auto& parent : parents_of(folder))
                if (!find_folder_locked(a->id, parent))
                    if (auto s = insert_folder(a->id, parent, ""); !s) return s.error();
            return insert_folder(a->id, folder, special_use);
        });
        if (!made) return made.error();
        changes().changed(ChangeNotifier::Topic::AccountFolders, a->id);
        auto all = folders(address);
        if (!all) return all.error();
        for (auto& f : *all)
            if (f.name == folder) return f;
        return fail(ErrorKind::Io, "the new folder vanished");
    }

    Status delete_folder(std::string_view address, std::string_view name) override {
        std::string folder = canonical_folder(name);
        if (folder == "INBOX") return fail(ErrorKind::Invalid, "INBOX cannot be deleted");
        auto a = find_account(address);
        if (!a) return a.error();
        auto deleted = transaction<Ok>([&]() -> Result<Ok> {
            auto id = find_folder_locked(a->id, folder);
            if (!id) return id.error();
            Stmt kids(writer_, "SELECT 1 FROM folders WHERE account_id = ?1 AND substr(name, 1, ?2) = ?3");
            kids.bind(1, a->id).bind(2, static_cast<int64_t>(folder.size() + 1)).bind(3, folder + "/");
            if (kids.step() == SQLITE_ROW) return fail(ErrorKind::Invalid, fmt::format("{} has child folders", folder));
            Stmt del(writer_, "DELETE FROM folders WHERE id = ?1");
            del.bind(1, *id);
            if (del.step() != SQLITE_DONE) return del.error();
            touched_.push_back(*id);
            return drop_orphans();
        });
        if (deleted) changes().changed(ChangeNotifier::Topic::AccountFolders, a->id);
        return deleted;
    }

    Status rename_folder(std::string_view address, std::string_view from, std::string_view to) override {
        std::string source = canonical_folder(from), target = canonical_folder(to);
        if (auto s = check_folder_name(target); !s) return s;
        if (target == source || target.starts_with(source + "/"))
            return fail(ErrorKind::Invalid, "a folder cannot be renamed into itself");
        auto a = find_account(address);
        if (!a) return a.error();
        auto renamed = transaction<Ok>([&]() -> Result<Ok> {
            auto id = find_folder_locked(a->id, source);
            if (!id) return id.error();
            if (find_folder_locked(a->id, target)) return fail(ErrorKind::Exists, fmt::format("{} already exists", target));
            for (const auto& parent : parents_of(target))
                if (!find_folder_locked(a->id, parent))
                    if (auto s = insert_folder(a->id, parent, ""); !s) return s.error();
            if (source == "INBOX") return move_inbox_to(a->id, *id, target);
            Stmt up(writer_, "UPDATE folders SET name = ?1 || substr(name, ?2) WHERE account_id = ?3 "
                             "AND (name = ?4 OR substr(name, 1, ?5) = ?6)");
            up.bind(1, target).bind(2, static_cast<int64_t>(source.size() + 1)).bind(3, a->id).bind(4, source);
            up.bind(5, static_cast<int64_t>(source.size() + 1)).bind(6, source + "/");
            if (up.step() != SQLITE_DONE) return up.error();
            touched_.push_back(*id);
            return rename_subscriptions(a->id, source, target);
        });
        if (renamed) changes().changed(ChangeNotifier::Topic::AccountFolders, a->id);
        return renamed;
    }

    Result<std::vector<std::string>> subscriptions(std::string_view address) override {
        auto a = find_account(address);
        if (!a) return a.error();
        return read([&](sqlite3* db) -> Result<std::vector<std::string>> {
            Stmt q(db, "SELECT name FROM subscriptions WHERE account_id = ?1 ORDER BY name");
            q.bind(1, a->id);
            std::vector<std::string> out;
            while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
            return out;
        });
    }

    Status set_subscribed(std::string_view address, std::string_view name, bool subscribed) override {
        std::string folder = canonical_folder(name);
        if (auto s = check_folder_name(folder); !s) return s;
        auto a = find_account(address);
        if (!a) return a.error();
        std::lock_guard lock(write_mutex_);
        Stmt q(writer_, subscribed ? "INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES(?1, ?2)"
                                   : "DELETE FROM subscriptions WHERE account_id = ?1 AND name = ?2");
        q.bind(1, a->id).bind(2, folder);
        if (q.step() != SQLITE_DONE) return q.error();
        if (sqlite3_changes(writer_) > 0) changes().changed(ChangeNotifier::Topic::AccountFolders, a->id);
        return Ok{};
    }

    Result<uint32_t> claim_recent(std::string_view address, std::string_view folder, uint32_t up_to) override {
        auto a = find_account(address);
        if (!a) return a.error();
        std::string name = canonical_folder(folder);
        auto unclaimed = read([&](sqlite3* db) -> Result<uint32_t> {
            Stmt q(db, "SELECT recent_from FROM folders WHERE account_id = ?1 AND name = ?2");
            q.bind(1, a->id).bind(2, name);
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no folder {}", name));
            return static_cast<uint32_t>(q.i64(0));
        });
        if (!unclaimed || *unclaimed >= up_to) return unclaimed ? up_to : unclaimed;
        return transaction<uint32_t>([&]() -> Result<uint32_t> {
            Stmt q(writer_, "SELECT recent_from FROM folders WHERE account_id = ?1 AND name = ?2");
            q.bind(1, a->id).bind(2, name);
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no folder {}", name));
            auto first = static_cast<uint32_t>(q.i64(0));
            if (first >= up_to) return up_to;
            Stmt up(writer_, "UPDATE folders SET recent_from = ?1 WHERE account_id = ?2 AND name = ?3");
            up.bind(1, static_cast<int64_t>(up_to)).bind(2, a->id).bind(3, name);
            if (up.step() != SQLITE_DONE) return up.error();
            return first;
        });
    }

    Result<Quota> quota(std::string_view address) override {
        return read([&](sqlite3* db) -> Result<Quota> {
            Stmt q(db, "SELECT quota_storage_kib, quota_messages FROM accounts WHERE address = ?1");
            q.bind(1, ascii_lower(address));
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
            return Quota{q.optional_u64(0), q.optional_u64(1)};
        });
    }

    Status set_quota(std::string_view address, const Quota& quota) override {
        std::lock_guard lock(write_mutex_);
        Stmt q(writer_, "UPDATE accounts SET quota_storage_kib = ?1, quota_messages = ?2 WHERE address = ?3");
        q.bind(1, quota.storage_kib).bind(2, quota.messages).bind(3, ascii_lower(address));
        if (q.step() != SQLITE_DONE) return q.error();
        if (sqlite3_changes(writer_) == 0) return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
        return Ok{};
    }

    Result<QuotaUsage> usage(std::string_view address) override {
        auto a = find_account(address);
        if (!a) return a.error();
        return read([&](sqlite3* db) { return usage_of(db, a->id); });
    }

    Result<std::vector<Annotation>> annotations(int64_t folder_id, int64_t account_id) override {
        return read([&](sqlite3* db) -> Result<std::vector<Annotation>> {
            Stmt q(db, "SELECT entry, value FROM annotations WHERE folder_id = ?1 AND private_to IN (0, ?2) "
                       "ORDER BY entry");
            q.bind(1, folder_id).bind(2, account_id);
            std::vector<Annotation> out;
            while (q.step() == SQLITE_ROW) out.push_back({q.text(0), q.blob(1)});
            return out;
        });
    }

    Status set_annotations(int64_t folder_id, int64_t account_id, std::span<const AnnotationChange> changes,
                           std::size_t max_entries) override {
        auto written = transaction<Ok>([&]() -> Result<Ok> {
            for (const auto& change : changes) {
                int64_t owner = change.entry.starts_with("/private/") ? account_id : 0;
                Stmt q(writer_, change.value
                                    ? "INSERT INTO annotations(folder_id, private_to, entry, value) VALUES(?1, ?2, ?3, ?4) "
                                      "ON CONFLICT(folder_id, private_to, entry) DO UPDATE SET value = excluded.value"
                                    : "DELETE FROM annotations WHERE folder_id = ?1 AND private_to = ?2 AND entry = ?3");
                q.bind(1, folder_id).bind(2, owner).bind(3, change.entry);
                if (change.value) q.bind(4, *change.value);
                if (q.step() != SQLITE_DONE) return q.error();
            }
            Stmt count(writer_, "SELECT count(*) FROM annotations WHERE folder_id = ?1 AND private_to IN (0, ?2)");
            count.bind(1, folder_id).bind(2, account_id);
            if (count.step() != SQLITE_ROW) return count.error();
            if (static_cast<std::size_t>(count.i64(0)) > max_entries)
                return fail(ErrorKind::Invalid, fmt::format("more than {} annotations", max_entries));
            return Ok{};
        });
        if (written) this->changes().changed(ChangeNotifier::Topic::Annotations, folder_id);
        return written;
    }

    Result<std::vector<uint32_t>> vanished_since(std::string_view address, std::string_view folder,
                                                 uint64_t modseq) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return read([&](sqlite3* db) -> Result<std::vector<uint32_t>> {
            Stmt q(db, "SELECT uid FROM vanished WHERE folder_id = ?1 AND modseq > ?2 ORDER BY uid");
            q.bind(1, *f).bind(2, static_cast<int64_t>(modseq));
            std::vector<uint32_t> out;
            while (q.step() == SQLITE_ROW) out.push_back(static_cast<uint32_t>(q.i64(0)));
            return out;
        });
    }

    std::vector<Result<DeliveryOutcome>> deliver_batch(std::span<const Delivery> batch) override {
        std::lock_guard lock(write_mutex_);
        if (auto s = begin_write(); !s) return every_slot(batch.size(), s.error());
        touched_.clear();
        std::vector<Result<DeliveryOutcome>> out;
        out.reserve(batch.size());
        for (const auto& d : batch) {
            out.push_back(deliver_in_savepoint(d));
            // A full disk or an I/O error can make SQLite roll the whole transaction back by itself.
            if (sqlite3_get_autocommit(writer_)) {
                touched_.clear();
                return every_slot(batch.size(), fail(ErrorKind::Io, "batch rolled back: " + out.back().error().message));
            }
        }
        if (auto s = exec(writer_, "COMMIT"); !s) {
            exec_quietly(writer_, "ROLLBACK");
            touched_.clear();
            return every_slot(batch.size(), s.error());
        }
        announce_touched();
        return out;
    }

    Result<std::vector<std::string>> outbound_due_domains(int64_t now) override {
        return read([&](sqlite3* db) -> Result<std::vector<std::string>> {
            Stmt q(db, "SELECT DISTINCT domain FROM outbound_recipients WHERE state = 'queued' AND next_attempt <= ?1");
            q.bind(1, now);
            std::vector<std::string> out;
            while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
            return out;
        });
    }

    Result<std::vector<OutboundMessage>> outbound_due(std::string_view domain, int64_t now, std::size_t limit) override {
        return read([&](sqlite3* db) -> Result<std::vector<OutboundMessage>> {
            Stmt q(db, "SELECT m.id, m.return_path, m.created_at, length(m.content), r.address, r.attempts, "
                       "r.next_attempt, r.last_error, m.ret, m.envid, r.notify, r.orcpt, r.delay_warned "
                       "FROM outbound_recipients r JOIN outbound_messages m "
                       "ON m.id = r.message_id WHERE r.domain = ?1 AND r.state = 'queued' AND r.next_attempt <= ?2 "
                       "ORDER BY m.created_at, m.id, r.address");
            q.bind(1, domain).bind(2, now);
            std::vector<OutboundMessage> out;
            while (q.step() == SQLITE_ROW) {
                if (out.empty() || out.back().id != q.text(0)) {
                    if (out.size() == limit) break;
                    out.push_back(outbound_message_of(q.text(0), q.text(1), q.i64(2), q.i64(3), q.text(8), q.text(9)));
                }
                OutboundRecipient& rcpt = out.back().recipients.emplace_back();
                rcpt.address = q.text(4);
                rcpt.domain = std::string(domain);
                rcpt.attempts = static_cast<unsigned>(q.i64(5));
                rcpt.next_attempt = q.i64(6);
                rcpt.last_error = q.text(7);
                rcpt.notify = q.text(10);
                rcpt.orcpt = q.text(11);
                rcpt.delay_warned = q.i64(12) != 0;
            }
            return out;
        });
    }

    Result<std::string> outbound_content(std::string_view id) override {
        return read([&](sqlite3* db) -> Result<std::string> {
            Stmt q(db, "SELECT content FROM outbound_messages WHERE id = ?1");
            q.bind(1, id);
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no queued message {}", id));
            return q.blob(0);
        });
    }

    Status outbound_record_batch(std::span<const RecipientOutcome> outcomes) override {
        return transaction<Ok>([&]() -> Result<Ok> {
            using Kind = AttemptOutcome::Kind;
            Stmt delivered(writer_, "DELETE FROM outbound_recipients WHERE message_id = ?1 AND address = ?2");
            Stmt attempted(writer_, "UPDATE outbound_recipients SET attempts = attempts + 1, last_error = ?3, "
                                    "next_attempt = ?4, state = ?5, delay_warned = max(delay_warned, ?6) "
                                    "WHERE message_id = ?1 AND address = ?2");
            Stmt gone(writer_, "DELETE FROM outbound_messages WHERE id = ?1 AND NOT EXISTS "
                               "(SELECT 1 FROM outbound_recipients WHERE message_id = ?1)");
            for (const auto& [id, recipient, o] : outcomes) {
                Stmt& q = o.kind == Kind::Delivered ? delivered : attempted;
                q.reset();
                q.bind(1, id).bind(2, recipient);
                if (o.kind != Kind::Delivered)
                    q.bind(3, o.reply).bind(4, o.next_attempt).bind(5, o.kind == Kind::Failed ? "failed" : "queued")
                        .bind(6, int64_t{o.delay_warned});
                if (q.step() != SQLITE_DONE) return q.error();
                gone.reset();
                gone.bind(1, id);
                if (gone.step() != SQLITE_DONE) return gone.error();
            }
            return Ok{};
        });
    }

    Result<std::vector<OutboundMessage>> outbound_list() override { return outbound_where("", ""); }

    Result<OutboundMessage> outbound_message(std::string_view id) override {
        auto found = outbound_where("WHERE m.id = ?1", id);
        if (!found) return found.error();
        if (found->empty()) return fail(ErrorKind::NotFound, fmt::format("no queued message {}", id));
        return std::move(found->front());
    }

    Result<uint64_t> outbound_flush(std::optional<std::string_view> id) override {
        return transaction<uint64_t>([&]() -> Result<uint64_t> {
            Stmt q(writer_, id ? "UPDATE outbound_recipients SET next_attempt = 0 WHERE state = 'queued' AND message_id = ?1"
                               : "UPDATE outbound_recipients SET next_attempt = 0 WHERE state = 'queued'");
            if (id) q.bind(1, *id);
            if (q.step() != SQLITE_DONE) return q.error();
            return static_cast<uint64_t>(sqlite3_changes(writer_));
        });
    }

    Status outbound_delete(std::string_view id) override {
        return transaction<Ok>([&]() -> Result<Ok> {
            Stmt q(writer_, "DELETE FROM outbound_messages WHERE id = ?1");
            q.bind(1, id);
            if (q.step() != SQLITE_DONE) return q.error();
            if (sqlite3_changes(writer_) == 0) return fail(ErrorKind::NotFound, fmt::format("no queued message {}", id));
            return Ok{};
        });
    }

    Status set_filing(std::string_view address, bool enabled) override {
        return transaction<Ok>([&]() -> Result<Ok> {
            Stmt q(writer_, "INSERT INTO filing_settings(account_id, enabled) SELECT id, ?2 FROM accounts WHERE address = ?1 "
                            "ON CONFLICT(account_id) DO UPDATE SET enabled = excluded.enabled");
            q.bind(1, ascii_lower(address)).bind(2, int64_t{enabled});
            if (q.step() != SQLITE_DONE) return q.error();
            if (sqlite3_changes(writer_) == 0) return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
            return Ok{};
        });
    }

    Result<bool> filing_enabled(std::string_view address) override {
        return read([&](sqlite3* db) -> Result<bool> {
            Stmt q(db, "SELECT s.enabled FROM accounts a LEFT JOIN filing_settings s ON s.account_id = a.id "
                       "WHERE a.address = ?1");
            q.bind(1, ascii_lower(address));
            if (int rc = q.step(); rc != SQLITE_ROW) {
                if (rc != SQLITE_DONE) return q.error();
                return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
            }
            return q.is_null(0) || q.i64(0) != 0;
        });
    }

    Result<std::vector<FilingJob>> filing_due(int64_t now, std::size_t limit) override {
        return read([&](sqlite3* db) -> Result<std::vector<FilingJob>> {
            Stmt q(db, "SELECT j.id, j.submitter, j.return_path, j.queue_id, "
                       "CASE WHEN j.message_id IS NULL THEN j.content ELSE substr(m.content, j.content_offset + 1) END, "
                       "j.attempts, j.next_attempt, j.created_at, j.last_error "
                       "FROM filing_jobs j LEFT JOIN messages m ON m.id = j.message_id "
                       "WHERE j.next_attempt <= ?1 ORDER BY j.id LIMIT ?2");
            q.bind(1, now).bind(2, static_cast<int64_t>(limit));
            std::vector<FilingJob> out;
            while (q.step() == SQLITE_ROW)
                out.push_back({q.i64(0), q.text(1), q.text(2), q.text(3), q.blob(4), static_cast<unsigned>(q.i64(5)),
                               q.i64(6), q.i64(7), q.text(8)});
            return out;
        });
    }

    Status filing_retry(int64_t job, int64_t next_attempt, std::string_view error) override {
        return transaction<Ok>([&]() -> Result<Ok> {
            Stmt q(writer_, "UPDATE filing_jobs SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 WHERE id = ?1");
            q.bind(1, job).bind(2, next_attempt).bind(3, error);
            if (q.step() != SQLITE_DONE) return q.error();
            return Ok{};
        });
    }

    Status filing_done(std::span<const int64_t> jobs) override {
        if (jobs.empty()) return Ok{};
        // Without an fsync of its own, the low-priority filing thread holds the writer lock for
        // the time of a WAL append, not of a disk flush that intake's commits would wait behind.
        return transaction<Ok>(
            [&]() -> Result<Ok> {
                for (int64_t job : jobs)
                    if (auto ended = end_filing_job(job); !ended) return ended;
                return Ok{};
            },
            Flush::WithNextWrite);
    }

    Status set_route(const Route& route) override {
        return transaction<Ok>([&]() -> Result<Ok> {
            Stmt q(writer_, "INSERT INTO routes(domain, host, port) VALUES(?1, ?2, ?3) "
                            "ON CONFLICT(domain) DO UPDATE SET host = excluded.host, port = excluded.port");
            q.bind(1, ascii_lower(route.domain)).bind(2, route.host).bind(3, int64_t{route.port});
            if (q.step() != SQLITE_DONE) return q.error();
            return Ok{};
        });
    }

    Status remove_route(std::string_view domain) override {
        return transaction<Ok>([&]() -> Result<Ok> {
            Stmt q(writer_, "DELETE FROM routes WHERE domain = ?1");
            q.bind(1, ascii_lower(domain));
            if (q.step() != SQLITE_DONE) return q.error();
            if (sqlite3_changes(writer_) == 0) return fail(ErrorKind::NotFound, fmt::format("no route for {}", domain));
            return Ok{};
        });
    }

    Result<std::vector<Route>> routes() override {
        return read([&](sqlite3* db) -> Result<std::vector<Route>> {
            Stmt q(db, "SELECT domain, host, port FROM routes ORDER BY domain");
            std::vector<Route> out;
            while (q.step() == SQLITE_ROW) out.push_back({q.text(0), q.text(1), static_cast<uint16_t>(q.i64(2))});
            return out;
        });
    }

    Result<std::optional<Route>> route_for(std::string_view domain) override {
        return read([&](sqlite3* db) -> Result<std::optional<Route>> {
            Stmt q(db, "SELECT domain, host, port FROM routes WHERE domain = ?1");
            q.bind(1, ascii_lower(domain));
            if (q.step() != SQLITE_ROW) return std::optional<Route>();
            return std::optional<Route>(Route{q.text(0), q.text(1), static_cast<uint16_t>(q.i64(2))});
        });
    }

    Result<std::vector<MessageSummary>> list_messages(std::string_view address, std::string_view folder) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return read([&](sqlite3* db) -> Result<std::vector<MessageSummary>> {
            Stmt q(db, "SELECT fm.uid, m.size, m.internal_date, fm.modseq, fm.flags, fm.saved_at, m.email_id, m.thread_id "
                       "FROM folder_messages fm "
                       "JOIN messages m ON m.id = fm.message_id WHERE fm.folder_id = ? ORDER BY fm.uid");
            q.bind(1, *f);
            std::vector<MessageSummary> out;
            while (q.step() == SQLITE_ROW) out.push_back(summary_of(q));
            return out;
        });
    }

    Result<std::string> fetch_message(std::string_view address, std::string_view folder, uint32_t uid) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return read([&](sqlite3* db) -> Result<std::string> {
            Stmt q(db, "SELECT m.content FROM folder_messages fm JOIN messages m ON m.id = fm.message_id "
                       "WHERE fm.folder_id = ?1 AND fm.uid = ?2");
            q.bind(1, *f).bind(2, static_cast<int64_t>(uid));
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no message with UID {}", uid));
            return q.blob(0);
        });
    }

    Status read_texts(std::string_view address, std::string_view folder, std::span<const uint32_t> uids,
                      TextExtent extent, const TextVisitor& visit) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return read([&](sqlite3* db) { return in_snapshot(db, [&] { return walk_texts(db, *f, uids, extent, visit); }); });
    }

    Result<FolderChanges> changes_since(std::string_view address, std::string_view folder, uint64_t modseq) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return read([&](sqlite3* db) { return in_snapshot(db, [&] { return changes_of(db, *f, modseq); }); });
    }

    Result<std::vector<FlagUpdate>> update_flags(std::string_view address, std::string_view folder,
                                                 std::span<const uint32_t> uids, FlagMode mode,
                                                 std::span<const std::string> flags) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return transaction<std::vector<FlagUpdate>>([&] { return update_flags_locked(*f, uids, mode, flags, {}, nullptr); });
    }

    Result<std::vector<FlagUpdate>> update_flags_unchanged_since(std::string_view address, std::string_view folder,
                                                                 std::span<const uint32_t> uids, FlagMode mode,
                                                                 std::span<const std::string> flags, uint64_t unchanged_since,
                                                                 std::vector<uint32_t>& modified) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        modified.clear();
        return transaction<std::vector<FlagUpdate>>(
            [&] { return update_flags_locked(*f, uids, mode, flags, unchanged_since, &modified); });
    }

    Result<std::vector<uint32_t>> expunge(std::string_view address, std::string_view folder,
                                          std::optional<std::span<const uint32_t>> uids) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        return transaction<std::vector<uint32_t>>([&] { return expunge_locked(*f, uids); });
    }

    Result<uint32_t> append(std::string_view address, std::string_view folder, std::string_view content,
                            std::span<const std::string> flags, int64_t internal_date) override {
        NewMessage one{content, flags, internal_date};
        auto uids = append_all(address, folder, std::span<const NewMessage>(&one, 1));
        if (!uids) return uids.error();
        return uids->front();
    }

    Result<std::vector<uint32_t>> append_all(std::string_view address, std::string_view folder,
                                             std::span<const NewMessage> messages) override {
        auto f = folder_id(address, folder);
        if (!f) return f.error();
        uint64_t octets = 0;
        for (const auto& m : messages) octets += m.content.size();
        return transaction<std::vector<uint32_t>>([&]() -> Result<std::vector<uint32_t>> {
            if (auto room = check_quota_locked(address, messages.size(), octets); !room) return room.error();
            std::vector<uint32_t> uids;
            for (const auto& m : messages) {
                auto message_id = insert_content(m.content, m.internal_date);
                if (!message_id) return message_id.error();
                auto uid = file_into(*f, *message_id, joined_flags(m.flags));
                if (!uid) return uid.error();
                uids.push_back(*uid);
            }
            return uids;
        });
    }

    Result<Replaced> replace(std::string_view from_address, std::string_view from_folder, uint32_t old_uid,
                             std::string_view address, std::string_view folder, const NewMessage& replacement) override {
        auto source = folder_id(from_address, from_folder);
        if (!source) return source.error();
        auto target = folder_id(address, folder);
        if (!target) return target.error();
        return transaction<Replaced>([&]() -> Result<Replaced> {
            Replaced out;
            Stmt there(writer_, "SELECT 1 FROM folder_messages WHERE folder_id = ?1 AND uid = ?2");
            there.bind(1, *source).bind(2, static_cast<int64_t>(old_uid));
            if (there.step() == SQLITE_ROW) {
                std::vector<uint32_t> one{old_uid};
                if (auto gone = remove_locked(*source, one); !gone) return gone.error();
                if (auto dropped = drop_orphans(); !dropped) return dropped.error();
                out.expunged = std::move(one);
            }
            if (auto room = check_quota_locked(address, 1, replacement.content.size()); !room) return room.error();
            auto message_id = insert_content(replacement.content, replacement.internal_date);
            if (!message_id) return message_id.error();
            auto uid = file_into(*target, *message_id, joined_flags(replacement.flags));
            if (!uid) return uid.error();
            out.uid = *uid;
            return out;
        });
    }

    Result<CopyOutcome> copy(std::string_view from_address, std::string_view from, std::span<const uint32_t> uids,
                             std::string_view to_address, std::string_view to, bool move) override {
        auto source = folder_id(from_address, from);
        if (!source) return source.error();
        auto target = folder_id(to_address, to);
        if (!target) return target.error();
        std::vector<uint32_t> sorted(uids.begin(), uids.end());
        std::sort(sorted.begin(), sorted.end());
        return transaction<CopyOutcome>([&]() -> Result<CopyOutcome> {
            CopyOutcome out;
            Stmt v(writer_, "SELECT uidvalidity FROM folders WHERE id = ?1");
            v.bind(1, *target);
            if (v.step() != SQLITE_ROW) return v.error();
            out.uidvalidity = static_cast<uint32_t>(v.i64(0));
            bool adds = !move || ascii_lower(from_address) != ascii_lower(to_address);
            if (adds)
                if (auto room = check_quota_locked(to_address, sorted.size(), size_of_locked(*source, sorted)); !room)
                    return room.error();
            for (uint32_t uid : sorted) {
                Stmt get(writer_, "SELECT message_id, flags FROM folder_messages WHERE folder_id = ?1 AND uid = ?2");
                get.bind(1, *source).bind(2, static_cast<int64_t>(uid));
                if (get.step() != SQLITE_ROW) continue;
                auto filed = file_into(*target, get.i64(0), get.text(1));
                if (!filed) return filed.error();
                out.source_uids.push_back(uid);
                out.destination_uids.push_back(*filed);
            }
            if (move && !out.source_uids.empty())
                if (auto gone = remove_locked(*source, out.source_uids); !gone) return gone.error();
            return out;
        });
    }

    Status put_smime_certificate(const SmimeCertificate& c) override {
        std::lock_guard lock(write_mutex_);
        Stmt q(writer_, "INSERT INTO smime_certificates(address, usage, certificate_pem, sealed_key, updated_at) "
                        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(address, usage) DO UPDATE SET "
                        "certificate_pem = excluded.certificate_pem, sealed_key = excluded.sealed_key, "
                        "updated_at = excluded.updated_at");
        q.bind(1, ascii_lower(c.address)).bind(2, to_string(c.usage)).bind(3, c.certificate_pem).bind(4, c.sealed_key);
        q.bind(5, static_cast<int64_t>(std::time(nullptr)));
        if (q.step() != SQLITE_DONE) return q.error();
        return Ok{};
    }

    Result<std::optional<SmimeCertificate>> smime_certificate(std::string_view address, SmimeUsage usage) override {
        std::string lower = ascii_lower(address);
        return read([&](sqlite3* db) -> Result<std::optional<SmimeCertificate>> {
            Stmt q(db, "SELECT certificate_pem, sealed_key FROM smime_certificates WHERE address = ?1 AND usage = ?2");
            q.bind(1, lower).bind(2, to_string(usage));
            int rc = q.step();
            if (rc == SQLITE_DONE) return std::optional<SmimeCertificate>();
            if (rc != SQLITE_ROW) return q.error();
            return std::optional<SmimeCertificate>(SmimeCertificate{lower, usage, q.text(0), q.opt(1)});
        });
    }

    Result<std::vector<SmimeCertificate>> smime_certificates(SmimeUsage usage) override {
        return read([&](sqlite3* db) -> Result<std::vector<SmimeCertificate>> {
            Stmt q(db, "SELECT address, certificate_pem FROM smime_certificates WHERE usage = ?1 ORDER BY address");
            q.bind(1, to_string(usage));
            std::vector<SmimeCertificate> out;
            int rc;
            while ((rc = q.step()) == SQLITE_ROW) out.push_back(SmimeCertificate{q.text(0), usage, q.text(1), std::nullopt});
            if (rc != SQLITE_DONE) return q.error();
            return out;
        });
    }

    Result<SmimeSettings> smime_settings(std::string_view address) override {
        std::string lower = ascii_lower(address);
        return read([&](sqlite3* db) -> Result<SmimeSettings> {
            Stmt q(db, "SELECT custody, unsigned_action, invalid_action, cipher FROM smime_settings WHERE address = ?1");
            q.bind(1, lower);
            int rc = q.step();
            if (rc == SQLITE_DONE) return SmimeSettings{};
            if (rc != SQLITE_ROW) return q.error();
            auto custody = key_custody_from(q.text(0));
            if (!custody) return fail(ErrorKind::Invalid, fmt::format("{}: stored key custody is not server or client", lower));
            return SmimeSettings{*custody, q.opt(1), q.opt(2), q.opt(3)};
        });
    }

    Status set_smime_settings(std::string_view address, const SmimeSettings& s) override {
        std::lock_guard lock(write_mutex_);
        Stmt q(writer_, "INSERT INTO smime_settings(address, custody, unsigned_action, invalid_action, cipher) "
                        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(address) DO UPDATE SET custody = excluded.custody, "
                        "unsigned_action = excluded.unsigned_action, invalid_action = excluded.invalid_action, "
                        "cipher = excluded.cipher");
        q.bind(1, ascii_lower(address)).bind(2, to_string(s.custody)).bind(3, s.unsigned_action);
        q.bind(4, s.invalid_action).bind(5, s.cipher);
        if (q.step() != SQLITE_DONE) return q.error();
        return Ok{};
    }

private:
    // A row of (uid, size, internal_date, modseq, flags, saved_at, email_id, thread_id).
    static MessageSummary summary_of(Stmt& q) {
        std::optional<int64_t> saved = q.is_null(5) ? std::nullopt : std::optional<int64_t>(q.i64(5));
        return MessageSummary{static_cast<uint32_t>(q.i64(0)), static_cast<uint64_t>(q.i64(1)), q.i64(2),
                              static_cast<uint64_t>(q.i64(3)), split_flags(q.text(4)), saved, q.text(6), q.text(7)};
    }

    // work inside one read transaction, so all its statements see the same committed state.
    template <class F>
    static auto in_snapshot(sqlite3* db, F work) -> decltype(work()) {
        if (auto begun = exec(db, "BEGIN"); !begun) return begun.error();
        auto out = work();
        exec_quietly(db, "COMMIT");  // nothing written: this only ends the snapshot
        return out;
    }

    // Header blocks come from message_headers when the message has one there, else from content.
    static Status walk_texts(sqlite3* db, int64_t folder, std::span<const uint32_t> uids, TextExtent extent,
                             const TextVisitor& visit) {
        Stmt q(db, extent == TextExtent::Header
                       ? "SELECT fm.message_id, h.header FROM folder_messages fm LEFT JOIN message_headers h "
                         "ON h.message_id = fm.message_id WHERE fm.folder_id = ?1 AND fm.uid = ?2"
                       : "SELECT message_id, NULL FROM folder_messages WHERE folder_id = ?1 AND uid = ?2");
        ContentReader content(db);
        for (uint32_t uid : uids) {
            q.reset().bind(1, folder).bind(2, static_cast<int64_t>(uid));
            int rc = q.step();
            if (rc == SQLITE_DONE) continue;
            if (rc != SQLITE_ROW) return q.error();
            auto text = q.is_null(1) ? content.read(q.i64(0), extent) : Result<std::string_view>(q.blob_view(1));
            if (!text) return text.error();
            if (!visit(uid, *text)) break;
        }
        return Ok{};
    }

    static Result<FolderChanges> changes_of(sqlite3* db, int64_t folder, uint64_t modseq) {
        FolderChanges out;
        Stmt highest(db, "SELECT highest_modseq FROM folders WHERE id = ?1");
        highest.bind(1, folder);
        if (int rc = highest.step(); rc != SQLITE_ROW)
            return rc == SQLITE_DONE ? fail(ErrorKind::NotFound, "the folder is gone") : highest.error();
        out.highest_modseq = static_cast<uint64_t>(highest.i64(0));
        Stmt changed(db, "SELECT fm.uid, m.size, m.internal_date, fm.modseq, fm.flags, fm.saved_at, m.email_id, m.thread_id "
                       "FROM folder_messages fm "
                         "JOIN messages m ON m.id = fm.message_id WHERE fm.folder_id = ?1 AND fm.modseq > ?2 "
                         "ORDER BY fm.uid");
        changed.bind(1, folder).bind(2, static_cast<int64_t>(modseq));
        int rc;
        while ((rc = changed.step()) == SQLITE_ROW) out.changed.push_back(summary_of(changed));
        if (rc != SQLITE_DONE) return changed.error();
        Stmt vanished(db, "SELECT uid FROM vanished WHERE folder_id = ?1 AND modseq > ?2 ORDER BY uid");
        vanished.bind(1, folder).bind(2, static_cast<int64_t>(modseq));
        while ((rc = vanished.step()) == SQLITE_ROW) out.vanished.push_back(static_cast<uint32_t>(vanished.i64(0)));
        if (rc != SQLITE_DONE) return vanished.error();
        return out;
    }

    static std::vector<std::string> split_flags(const std::string& text) {
        std::vector<std::string> out;
        for (std::size_t p = 0; p < text.size();) {
            auto e = text.find(' ', p);
            if (e == std::string::npos) e = text.size();
            if (e > p) out.push_back(text.substr(p, e - p));
            p = e + 1;
        }
        return out;
    }

    static std::vector<std::string> apply(std::vector<std::string> current, FlagMode mode,
                                          std::span<const std::string> flags) {
        if (mode == FlagMode::Replace) current.clear();
        for (const auto& f : flags) {
            auto it = std::find(current.begin(), current.end(), f);
            if (mode == FlagMode::Remove && it != current.end()) current.erase(it);
            if (mode != FlagMode::Remove && it == current.end()) current.push_back(f);
        }
        std::sort(current.begin(), current.end());
        return current;
    }

    Result<uint64_t> bump_modseq(int64_t folder) {
        touched_.push_back(folder);
        Stmt up(writer_, "UPDATE folders SET highest_modseq = highest_modseq + 1 WHERE id = ?1 RETURNING highest_modseq");
        up.bind(1, folder);
        if (up.step() != SQLITE_ROW) return up.error();
        return static_cast<uint64_t>(up.i64(0));
    }

    // With unchanged_since, messages with a higher MODSEQ are skipped and listed in modified.
    Result<std::vector<FlagUpdate>> update_flags_locked(int64_t folder, std::span<const uint32_t> uids, FlagMode mode,
                                                        std::span<const std::string> flags,
                                                        std::optional<uint64_t> unchanged_since,
                                                        std::vector<uint32_t>* modified) {
        std::vector<FlagUpdate> out;
        std::vector<uint32_t> sorted(uids.begin(), uids.end());
        std::sort(sorted.begin(), sorted.end());
        for (uint32_t uid : sorted) {
            Stmt get(writer_, "SELECT flags, modseq FROM folder_messages WHERE folder_id = ?1 AND uid = ?2");
            get.bind(1, folder).bind(2, static_cast<int64_t>(uid));
            if (get.step() != SQLITE_ROW) continue;
            if (unchanged_since && static_cast<uint64_t>(get.i64(1)) > *unchanged_since) {
                modified->push_back(uid);
                continue;
            }
            auto before = split_flags(get.text(0));
            std::sort(before.begin(), before.end());
            auto after = apply(before, mode, flags);
            if (after == before) continue;
            auto modseq = bump_modseq(folder);
            if (!modseq) return modseq.error();
            std::string joined;
            for (auto& f : after) joined += (joined.empty() ? "" : " ") + f;
            Stmt put(writer_, "UPDATE folder_messages SET flags = ?1, modseq = ?2 WHERE folder_id = ?3 AND uid = ?4");
            put.bind(1, joined).bind(2, static_cast<int64_t>(*modseq)).bind(3, folder).bind(4, static_cast<int64_t>(uid));
            if (put.step() != SQLITE_DONE) return put.error();
            out.push_back({uid, std::move(after), *modseq});
        }
        return out;
    }

    Result<std::vector<uint32_t>> expunge_locked(int64_t folder, std::optional<std::span<const uint32_t>> uids) {
        Stmt q(writer_, "SELECT uid FROM folder_messages WHERE folder_id = ?1 AND ' ' || flags || ' ' LIKE '% \\Deleted %' "
                        "ORDER BY uid");
        q.bind(1, folder);
        std::vector<uint32_t> gone;
        while (q.step() == SQLITE_ROW) {
            auto uid = static_cast<uint32_t>(q.i64(0));
            if (!uids || std::find(uids->begin(), uids->end(), uid) != uids->end()) gone.push_back(uid);
        }
        if (!gone.empty()) {
            if (auto removed = remove_locked(folder, gone); !removed) return removed.error();
            if (auto dropped = drop_orphans(); !dropped) return dropped.error();
        }
        return gone;
    }

    // Takes uids out of a folder under one new MODSEQ, remembered for QRESYNC's VANISHED.
    Result<Ok> remove_locked(int64_t folder, std::span<const uint32_t> uids) {
        auto modseq = bump_modseq(folder);
        if (!modseq) return modseq.error();
        for (uint32_t uid : uids) {
            Stmt del(writer_, "DELETE FROM folder_messages WHERE folder_id = ?1 AND uid = ?2");
            del.bind(1, folder).bind(2, static_cast<int64_t>(uid));
            if (del.step() != SQLITE_DONE) return del.error();
            Stmt gone(writer_, "INSERT OR REPLACE INTO vanished(folder_id, uid, modseq) VALUES(?1, ?2, ?3)");
            gone.bind(1, folder).bind(2, static_cast<int64_t>(uid)).bind(3, static_cast<int64_t>(*modseq));
            if (gone.step() != SQLITE_DONE) return gone.error();
        }
        return Ok{};
    }

    // Contents no folder holds any more go, and with the last content of a thread its msg-ids: a
    // reply arriving later starts a new thread, as no stored message could tell it from one.
    Result<Ok> drop_orphans() {
        std::vector<int64_t> ids;
        std::vector<std::string> threads;
        Stmt orphans(writer_, "SELECT id, thread_id FROM messages WHERE id NOT IN (SELECT message_id FROM folder_messages) "
                               "AND id NOT IN (SELECT message_id FROM filing_jobs WHERE message_id IS NOT NULL)");
        while (orphans.step() == SQLITE_ROW) {
            ids.push_back(orphans.i64(0));
            if (!orphans.is_null(1)) threads.push_back(orphans.text(1));
        }
        Stmt drop(writer_, "DELETE FROM messages WHERE id = ?1");
        for (int64_t id : ids) {
            drop.reset();
            drop.bind(1, id);
            if (drop.step() != SQLITE_DONE) return drop.error();
        }
        std::sort(threads.begin(), threads.end());
        threads.erase(std::unique(threads.begin(), threads.end()), threads.end());
        Stmt forget(writer_, "DELETE FROM thread_keys WHERE thread_id = ?1 "
                             "AND NOT EXISTS (SELECT 1 FROM messages WHERE thread_id = ?1)");
        for (const auto& thread : threads) {
            forget.reset();
            forget.bind(1, thread);
            if (forget.step() != SQLITE_DONE) return forget.error();
        }
        return Ok{};
    }

    Result<int64_t> find_folder_locked(int64_t account, const std::string& name) {
        Stmt q(writer_, "SELECT id FROM folders WHERE account_id = ?1 AND name = ?2");
        q.bind(1, account).bind(2, name);
        if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no folder {}", name));
        return q.i64(0);
    }

    // Only an account's default folders start subscribed: CREATE subscribes nothing (RFC 3501 6.3.3).
    enum class Subscribe { Yes, No };
    Result<Ok> insert_folder(int64_t account, const std::string& name, std::string_view special_use,
                             Subscribe subscribe = Subscribe::No) {
        auto validity = next_uidvalidity();
        if (!validity) return validity.error();
        Stmt f(writer_, "INSERT INTO folders(account_id, name, special_use, uidvalidity, mailbox_id) "
                        "VALUES(?1, ?2, ?3, ?4, 'F' || lower(hex(randomblob(12))))");
        f.bind(1, account).bind(2, name).bind(3, special_use).bind(4, *validity);
        if (f.step() != SQLITE_DONE) return f.error();
        if (subscribe == Subscribe::No) return Ok{};
        Stmt s(writer_, "INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES(?1, ?2)");
        s.bind(1, account).bind(2, name);
        if (s.step() != SQLITE_DONE) return s.error();
        return Ok{};
    }

    // Subscriptions follow a renamed folder and its children.
    Result<Ok> rename_subscriptions(int64_t account, const std::string& source, const std::string& target) {
        Stmt up(writer_, "UPDATE OR REPLACE subscriptions SET name = ?1 || substr(name, ?2) WHERE account_id = ?3 "
                         "AND (name = ?4 OR substr(name, 1, ?5) = ?6)");
        up.bind(1, target).bind(2, static_cast<int64_t>(source.size() + 1)).bind(3, account).bind(4, source);
        up.bind(5, static_cast<int64_t>(source.size() + 1)).bind(6, source + "/");
        if (up.step() != SQLITE_DONE) return up.error();
        return Ok{};
    }

    // RENAME INBOX: a new folder takes every message (new UIDs there); INBOX stays, empty.
    Result<Ok> move_inbox_to(int64_t account, int64_t inbox, const std::string& target) {
        if (auto made = insert_folder(account, target, ""); !made) return made.error();
        auto to = find_folder_locked(account, target);
        if (!to) return to.error();
        Stmt q(writer_, "SELECT uid, message_id, flags FROM folder_messages WHERE folder_id = ?1 ORDER BY uid");
        q.bind(1, inbox);
        std::vector<uint32_t> uids;
        while (q.step() == SQLITE_ROW) {
            if (auto filed = file_into(*to, q.i64(1), q.text(2)); !filed) return filed.error();
            uids.push_back(static_cast<uint32_t>(q.i64(0)));
        }
        if (uids.empty()) return Ok{};
        return remove_locked(inbox, uids);
    }

    static Result<QuotaUsage> usage_of(sqlite3* db, int64_t account) {
        Stmt q(db, "SELECT COALESCE(SUM(m.size), 0), COUNT(*) FROM folder_messages fm JOIN folders f ON f.id = fm.folder_id "
                   "JOIN messages m ON m.id = fm.message_id WHERE f.account_id = ?1");
        q.bind(1, account);
        if (q.step() != SQLITE_ROW) return q.error();
        return QuotaUsage{static_cast<uint64_t>(q.i64(0)), static_cast<uint64_t>(q.i64(1))};
    }

    uint64_t size_of_locked(int64_t folder, std::span<const uint32_t> uids) {
        uint64_t total = 0;
        for (uint32_t uid : uids) {
            Stmt q(writer_, "SELECT m.size FROM folder_messages fm JOIN messages m ON m.id = fm.message_id "
                            "WHERE fm.folder_id = ?1 AND fm.uid = ?2");
            q.bind(1, folder).bind(2, static_cast<int64_t>(uid));
            if (q.step() == SQLITE_ROW) total += static_cast<uint64_t>(q.i64(0));
        }
        return total;
    }

    // OverQuota when adding messages of octets would pass the mailbox's limits.
    Result<Ok> check_quota_locked(std::string_view address, uint64_t messages, uint64_t octets) {
        Stmt q(writer_, "SELECT id, quota_storage_kib, quota_messages FROM accounts WHERE address = ?1");
        q.bind(1, ascii_lower(address));
        if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
        auto storage = q.optional_u64(1), count = q.optional_u64(2);
        if (!storage && !count) return Ok{};
        auto used = usage_of(writer_, q.i64(0));
        if (!used) return used.error();
        if ((storage && used->storage_octets + octets > *storage * 1024) || (count && used->messages + messages > *count))
            return fail(ErrorKind::OverQuota, fmt::format("{} would exceed its quota", address));
        return Ok{};
    }

    template <class F>
    auto read(F work) -> decltype(work(nullptr)) {
        sqlite3* db = take_reader();
        if (!db) return fail(ErrorKind::Io, fmt::format("{}: cannot open a reader", file_.string()));
        auto r = work(db);
        give_reader(db);
        return r;
    }

    sqlite3* take_reader() {
        {
            std::lock_guard lock(pool_mutex_);
            if (!readers_.empty()) {
                sqlite3* db = readers_.back();
                readers_.pop_back();
                return db;
            }
        }
        auto db = connect(file_, false);
        return db ? db.value() : nullptr;
    }

    void give_reader(sqlite3* db) {
        std::lock_guard lock(pool_mutex_);
        if (readers_.size() < 8) readers_.push_back(db);
        else sqlite3_close(db);
    }

    Status update_account(const char* sql, int64_t value, std::string_view address) {
        std::lock_guard lock(write_mutex_);
        Stmt q(writer_, sql);
        q.bind(1, value).bind(2, ascii_lower(address));
        if (q.step() != SQLITE_DONE) return q.error();
        if (sqlite3_changes(writer_) == 0) return fail(ErrorKind::NotFound, fmt::format("no mailbox {}", address));
        return Ok{};
    }

    // UIDVALIDITY: seconds since the epoch, made strictly increasing by a stored counter.
    Result<int64_t> next_uidvalidity() {
        Stmt get(writer_, "SELECT value FROM counters WHERE name = 'uidvalidity'");
        int64_t last = get.step() == SQLITE_ROW ? get.i64(0) : 0;
        int64_t next = std::max<int64_t>(last + 1, std::time(nullptr)) & 0xffffffff;
        Stmt put(writer_, "INSERT INTO counters(name, value) VALUES('uidvalidity', ?1) "
                          "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
        put.bind(1, next);
        if (put.step() != SQLITE_DONE) return put.error();
        return next;
    }

    Status refuse_duplicate(const std::string& address, const std::optional<std::string>& cert_sha256) {
        Stmt by_address(writer_, "SELECT 1 FROM accounts WHERE address = ?1");
        by_address.bind(1, address);
        if (by_address.step() == SQLITE_ROW) return fail(ErrorKind::Exists, fmt::format("{} already exists", address));
        if (!cert_sha256) return Ok{};
        Stmt by_cert(writer_, "SELECT address FROM accounts WHERE cert_sha256 = ?1");
        by_cert.bind(1, *cert_sha256);
        if (by_cert.step() == SQLITE_ROW)
            return fail(ErrorKind::Exists, fmt::format("this certificate already belongs to {}", by_cert.text(0)));
        return Ok{};
    }

    Result<int64_t> create_locked(const NewAccount& n, const std::string& address) {
        auto cert_sha256 = n.cert_sha256 ? std::optional(ascii_lower(*n.cert_sha256)) : std::nullopt;
        if (auto s = refuse_duplicate(address, cert_sha256); !s) return s.error();
        Stmt ins(writer_, "INSERT INTO accounts(address, kind, ps_idnat, password_hash, cert_sha256, created_at) "
                          "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        ins.bind(1, address).bind(2, to_string(n.kind)).bind(3, n.ps_idnat).bind(4, n.password_hash);
        ins.bind(5, cert_sha256).bind(6, static_cast<int64_t>(std::time(nullptr)));
        if (ins.step() != SQLITE_DONE) return ins.error();
        int64_t id = sqlite3_last_insert_rowid(writer_);
        for (auto [name, use] : {std::pair{"INBOX", ""}, {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},
                                 {"Trash", "\\Trash"}, {"Junk", "\\Junk"}, {"Archive", "\\Archive"}})
            if (auto made = insert_folder(id, name, use, Subscribe::Yes); !made) return made.error();
        return id;
    }

    Result<int64_t> insert_content(std::string_view content, int64_t internal_date) {
        auto thread = thread_of(content);
        if (!thread) return thread.error();
        Stmt m(writer_, "INSERT INTO messages(content, size, internal_date, email_id, thread_id) "
                        "VALUES(?1, ?2, ?3, 'M' || lower(hex(randomblob(12))), ?4)");
        m.bind_blob(1, content).bind(2, static_cast<int64_t>(content.size())).bind(3, internal_date).bind(4, *thread);
        if (m.step() != SQLITE_DONE) return m.error();
        int64_t id = sqlite3_last_insert_rowid(writer_);
        if (auto kept = keep_header(id, content); !kept) return kept.error();
        return id;
    }

    // THREADID (RFC 8474 5.2): the thread of the first msg-id the message names (its References,
    // root first, then its own Message-ID) that a stored message named already, else a new one
    // ('T' and 24 random hex digits); then every msg-id it names is known as that thread's. Ids
    // longer than kMaxThreadKey are not kept.
    Result<std::string> thread_of(std::string_view content) {
        auto keys = thread_keys(content.substr(0, header_block_size(content).value_or(content.size())));
        std::vector<std::string> ids;
        for (auto& id : keys.references)
            if (id.size() <= kMaxThreadKey) ids.push_back(std::move(id));
        if (!keys.message_id.empty() && keys.message_id.size() <= kMaxThreadKey) ids.push_back(keys.message_id);
        std::string thread;
        Stmt find(writer_, "SELECT thread_id FROM thread_keys WHERE msg_id = ?1");
        for (const auto& id : ids) {
            find.reset();
            find.bind(1, id);
            if (find.step() == SQLITE_ROW) {
                thread = find.text(0);
                break;
            }
        }
        if (thread.empty()) {
            Stmt made(writer_, "SELECT 'T' || lower(hex(randomblob(12)))");
            if (made.step() != SQLITE_ROW) return made.error();
            thread = made.text(0);
        }
        Stmt keep(writer_, "INSERT OR IGNORE INTO thread_keys(msg_id, thread_id) VALUES(?1, ?2)");
        for (const auto& id : ids) {
            keep.reset();
            keep.bind(1, id).bind(2, thread);
            if (keep.step() != SQLITE_DONE) return keep.error();
        }
        return thread;
    }

    // The message's header block beside it, for SEARCH; none when it is over kMaxKeptHeader
    // (read_texts then reads the content).
    Result<Ok> keep_header(int64_t message_id, std::string_view content) {
        std::size_t size = header_block_size(content).value_or(content.size());
        if (size > kMaxKeptHeader) return Ok{};
        Stmt h(writer_, "INSERT INTO message_headers(message_id, header) VALUES(?1, ?2)");
        h.bind(1, message_id).bind_blob(2, content.substr(0, size));
        if (h.step() != SQLITE_DONE) return h.error();
        return Ok{};
    }

    // Gives a stored message the folder's next UID, a new MODSEQ and its save date (now).
    Result<uint32_t> file_into(int64_t folder, int64_t message_id, const std::string& flags) {
        touched_.push_back(folder);
        Stmt up(writer_, "UPDATE folders SET uidnext = uidnext + 1, highest_modseq = highest_modseq + 1 "
                         "WHERE id = ?1 RETURNING uidnext - 1, highest_modseq");
        up.bind(1, folder);
        if (up.step() != SQLITE_ROW) return up.error();
        int64_t uid = up.i64(0), modseq = up.i64(1);
        Stmt fm(writer_, "INSERT INTO folder_messages(folder_id, uid, message_id, modseq, flags, saved_at) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, CAST(strftime('%s', 'now') AS INTEGER))");
        fm.bind(1, folder).bind(2, uid).bind(3, message_id).bind(4, modseq).bind(5, flags);
        if (fm.step() != SQLITE_DONE) return fm.error();
        return static_cast<uint32_t>(uid);
    }

    // One delivery, all or nothing, inside the batch's transaction.
    Result<DeliveryOutcome> deliver_in_savepoint(const Delivery& d) {
        if (auto s = exec(writer_, "SAVEPOINT delivery"); !s) return s.error();
        auto r = deliver_one(d);
        exec_quietly(writer_, r ? "RELEASE delivery" : "ROLLBACK TO delivery; RELEASE delivery");
        return r;
    }

    Result<DeliveryOutcome> deliver_one(const Delivery& d) {
        if (auto s = check_delivery(d); !s) return s.error();
        std::string return_path = fmt::format("Return-Path: <{}>\r\n", d.return_path);
        std::optional<int64_t> shared;
        DeliveryOutcome outcome;
        for (std::size_t i = 0; i < d.account_ids.size(); ++i) {
            const RecipientCopy* copy = d.copies.empty() ? nullptr : &d.copies[i];
            auto folder = delivery_folder(d.account_ids[i], copy && copy->quarantine);
            if (!folder) return folder.error();
            auto message_id = copy && !copy->content.empty() ? insert_content(return_path + copy->content, d.internal_date)
                              : shared                        ? Result<int64_t>(*shared)
                                                              : insert_content(return_path + d.content, d.internal_date);
            if (!message_id) return message_id.error();
            if (!copy || copy->content.empty()) shared = *message_id;
            auto uid = file_into(*folder, *message_id, "");
            if (!uid) return uid.error();
            outcome.uids.push_back(*uid);
        }
        if (auto queued = queue_outbound(d); !queued) return queued.error();
        if (auto filed = queue_filing(d, shared, return_path.size()); !filed) return filed.error();
        return outcome;
    }

    // The delivery's filing job (unless its mailbox turned filing off), and the job it finishes.
    // stored: the delivery's shared copy and the length of the Return-Path line put before it.
    Result<Ok> queue_filing(const Delivery& d, std::optional<int64_t> stored, std::size_t return_path_line) {
        if (d.filing) {
            bool refer = d.filing->use_stored_copy && stored;
            if (d.filing->use_stored_copy && !stored)
                return fail(ErrorKind::Invalid, "a filing job refers to a stored copy, but the delivery stores none");
            Stmt q(writer_, "INSERT INTO filing_jobs(submitter, return_path, queue_id, content, created_at, message_id, "
                            "content_offset) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM "
                            "filing_settings s JOIN accounts a ON a.id = s.account_id WHERE a.address = ?1 AND s.enabled = 0)");
            q.bind(1, ascii_lower(d.filing->submitter)).bind(2, d.return_path).bind(3, d.filing->queue_id);
            q.bind_blob(4, refer ? std::string_view("", 0) : std::string_view(d.filing->content)).bind(5, d.internal_date);
            q.bind(6, refer ? std::optional<uint64_t>(static_cast<uint64_t>(*stored)) : std::nullopt);
            q.bind(7, static_cast<int64_t>(refer ? return_path_line : 0));
            if (q.step() != SQLITE_DONE) return q.error();
        }
        if (d.finishes_filing_job) return end_filing_job(d.finishes_filing_job);
        return Ok{};
    }

    // A job removed, and the message it pinned with it when no folder holds that message any more.
    Result<Ok> end_filing_job(int64_t job) {
        Stmt q(writer_, "DELETE FROM filing_jobs WHERE id = ?1 RETURNING message_id");
        q.bind(1, job);
        int rc = q.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.error();
        std::optional<int64_t> pinned;
        if (rc == SQLITE_ROW && !q.is_null(0)) pinned = q.i64(0);
        if (rc == SQLITE_ROW && q.step() != SQLITE_DONE) return q.error();
        if (!pinned) return Ok{};
        Stmt drop(writer_, "DELETE FROM messages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM folder_messages "
                           "WHERE message_id = ?1) AND NOT EXISTS (SELECT 1 FROM filing_jobs WHERE message_id = ?1)");
        drop.bind(1, *pinned);
        if (drop.step() != SQLITE_DONE) return drop.error();
        return Ok{};
    }

    // The remote recipients of a delivery and its further queued messages, due at once, in the
    // delivery's transaction.
    Result<Ok> queue_outbound(const Delivery& d) {
        if (!d.remote_recipients.empty())
            if (auto queued = queue_one({d.queue_id, d.return_path, d.remote_recipients, d.outbound_content, d.ret,
                                         d.envid, d.remote_dsn},
                                        d.internal_date);
                !queued)
                return queued;
        for (const auto& q : d.queued)
            if (auto queued = queue_one({q.queue_id, q.return_path, q.recipients, q.content, q.ret, q.envid, q.dsn},
                                        d.internal_date);
                !queued)
                return queued;
        return Ok{};
    }

    // One queued message's fields, borrowed from a Delivery or a QueuedMessage: the content (up to
    // the message size limit) is not copied on its way to the statement.
    struct QueuedRows {
        std::string_view queue_id;
        std::string_view return_path;
        const std::vector<std::string>& recipients;
        std::string_view content;
        std::string_view ret;
        std::string_view envid;
        const std::vector<RemoteRecipientDsn>& dsn;
    };

    Result<Ok> queue_one(const QueuedRows& q, int64_t created_at) {
        Stmt m(writer_, "INSERT INTO outbound_messages(id, return_path, content, created_at, ret, envid) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        m.bind(1, q.queue_id).bind(2, q.return_path).bind_blob(3, q.content).bind(4, created_at);
        m.bind(5, q.ret).bind(6, q.envid);
        if (m.step() != SQLITE_DONE) return m.error();
        Stmt r(writer_, "INSERT OR IGNORE INTO outbound_recipients(message_id, address, domain, next_attempt, notify, "
                        "orcpt) VALUES(?1, ?2, ?3, 0, ?4, ?5)");
        for (std::size_t i = 0; i < q.recipients.size(); ++i) {
            std::string lower = ascii_lower(q.recipients[i]);
            RemoteRecipientDsn dsn = i < q.dsn.size() ? q.dsn[i] : RemoteRecipientDsn{};
            r.reset().bind(1, q.queue_id).bind(2, lower).bind(3, lower.substr(lower.rfind('@') + 1));
            r.bind(4, dsn.notify).bind(5, dsn.orcpt);
            if (r.step() != SQLITE_DONE) return r.error();
        }
        return Ok{};
    }

    // The INBOX (or for quarantine the \Junk folder) of an enabled mailbox, as the writer sees it
    // inside the batch.
    Result<int64_t> delivery_folder(int64_t account, bool quarantine) {
        Stmt f(writer_, quarantine ? "SELECT f.id, a.disabled FROM folders f JOIN accounts a ON a.id = f.account_id "
                                     "WHERE f.account_id = ?1 AND f.special_use = '\\Junk' ORDER BY f.id LIMIT 1"
                                   : "SELECT f.id, a.disabled FROM folders f JOIN accounts a ON a.id = f.account_id "
                                     "WHERE f.account_id = ?1 AND f.name = 'INBOX'");
        f.bind(1, account);
        if (int rc = f.step(); rc != SQLITE_ROW) {
            if (rc != SQLITE_DONE) return f.error();
            if (quarantine) return delivery_folder(account, false);
            return fail(ErrorKind::NotFound, fmt::format("no mailbox with id {}", account));
        }
        if (f.i64(1) != 0) return fail(ErrorKind::Disabled, fmt::format("mailbox {} is disabled", account));
        return f.i64(0);
    }

    // Durable at COMMIT (synchronous=FULL), or, for what can be forgotten in a power cut and done
    // again, written to the WAL without an fsync: the next FULL commit flushes the WAL with it.
    enum class Flush { AtCommit, WithNextWrite };

    template <class T, class F>
    Result<T> transaction(F work, Flush flush = Flush::AtCommit) {
        std::lock_guard lock(write_mutex_);
        if (auto st = begin_write(flush); !st) return st.error();
        touched_.clear();
        Result<T> out = work();
        if (!out || !exec(writer_, "COMMIT").ok()) {
            exec_quietly(writer_, "ROLLBACK");
            touched_.clear();
            return out ? Result<T>(fail(ErrorKind::Io, "commit failed")) : out;
        }
        announce_touched();
        return out;
    }

    // Every write transaction opens here, under the write lock, in the flush mode it asks for: the
    // connection's synchronous setting follows, and a write that cannot have FULL is not made.
    Status begin_write(Flush flush = Flush::AtCommit) {
        bool full = flush == Flush::AtCommit;
        if (full != full_sync_) {
            if (auto st = exec(writer_, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !st) return st;
            full_sync_ = full;
        }
        return exec(writer_, "BEGIN IMMEDIATE");
    }

    // After a COMMIT, under the write lock: each changed folder once.
    void announce_touched() {
        std::sort(touched_.begin(), touched_.end());
        touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
        for (int64_t folder : touched_) changes().changed(folder);
        touched_.clear();
    }

    // Queued and failed messages with all their recipients, oldest first (`where` on m, binding ?1).
    Result<std::vector<OutboundMessage>> outbound_where(std::string_view where, std::string_view id) {
        return read([&](sqlite3* db) -> Result<std::vector<OutboundMessage>> {
            std::string sql = fmt::format(
                "SELECT m.id, m.return_path, m.created_at, length(m.content), r.address, r.domain, r.state, "
                "r.attempts, r.next_attempt, r.last_error, m.ret, m.envid, r.notify, r.orcpt, r.delay_warned "
                "FROM outbound_messages m JOIN outbound_recipients r "
                "ON r.message_id = m.id {} ORDER BY m.created_at, m.id, r.address", where);
            Stmt q(db, sql.c_str());
            if (!where.empty()) q.bind(1, id);
            std::vector<OutboundMessage> out;
            while (q.step() == SQLITE_ROW) {
                if (out.empty() || out.back().id != q.text(0))
                    out.push_back(outbound_message_of(q.text(0), q.text(1), q.i64(2), q.i64(3), q.text(10), q.text(11)));
                OutboundRecipient& rcpt = out.back().recipients.emplace_back();
                rcpt.address = q.text(4);
                rcpt.domain = q.text(5);
                rcpt.state = q.text(6) == "failed" ? OutboundState::Failed : OutboundState::Queued;
                rcpt.attempts = static_cast<unsigned>(q.i64(7));
                rcpt.next_attempt = q.i64(8);
                rcpt.last_error = q.text(9);
                rcpt.notify = q.text(12);
                rcpt.orcpt = q.text(13);
                rcpt.delay_warned = q.i64(14) != 0;
            }
            return out;
        });
    }

    Result<int64_t> folder_id(std::string_view address, std::string_view folder) {
        auto a = find_account(address);
        if (!a) return a.error();
        std::string name = canonical_folder(folder);
        return read([&](sqlite3* db) -> Result<int64_t> {
            Stmt q(db, "SELECT id FROM folders WHERE account_id = ?1 AND name = ?2");
            q.bind(1, a->id).bind(2, name);
            if (q.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, fmt::format("no folder {}", name));
            return q.i64(0);
        });
    }

    std::filesystem::path file_;
    sqlite3* writer_;
    std::mutex write_mutex_;
    bool full_sync_ = true;         // the writer's synchronous setting, FULL as opened
    std::vector<int64_t> touched_;  // folders changed by the open write transaction
    std::mutex pool_mutex_;
    std::vector<sqlite3*> readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file, SqliteOptions options) {
    if (!options.create && !std::filesystem::exists(file))
        return fail(ErrorKind::NotFound, fmt::format("{} does not exist (run mssctl init)", file.string()));
    auto db = connect(file, options.create);
    if (!db) return db.error();
    auto store = std::make_unique<SqliteStore>(file, db.value());
    if (auto s = store->upgrade_schema(options.create); !s) return s.error();
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace mss::store
