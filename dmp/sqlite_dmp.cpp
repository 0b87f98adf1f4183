// SQLite implementation of the Dmp (DATA/dmp.db, WAL): one connection behind a mutex, short
// transactions (reading traces batched, one fsync for many), SQL a PostgreSQL backend can run. Document bytes sit in their own table so that
// searches read metadata rows only. Trusts its callers to have identified the actor.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <utility>

#include "core/date.h"
#include "core/sqlite.h"
#include "core/unique.h"
#include "dmp/dmp.h"

namespace mss::dmp {
namespace {

// The schema as steps: step i takes PRAGMA user_version from i to i + 1. Append steps, never edit one.
constexpr const char* kSchemaSteps[] = {
    R"SQL(
CREATE TABLE patients (
  ins TEXT PRIMARY KEY, ins_oid TEXT NOT NULL, family TEXT NOT NULL, given TEXT NOT NULL,
  birth_date TEXT NOT NULL, gender TEXT NOT NULL, consent INTEGER NOT NULL, emergency_allowed INTEGER NOT NULL,
  opposed INTEGER NOT NULL, medecin_traitant TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE blocked (ins TEXT NOT NULL, ps_idnat TEXT NOT NULL, since BIGINT NOT NULL, PRIMARY KEY(ins, ps_idnat));
CREATE TABLE care (ins TEXT NOT NULL, ps_idnat TEXT NOT NULL, since BIGINT NOT NULL, PRIMARY KEY(ins, ps_idnat));
CREATE TABLE documents (
  id TEXT PRIMARY KEY, unique_id TEXT NOT NULL UNIQUE, set_id TEXT NOT NULL, version INTEGER NOT NULL,
  patient_ins TEXT NOT NULL,
  type_system TEXT NOT NULL, type_code TEXT NOT NULL, type_display TEXT NOT NULL,
  class_system TEXT NOT NULL, class_code TEXT NOT NULL, class_display TEXT NOT NULL,
  format_system TEXT NOT NULL, format_code TEXT NOT NULL, format_display TEXT NOT NULL,
  setting_system TEXT NOT NULL, setting_code TEXT NOT NULL, setting_display TEXT NOT NULL,
  facility_system TEXT NOT NULL, facility_code TEXT NOT NULL, facility_display TEXT NOT NULL,
  title TEXT NOT NULL, author TEXT NOT NULL, creation_time TEXT NOT NULL, service_start TEXT NOT NULL,
  service_end TEXT NOT NULL, confidentiality TEXT NOT NULL, visibility TEXT NOT NULL, status TEXT NOT NULL,
  content_type TEXT NOT NULL, size BIGINT NOT NULL, sha1 TEXT NOT NULL, replaces TEXT NOT NULL,
  deposited_by TEXT NOT NULL, deposited_at BIGINT NOT NULL);
CREATE INDEX documents_by_patient ON documents(patient_ins, status);
CREATE INDEX documents_by_set ON documents(patient_ins, set_id);
CREATE TABLE contents (id TEXT PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE traces (
  seq INTEGER PRIMARY KEY, at BIGINT NOT NULL, ins TEXT NOT NULL, action TEXT NOT NULL, actor_kind TEXT NOT NULL,
  actor TEXT NOT NULL, document TEXT NOT NULL, detail TEXT NOT NULL, emergency INTEGER NOT NULL);
CREATE INDEX traces_by_ins ON traces(ins, seq);
)SQL",
    // Issue 12: where to tell the patient that a document was filed ('' when nobody is told).
    "ALTER TABLE patients ADD COLUMN notify_address TEXT NOT NULL DEFAULT '';",
    // Each document's submission set as its sender named it (a filing job's queue id, an ITI-65
    // List's masterIdentifier), so that a retried submission recognises its own earlier filing; and
    // ITI-67's usual order (one patient's current documents, latest first) read from an index.
    R"SQL(
ALTER TABLE documents ADD COLUMN submission TEXT NOT NULL DEFAULT '';
CREATE INDEX documents_by_patient_date ON documents(patient_ins, status, deposited_at DESC, id);
)SQL",
    // ITI-66: each ITI-65 SubmissionSet (List) kept with the ids of the documents it filed, written
    // in the deposit's own transaction; a retried submission (same patient, same uniqueId) adds none.
    R"SQL(
CREATE TABLE submission_sets (
  id TEXT PRIMARY KEY, unique_id TEXT NOT NULL, patient_ins TEXT NOT NULL, source_id TEXT NOT NULL,
  date TEXT NOT NULL, title TEXT NOT NULL,
  designation_system TEXT NOT NULL, designation_code TEXT NOT NULL, designation_display TEXT NOT NULL,
  author TEXT NOT NULL, status TEXT NOT NULL, deposited_by TEXT NOT NULL, deposited_at BIGINT NOT NULL,
  UNIQUE (patient_ins, unique_id));
CREATE INDEX submission_sets_by_patient ON submission_sets(patient_ins, deposited_at DESC, id);
CREATE TABLE submission_set_documents (
  set_id TEXT NOT NULL, position INTEGER NOT NULL, document TEXT NOT NULL, PRIMARY KEY (set_id, position));
)SQL",
    // ITI-67's first pass (which documents match, for the access rules) answered from the index
    // alone: the usual order with what the rules read (class, author, visibility), no table lookup.
    R"SQL(
DROP INDEX documents_by_patient_date;
CREATE INDEX documents_summary ON documents(patient_ins, status, deposited_at DESC, id, class_code, author, visibility);
)SQL",
};

constexpr const char* kSubmissionSetColumns =
    "id, unique_id, patient_ins, source_id, date, title, designation_system, designation_code, designation_display, "
    "author, status, deposited_by, deposited_at";

constexpr const char* kDocumentColumns =
    "id, unique_id, set_id, version, patient_ins, type_system, type_code, type_display, class_system, class_code, "
    "class_display, format_system, format_code, format_display, setting_system, setting_code, setting_display, "
    "facility_system, facility_code, facility_display, title, author, creation_time, service_start, service_end, "
    "confidentiality, visibility, status, content_type, size, sha1, replaces, deposited_by, deposited_at";

using sqlite::exec;
using sqlite::Stmt;

void rollback(sqlite3* db) { sqlite::exec_quietly(db, "ROLLBACK"); }

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::string sha1_hex(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha1(), nullptr);
    std::string out;
    for (unsigned int i = 0; i < n; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
}

int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }

SubmissionSet read_submission_set(Stmt& q) {
    SubmissionSet s;
    int c = 0;
    s.id = q.text(c++);
    s.unique_id = q.text(c++);
    s.patient_ins = q.text(c++);
    s.source_id = q.text(c++);
    s.date = q.text(c++);
    s.title = q.text(c++);
    s.designation.system = q.text(c++);
    s.designation.code = q.text(c++);
    s.designation.display = q.text(c++);
    s.author = q.text(c++);
    s.status = q.text(c++);
    s.deposited_by = q.text(c++);
    s.deposited_at = q.i64(c++);
    return s;
}

Document read_document(Stmt& q) {
    Document d;
    int c = 0;
    d.id = q.text(c++);
    d.unique_id = q.text(c++);
    d.set_id = q.text(c++);
    d.version = static_cast<int>(q.i64(c++));
    d.patient_ins = q.text(c++);
    for (Coding* coding : {&d.type, &d.class_code, &d.format, &d.practice_setting, &d.facility_type}) {
        coding->system = q.text(c++);
        coding->code = q.text(c++);
        coding->display = q.text(c++);
    }
    d.title = q.text(c++);
    d.author = q.text(c++);
    d.creation_time = q.text(c++);
    d.service_start = q.text(c++);
    d.service_end = q.text(c++);
    d.confidentiality = q.text(c++);
    d.visibility = split(q.text(c++));
    d.status = q.text(c++);
    d.content_type = q.text(c++);
    d.size = static_cast<uint64_t>(q.i64(c++));
    d.sha1_hex = q.text(c++);
    d.replaces = q.text(c++);
    d.deposited_by = q.text(c++);
    d.deposited_at = q.i64(c++);
    return d;
}

// Identifier values as the store keeps them: "urn:oid:1.2.3" as "1.2.3", a system| prefix dropped.
std::vector<std::string> without_urn_oid(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (auto v : values) {
        if (auto bar = v.find('|'); bar != std::string::npos) v.erase(0, bar + 1);
        if (v.rfind("urn:oid:", 0) == 0) v.erase(0, 8);
        out.push_back(std::move(v));
    }
    return out;
}

Patient read_patient(Stmt& q) {
    Patient p;
    p.ins = q.text(0);
    p.ins_oid = q.text(1);
    p.family = q.text(2);
    p.given = q.text(3);
    p.birth_date = q.text(4);
    p.gender = q.text(5);
    p.consent = q.i64(6) != 0;
    p.emergency_allowed = q.i64(7) != 0;
    p.opposed_to_deposits = q.i64(8) != 0;
    p.medecin_traitant = q.text(9);
    p.created_at = q.i64(10);
    p.notify_address = q.text(11);
    return p;
}

bool same_text(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

// 904 when a trait the sender holds differs from the DMP's.
std::optional<Refusal> traits_differ(const Deposit& d, const Patient& p) {
    auto differs = [](const std::optional<std::string>& sent, const std::string& held) {
        return sent && !sent->empty() && !same_text(*sent, held);
    };
    if (differs(d.family, p.family) || differs(d.given, p.given) || differs(d.birth_date, p.birth_date) ||
        differs(d.gender, p.gender))
        return Refusal{AckCode::TraitsDiffer, "the patient's identity traits differ from the DMP's"};
    return std::nullopt;
}

class SqliteDmp final : public Dmp {
public:
    explicit SqliteDmp(sqlite3* db) : db_(db), stmts_(db) {}
    ~SqliteDmp() override {
        stmts_.clear();
        sqlite3_close_v2(db_);
    }

    Status add_patient(const Patient& p, const Actor& by) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "INSERT INTO patients (ins, ins_oid, family, given, birth_date, gender, consent, emergency_allowed, "
                    "opposed, medecin_traitant, created_at, notify_address) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
        q.bind(1, p.ins).bind(2, p.ins_oid).bind(3, p.family).bind(4, p.given).bind(5, p.birth_date).bind(6, p.gender);
        q.bind(7, int64_t{p.consent}).bind(8, int64_t{p.emergency_allowed}).bind(9, int64_t{p.opposed_to_deposits});
        q.bind(10, p.medecin_traitant).bind(11, now()).bind(12, p.notify_address);
        if (q.step() != SQLITE_DONE) return q.error();
        if (sqlite3_changes(db_) == 0) return fail(ErrorKind::Exists, fmt::format("a DMP exists already for INS {}", p.ins));
        return trace_locked({.ins = p.ins, .action = "create", .actor_kind = to_string(by.kind), .actor = by.id,
                             .detail = p.emergency_allowed ? "consent; emergency access allowed"
                                                           : "consent; emergency access refused"});
    }

    Result<std::optional<Patient>> patient(std::string_view ins) override {
        std::lock_guard lock(mu_);
        return patient_locked(ins);
    }

    Status set_opposition(std::string_view ins, bool opposed, const Actor& by) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "UPDATE patients SET opposed = ? WHERE ins = ?");
        q.bind(1, int64_t{opposed}).bind(2, ins);
        if (q.step() != SQLITE_DONE) return q.error();
        if (sqlite3_changes(db_) == 0) return fail(ErrorKind::NotFound, fmt::format("no DMP for INS {}", ins));
        return trace_locked({.ins = std::string(ins), .action = opposed ? "oppose" : "withdraw-opposition",
                             .actor_kind = to_string(by.kind), .actor = by.id});
    }

    Status set_blocked(std::string_view ins, std::string_view ps, bool block, const Actor& by) override {
        std::lock_guard lock(mu_);
        auto p = patient_locked(ins);
        if (!p) return p.error();
        if (!*p) return fail(ErrorKind::NotFound, fmt::format("no DMP for INS {}", ins));
        if (block && (*p)->medecin_traitant == ps)
            return fail(ErrorKind::Invalid, "the médecin traitant cannot be blocked");
        Stmt q(db_, block ? "INSERT INTO blocked (ins, ps_idnat, since) VALUES (?,?,?) ON CONFLICT DO NOTHING"
                          : "DELETE FROM blocked WHERE ins = ? AND ps_idnat = ?");
        q.bind(1, ins).bind(2, ps);
        if (block) q.bind(3, now());
        if (q.step() != SQLITE_DONE) return q.error();
        return trace_locked({.ins = std::string(ins), .action = block ? "block" : "unblock",
                             .actor_kind = to_string(by.kind), .actor = by.id, .detail = std::string(ps)});
    }

    Result<std::vector<std::string>> blocked(std::string_view ins) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "SELECT ps_idnat FROM blocked WHERE ins = ? ORDER BY ps_idnat");
        q.bind(1, ins);
        std::vector<std::string> out;
        while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
        if (!q.ok()) return q.error();
        return out;
    }

    Status declare_care(std::string_view ins, std::string_view ps, const Actor& by) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "INSERT INTO care (ins, ps_idnat, since) VALUES (?,?,?) ON CONFLICT DO NOTHING");
        q.bind(1, ins).bind(2, ps).bind(3, now());
        if (q.step() != SQLITE_DONE) return q.error();
        if (sqlite3_changes(db_) == 0) return Ok{};
        return trace_locked({.ins = std::string(ins), .action = "declare-care", .actor_kind = to_string(by.kind),
                             .actor = by.id, .detail = "the patient's authorisation declared"});
    }

    Result<bool> has_care(std::string_view ins, std::string_view ps) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "SELECT 1 FROM care WHERE ins = ? AND ps_idnat = ?");
        q.bind(1, ins).bind(2, ps);
        int rc = q.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.error();
        return rc == SQLITE_ROW;
    }

    Result<DepositOutcome> deposit(const std::vector<Deposit>& deposits, const Actor& by) override {
        auto all = deposit_all({Submission{&deposits, by}});
        if (!all) return all.error();
        return std::move(all->front());
    }

    Result<std::vector<DepositOutcome>> deposit_all(const std::vector<Submission>& submissions) override {
        std::lock_guard lock(mu_);
        if (auto s = exec(db_, "BEGIN IMMEDIATE"); !s) return s.error();
        std::vector<DepositOutcome> outcomes;
        for (const auto& submission : submissions) {
            auto one = submission_locked(submission);
            if (!one) {
                rollback(db_);
                return one.error();
            }
            outcomes.push_back(std::move(*one));
        }
        if (auto s = exec(db_, "COMMIT"); !s) {
            rollback(db_);
            return s.error();
        }
        return outcomes;
    }

    Result<std::vector<Document>> find(const DocumentQuery& query) override {
        std::lock_guard lock(mu_);
        Where where = where_of(query);
        Stmt q(db_, fmt::format("SELECT {} FROM documents WHERE {} ORDER BY deposited_at DESC, id", kDocumentColumns,
                                where.sql).c_str());
        where.bind(q);
        std::vector<Document> out;
        while (q.step() == SQLITE_ROW) out.push_back(read_document(q));
        if (!q.ok()) return q.error();
        return out;
    }

    Result<std::vector<DocumentSummary>> find_summaries(const DocumentQuery& query) override {
        std::lock_guard lock(mu_);
        Where where = where_of(query);
        Stmt q(db_, fmt::format("SELECT id, class_code, author, visibility FROM documents WHERE {} "
                                "ORDER BY deposited_at DESC, id", where.sql).c_str());
        where.bind(q);
        std::vector<DocumentSummary> out;
        while (q.step() == SQLITE_ROW) {
            auto visibility = q.text(3);
            out.push_back({q.text(0), q.text(1), q.text(2), visibility.empty() ? std::vector<std::string>{} : split(visibility)});
        }
        if (!q.ok()) return q.error();
        return out;
    }

    Result<std::optional<Document>> document(std::string_view id) override {
        std::lock_guard lock(mu_);
        return document_where_locked("id = ?", id);
    }

    Result<std::vector<Document>> documents(const std::vector<std::string>& ids) override {
        std::lock_guard lock(mu_);
        if (ids.empty()) return std::vector<Document>{};
        std::string marks;
        for (std::size_t i = 0; i < ids.size(); ++i) marks += i ? ",?" : "?";
        Stmt q(db_, fmt::format("SELECT {} FROM documents WHERE id IN ({})", kDocumentColumns, marks).c_str());
        for (std::size_t i = 0; i < ids.size(); ++i) q.bind(static_cast<int>(i + 1), ids[i]);
        std::vector<Document> found;
        while (q.step() == SQLITE_ROW) found.push_back(read_document(q));
        if (!q.ok()) return q.error();
        std::vector<Document> ordered;
        for (const auto& id : ids)
            for (auto& d : found)
                if (d.id == id) ordered.push_back(std::move(d));
        return ordered;
    }

    Result<std::optional<std::string>> content(std::string_view id) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "SELECT bytes FROM contents WHERE id = ?");
        q.bind(1, id);
        int rc = q.step();
        if (rc == SQLITE_DONE) return std::optional<std::string>{};
        if (rc != SQLITE_ROW) return q.error();
        return std::optional<std::string>{q.blob(0)};
    }

    Result<std::vector<SubmissionSet>> find_lists(const ListQuery& query) override {
        std::lock_guard lock(mu_);
        Where w{"patient_ins = ?", {query.ins}};
        w.any_of("status", query.statuses);
        w.any_of("source_id", without_urn_oid(query.source_ids));
        w.any_of("unique_id", without_urn_oid(query.identifiers));
        w.any_coding("designation", query.designation_types);
        w.bound("date", query.date_from, ">=");
        w.bound("date", query.date_to, "<=");
        Stmt q(db_, fmt::format("SELECT {} FROM submission_sets WHERE {} ORDER BY deposited_at DESC, id",
                                kSubmissionSetColumns, w.sql).c_str());
        w.bind(q);
        std::vector<SubmissionSet> out;
        while (q.step() == SQLITE_ROW) out.push_back(read_submission_set(q));
        if (!q.ok()) return q.error();
        Stmt d(db_, "SELECT document FROM submission_set_documents WHERE set_id = ? ORDER BY position");
        for (auto& set : out) {
            d.reset().bind(1, set.id);
            while (d.step() == SQLITE_ROW) set.documents.push_back(d.text(0));
            if (!d.ok()) return d.error();
        }
        return out;
    }

    Result<ChangeOutcome> set_visibility(std::string_view id, const std::vector<std::string>& labels,
                                         const Actor& by) override {
        std::lock_guard lock(mu_);
        auto d = changeable(id, by);
        if (!d) return d.error();
        if (std::holds_alternative<Refusal>(*d)) return *d;
        Document doc = std::get<Document>(*d);
        bool was_masked = doc.has_visibility(kMasquePs);
        doc.visibility = labels;
        Stmt q(db_, "UPDATE documents SET visibility = ? WHERE id = ?");
        q.bind(1, join(labels)).bind(2, id);
        if (q.step() != SQLITE_DONE) return q.error();
        bool masked = doc.has_visibility(kMasquePs);
        auto action = masked && !was_masked ? "mask" : (!masked && was_masked ? "unmask" : "visibility");
        if (auto s = trace_locked({.ins = doc.patient_ins, .action = action, .actor_kind = to_string(by.kind),
                                   .actor = by.id, .document = doc.id, .detail = join(labels)});
            !s)
            return s.error();
        return ChangeOutcome{doc};
    }

    Result<ChangeOutcome> supersede(std::string_view id, const Actor& by) override {
        std::lock_guard lock(mu_);
        auto d = changeable(id, by);
        if (!d) return d.error();
        if (std::holds_alternative<Refusal>(*d)) return *d;
        Document doc = std::get<Document>(*d);
        doc.status = "superseded";
        Stmt q(db_, "UPDATE documents SET status = 'superseded' WHERE id = ?");
        q.bind(1, id);
        if (q.step() != SQLITE_DONE) return q.error();
        if (auto s = trace_locked({.ins = doc.patient_ins, .action = "delete", .actor_kind = to_string(by.kind),
                                   .actor = by.id, .document = doc.id});
            !s)
            return s.error();
        return ChangeOutcome{doc};
    }

    // The traces of reading (searches, reads, refusals) are durable before the caller answers: the
    // DMP's duty is that nothing is disclosed untraced. Concurrent readers share one commit and its
    // fsync: a caller finding no batch being written writes every trace queued so far in one
    // transaction; the others wait for the batch holding theirs.
    Status trace(const Trace& t) override {
        std::unique_lock lock(batch_mu_);
        auto mine = open_batch_;
        mine->traces.push_back(t);
        while (!mine->done) {
            if (writing_) {
                batch_written_.wait(lock);
                continue;
            }
            writing_ = true;
            auto batch = std::exchange(open_batch_, std::make_shared<TraceBatch>());
            lock.unlock();
            Status written = write_batch(batch->traces);
            lock.lock();
            batch->result = std::move(written);
            batch->done = true;
            writing_ = false;
            batch_written_.notify_all();
        }
        return mine->result;
    }

    Result<std::vector<Trace>> traces(std::string_view ins) override {
        std::lock_guard lock(mu_);
        Stmt q(db_, "SELECT at, ins, action, actor_kind, actor, document, detail, emergency FROM traces "
                    "WHERE ins = ? ORDER BY seq");
        q.bind(1, ins);
        std::vector<Trace> out;
        while (q.step() == SQLITE_ROW)
            out.push_back({.at = q.i64(0), .ins = q.text(1), .action = q.text(2), .actor_kind = q.text(3),
                           .actor = q.text(4), .document = q.text(5), .detail = q.text(6), .emergency = q.i64(7) != 0});
        if (!q.ok()) return q.error();
        return out;
    }

private:
    // One submission inside the open transaction, under a savepoint: all its documents, or none and
    // the refusal of the first that could not be (traced).
    Result<DepositOutcome> submission_locked(const Submission& submission) {
        if (auto s = exec(db_, "SAVEPOINT submission"); !s) return s.error();
        std::vector<DepositReceipt> receipts;
        for (const auto& d : *submission.deposits) {
            auto one = deposit_locked(d, submission.by);
            if (one && std::holds_alternative<DepositReceipt>(*one)) {
                receipts.push_back(std::get<DepositReceipt>(*one));
                continue;
            }
            sqlite::exec_quietly(db_, "ROLLBACK TO submission; RELEASE submission");
            if (!one) return one.error();
            const auto& refusal = std::get<Refusal>(*one);
            if (auto s = trace_locked({.ins = d.document.patient_ins, .action = "deposit-refused",
                                       .actor_kind = to_string(submission.by.kind), .actor = submission.by.id,
                                       .detail = fmt::format("{} {}: {}", d.document.unique_id,
                                                             static_cast<int>(refusal.ack), refusal.message)});
                !s)
                return s.error();
            return DepositOutcome{refusal};
        }
        if (submission.set && !receipts.empty()) {
            if (auto s = keep_submission_set(*submission.set, submission.deposits->front().document.patient_ins,
                                             receipts, submission.by);
                !s) {
                sqlite::exec_quietly(db_, "ROLLBACK TO submission; RELEASE submission");
                return s.error();
            }
        }
        if (auto s = exec(db_, "RELEASE submission"); !s) return s.error();
        return DepositOutcome{std::move(receipts)};
    }

    // The SubmissionSet and the ids of the documents it filed, unless the same patient's set of
    // this uniqueId is kept already (a retried submission).
    Status keep_submission_set(const SubmissionSet& set, const std::string& ins,
                               const std::vector<DepositReceipt>& receipts, const Actor& by) {
        SubmissionSet kept = set;
        kept.id = random_hex(16);
        if (kept.unique_id.empty()) kept.unique_id = kept.id;
        kept.deposited_at = now();
        if (kept.date.empty()) kept.date = utc_instant(kept.deposited_at);  // FHIR dateTime
        auto q = stmts_(fmt::format("INSERT INTO submission_sets ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO "
                                    "NOTHING", kSubmissionSetColumns));
        int c = 0;
        for (const std::string* v : std::initializer_list<const std::string*>{&kept.id, &kept.unique_id, &ins, &kept.source_id, &kept.date, &kept.title,
                                     &kept.designation.system, &kept.designation.code, &kept.designation.display,
                                     &kept.author})
            q->bind(++c, *v);
        q->bind(++c, kept.status);
        q->bind(++c, by.id);
        q->bind(++c, kept.deposited_at);
        if (q->step() != SQLITE_DONE) return q->error();
        if (sqlite3_changes(db_) == 0) return Ok{};
        auto d = stmts_("INSERT INTO submission_set_documents (set_id, position, document) VALUES (?,?,?)");
        for (std::size_t i = 0; i < receipts.size(); ++i) {
            d->reset().bind(1, kept.id).bind(2, static_cast<int64_t>(i)).bind(3, receipts[i].id);
            if (d->step() != SQLITE_DONE) return d->error();
        }
        return Ok{};
    }

    Result<std::variant<DepositReceipt, Refusal>> deposit_locked(const Deposit& d, const Actor& by) {
        using One = std::variant<DepositReceipt, Refusal>;
        const Document& doc = d.document;
        auto p = patient_locked(doc.patient_ins);
        if (!p) return p.error();
        if (auto refused = patient_refuses(*p, d)) return One{*refused};
        auto same = document_where_locked("unique_id = ?", doc.unique_id);
        if (!same) return same.error();
        if (*same) {
            if ((*same)->patient_ins != doc.patient_ins)
                return One{Refusal{AckCode::Other, "this document id is filed for another patient"}};
            return One{DepositReceipt{.id = (*same)->id, .duplicate = true,
                                      .same_submission = !d.submission.empty() && (*same)->deposited_by == by.id &&
                                                         submission_of_locked((*same)->id) == d.submission}};
        }
        auto target = replaced_document(d);
        if (!target) return target.error();
        if (auto* refusal = std::get_if<Refusal>(&*target)) return One{*refusal};
        const auto& replaced = std::get<std::optional<Document>>(*target);

        Document stored = doc;
        stored.id = random_hex(16);
        stored.status = "current";
        stored.size = d.content.size();
        stored.sha1_hex = sha1_hex(d.content);
        stored.deposited_by = by.id;
        stored.deposited_at = now();
        if (replaced) {
            stored.replaces = replaced->id;
            if (stored.set_id.empty()) stored.set_id = replaced->set_id;
        }
        if (auto s = insert_locked(stored, d.submission, d.content, replaced ? replaced->id : std::string(), by); !s)
            return s.error();
        return One{DepositReceipt{.id = stored.id, .superseded = replaced ? replaced->id : ""}};
    }

    std::string submission_of_locked(const std::string& id) {
        auto q = stmts_("SELECT submission FROM documents WHERE id = ?");
        q->bind(1, id);
        return q->step() == SQLITE_ROW ? q->text(0) : std::string();
    }

    static std::optional<Refusal> patient_refuses(const std::optional<Patient>& p, const Deposit& d) {
        if (!p) return Refusal{AckCode::NoDmp, fmt::format("no DMP for INS {}", d.document.patient_ins)};
        if (!p->consent) return Refusal{AckCode::NoDmp, "the patient did not consent to a DMP"};
        if (p->opposed_to_deposits) return Refusal{AckCode::NoDmp, "the patient opposed deposits"};
        return traits_differ(d, *p);
    }

    // The current version this deposit replaces (relatesTo, or the same setId), checked: 900 when it
    // is not current or the version does not follow, 901 when its author is someone else.
    Result<std::variant<std::optional<Document>, Refusal>> replaced_document(const Deposit& d) {
        using Found = std::variant<std::optional<Document>, Refusal>;
        const Document& doc = d.document;
        Result<std::optional<Document>> target = std::optional<Document>{};
        if (!d.replaces_ref.empty()) {
            target = document_where_locked("(id = ? OR unique_id = ?1) AND patient_ins = ?2", d.replaces_ref,
                                           doc.patient_ins);
            if (!target) return target.error();
            if (!*target) return Found{Refusal{AckCode::WrongVersion, "the document to replace is unknown"}};
        } else if (!doc.set_id.empty()) {
            target = document_where_locked("set_id = ? AND patient_ins = ?2 AND status = 'current'", doc.set_id,
                                           doc.patient_ins);
            if (!target) return target.error();
        }
        if (!*target) return Found{std::optional<Document>{}};
        const Document& old = **target;
        if (old.status != "current")
            return Found{Refusal{AckCode::WrongVersion, "the document to replace is not the current version"}};
        if (old.author != doc.author)
            return Found{Refusal{AckCode::NotTheAuthor, "only the author of a document may replace it"}};
        if (!doc.set_id.empty() && doc.set_id == old.set_id && doc.version <= old.version)
            return Found{Refusal{AckCode::WrongVersion,
                                 fmt::format("version {} does not follow the current version {}", doc.version,
                                             old.version)}};
        return Found{*target};
    }

    // The document, if the actor may change its metadata: its author, or the operator (the patient's side).
    Result<ChangeOutcome> changeable(std::string_view id, const Actor& by) {
        auto d = document_where_locked("id = ?", id);
        if (!d) return d.error();
        if (!*d) return ChangeOutcome{Refusal{AckCode::Other, "no such document"}};
        if (by.kind != Actor::Kind::Operator && by.id != (*d)->author)
            return ChangeOutcome{Refusal{AckCode::NotTheAuthor, "only the author may change this document"}};
        return ChangeOutcome{**d};
    }

    // The document row with the submission that filed it ('' when not named), its content, the version
    // it supersedes, and the deposit's trace.
    Status insert_locked(const Document& s, const std::string& submission, const std::string& content,
                         const std::string& superseded, const Actor& by) {
        auto q = stmts_(fmt::format("INSERT INTO documents ({}, submission) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                                "?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                kDocumentColumns));
        int c = 0;
        auto next = [&c] { return ++c; };
        for (std::string_view v : {std::string_view(s.id), std::string_view(s.unique_id), std::string_view(s.set_id)})
            q->bind(next(), v);
        q->bind(next(), int64_t{s.version});
        q->bind(next(), s.patient_ins);
        for (const Coding* coding : {&s.type, &s.class_code, &s.format, &s.practice_setting, &s.facility_type})
            for (const std::string* v : {&coding->system, &coding->code, &coding->display}) q->bind(next(), *v);
        const std::string visibility = join(s.visibility);
        for (const std::string* v : {&s.title, &s.author, &s.creation_time, &s.service_start, &s.service_end,
                                     &s.confidentiality, &visibility, &s.status, &s.content_type})
            q->bind(next(), *v);
        q->bind(next(), static_cast<int64_t>(s.size));
        for (const std::string* v : {&s.sha1_hex, &s.replaces, &s.deposited_by}) q->bind(next(), *v);
        q->bind(next(), s.deposited_at);
        q->bind(next(), submission);
        if (q->step() != SQLITE_DONE) return q->error();
        auto b = stmts_("INSERT INTO contents (id, bytes) VALUES (?, ?)");
        b->bind(1, s.id).bind_blob(2, content);
        if (b->step() != SQLITE_DONE) return b->error();
        if (!superseded.empty()) {
            Stmt u(db_, "UPDATE documents SET status = 'superseded' WHERE id = ?");
            u.bind(1, superseded);
            if (u.step() != SQLITE_DONE) return u.error();
        }
        return trace_locked({.ins = s.patient_ins, .action = "deposit", .actor_kind = to_string(by.kind), .actor = by.id,
                             .document = s.id,
                             .detail = superseded.empty() ? s.unique_id : fmt::format("{} replaces {}", s.unique_id, superseded)});
    }

    Result<std::optional<Patient>> patient_locked(std::string_view ins) {
        auto q = stmts_("SELECT ins, ins_oid, family, given, birth_date, gender, consent, emergency_allowed, opposed, "
                        "medecin_traitant, created_at, notify_address FROM patients WHERE ins = ?");
        q->bind(1, ins);
        int rc = q->step();
        if (rc == SQLITE_DONE) return std::optional<Patient>{};
        if (rc != SQLITE_ROW) return q->error();
        return std::optional<Patient>{read_patient(*q)};
    }

    Result<std::optional<Document>> document_where_locked(const char* where, std::string_view a,
                                                          std::string_view b = {}) {
        auto q = stmts_(fmt::format("SELECT {} FROM documents WHERE {}", kDocumentColumns, where));
        q->bind(1, a);
        if (!b.empty()) q->bind(2, b);
        int rc = q->step();
        if (rc == SQLITE_DONE) return std::optional<Document>{};
        if (rc != SQLITE_ROW) return q->error();
        return std::optional<Document>{read_document(*q)};
    }

    struct TraceBatch {
        std::vector<Trace> traces;
        bool done = false;
        Status result = Ok{};
    };

    // One transaction, one fsync (synchronous=FULL) for the whole batch; nothing of it on failure.
    Status write_batch(const std::vector<Trace>& traces) {
        std::lock_guard lock(mu_);
        if (auto s = exec(db_, "BEGIN IMMEDIATE"); !s) return s;
        for (const auto& t : traces) {
            if (auto s = trace_locked(t); !s) {
                (void)exec(db_, "ROLLBACK");
                return s;
            }
        }
        if (auto s = exec(db_, "COMMIT"); !s) {
            (void)exec(db_, "ROLLBACK");
            return s;
        }
        return Ok{};
    }

    Status trace_locked(const Trace& t) {
        auto q = stmts_("INSERT INTO traces (at, ins, action, actor_kind, actor, document, detail, emergency) "
                        "VALUES (?,?,?,?,?,?,?,?)");
        q->bind(1, t.at ? t.at : now()).bind(2, t.ins).bind(3, t.action).bind(4, t.actor_kind).bind(5, t.actor);
        q->bind(6, t.document).bind(7, t.detail).bind(8, int64_t{t.emergency});
        if (q->step() != SQLITE_DONE) return q->error();
        return Ok{};
    }

    // A search as SQL: every criterion a conjunction, the values of one criterion alternatives.
    struct Where {
        std::string sql;
        std::vector<std::string> values;
        void bind(Stmt& q) const {
            for (std::size_t i = 0; i < values.size(); ++i) q.bind(static_cast<int>(i + 1), values[i]);
        }
        void any_of(const std::string& column, const std::vector<std::string>& wanted) {
            if (wanted.empty()) return;
            std::string alternatives;
            for (const auto& w : wanted) {
                alternatives += alternatives.empty() ? "" : " OR ";
                alternatives += column + " = ?";
                values.push_back(w);
            }
            sql += " AND (" + alternatives + ")";
        }
        // token "code" or "system|code"; a system given as urn:oid:X matches the stored OID X.
        void any_coding(const std::string& prefix, const std::vector<std::string>& wanted) {
            if (wanted.empty()) return;
            std::string alternatives;
            for (const auto& w : wanted) {
                alternatives += alternatives.empty() ? "" : " OR ";
                auto bar = w.find('|');
                values.push_back(bar == std::string::npos ? w : w.substr(bar + 1));
                if (bar == std::string::npos || bar == 0) {
                    alternatives += prefix + "_code = ?";
                    continue;
                }
                auto system = w.substr(0, bar);
                alternatives += "(" + prefix + "_code = ? AND " + prefix + "_system = ?)";
                values.push_back(system.rfind("urn:oid:", 0) == 0 ? system.substr(8) : system);
            }
            sql += " AND (" + alternatives + ")";
        }
        // Dates compare as ISO 8601 text at the bound's own precision.
        void bound(const std::string& column, const std::optional<std::string>& value, const char* op) {
            if (!value) return;
            sql += fmt::format(" AND substr({}, 1, {}) {} ?", column, value->size(), op);
            values.push_back(*value);
        }
    };

    static Where where_of(const DocumentQuery& q) {
        Where w{"patient_ins = ?", {q.ins}};
        w.any_of("status", q.statuses);
        w.any_of("author", q.authors);
        w.any_coding("type", q.types);
        w.any_coding("class", q.classes);
        w.any_coding("format", q.formats);
        w.any_coding("setting", q.settings);
        w.any_coding("facility", q.facilities);
        if (!q.security_labels.empty()) {
            std::string alternatives;
            for (const auto& l : q.security_labels) {
                auto code = l.substr(l.find('|') == std::string::npos ? 0 : l.find('|') + 1);
                alternatives += alternatives.empty() ? "" : " OR ";
                alternatives += "confidentiality = ? OR (' ' || visibility || ' ') LIKE ?";
                w.values.push_back(code);
                w.values.push_back("% " + code + " %");
            }
            w.sql += " AND (" + alternatives + ")";
        }
        w.bound("service_start", q.date_from, ">=");
        w.bound("service_start", q.date_to, "<=");
        w.bound("creation_time", q.creation_from, ">=");
        w.bound("creation_time", q.creation_to, "<=");
        if (q.relates_to) w.any_of("replaces", {*q.relates_to});
        if (q.unique_id) w.any_of("unique_id", {*q.unique_id});
        return w;
    }

    std::mutex mu_;
    sqlite3* db_;
    sqlite::StmtCache stmts_;  // the deposit's and the traces' statements, under mu_
    std::mutex batch_mu_;  // guards what follows
    std::condition_variable batch_written_;
    std::shared_ptr<TraceBatch> open_batch_ = std::make_shared<TraceBatch>();
    bool writing_ = false;
};

Status migrate(sqlite3* db) {
    if (auto s = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000"); !s) return s;
    return sqlite::upgrade_schema(db, kSchemaSteps, "dmp.db");
}

}  // namespace

Result<std::unique_ptr<Dmp>> open_sqlite_dmp(const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string why = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close_v2(db);
        return fail(ErrorKind::Io, fmt::format("{}: {}", file.string(), why));
    }
    if (auto s = migrate(db); !s) {
        sqlite3_close_v2(db);
        return fail(s.error().kind, fmt::format("{}: {}", file.string(), s.error().message));
    }
    return std::unique_ptr<Dmp>(std::make_unique<SqliteDmp>(db));
}

}  // namespace mss::dmp
