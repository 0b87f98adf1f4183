// The national directory as this server holds it: mailboxes (Extraction_Correspondance_MSSante),
// professional activities (PS_LibreAcces_Personne_activite) and the operators' whitelist, replaced
// by imports and read by the recipient policy, mssctl and, later, the FHIR and LDAP front ends.
// An interface, so a PostgreSQL backend can sit beside SQLite. Trusts its callers' checked entries.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "directory/entries.h"
#include "directory/extraction.h"
#include "directory/whitelist.h"

namespace mss::directory {

struct ImportCounts {
    uint64_t added = 0, changed = 0, withdrawn = 0, unchanged = 0;
};

// The last import of one kind of file: "correspondance", "personne-activite" or "whitelist".
struct ImportRecord {
    std::string kind;
    std::string source;       // the file's name as given to the import
    int64_t imported_at = 0;  // unix seconds
    uint64_t rows = 0, bad_rows = 0;
    ImportCounts counts;
};

struct DirectoryStatus {
    std::vector<ImportRecord> imports;  // one per kind ever imported
    uint64_t mailboxes = 0, activities = 0, whitelist_entries = 0, whitelisted_domains = 0;
    uint64_t pending_mailbox_changes = 0;  // not yet acknowledged by a feed
};

// A mailbox whose published form may differ from what a feed (LDAP) last sent: added, changed or
// withdrawn by an import, or its certificate changed. seq grows with each change; an address
// changed again takes a new seq.
struct MailboxChange {
    uint64_t seq = 0;
    std::string address;
};

// Mailboxes matching every criterion given (none given: all), ordered by address, one page of them.
// Text criteria compare without ASCII case: name matches the start of the family or given name,
// address and profession (code or label) a part of it.
struct SearchQuery {
    std::optional<std::string> ps_idnat, name, family, given, address, postcode, profession, structure_id;
    bool include_liste_rouge = true;  // false for anything published
    std::size_t offset = 0;
    std::size_t limit = 50;
};

// What the FHIR look-ups ask of published entries: a mailbox on the liste rouge is never one, nor
// anything known only through such a mailbox. Each list means "any of these"; lists given together
// must all hold on one source row (an activity or a mailbox). Text compares without ASCII case.
struct PublishedQuery {
    std::vector<std::string> ids;            // Practitioner: PS_IdNat; Organization: structure id, FINESS or SIRET
    std::vector<std::string> family, given;  // start of the name (FHIR's string search)
    std::vector<std::string> name;           // start of the family or given name (Organization: part of its name)
    std::vector<std::string> mailboxes;      // whole addresses (lower case)
    std::vector<std::string> mailbox_parts;  // parts of addresses (lower case)
    std::vector<MailboxType> mailbox_types;
    std::vector<std::string> postcodes;
    std::vector<std::string> practitioners, organizations;  // roles only: PS_IdNat, structure id
    std::size_t offset = 0;
    std::size_t limit = 50;

    bool asks_mailbox() const { return !mailboxes.empty() || !mailbox_parts.empty() || !mailbox_types.empty(); }
};

// One page of a published search, with the number of matches in all.
template <class T>
struct Page {
    std::vector<T> items;
    uint64_t total = 0;
};

// One import of one kind of extraction: the entries are staged, then commit works out what was
// added, changed and withdrawn since the last import of that kind and applies it as one
// transaction. Destroyed without commit: nothing changed. Not thread-safe; one import at a time.
class ImportSession {
public:
    virtual ~ImportSession() = default;
    // false: the entry's key (mailbox address; activity key) was staged already by an earlier row.
    virtual Result<bool> add(const MailboxEntry& entry) = 0;
    virtual Result<bool> add(const ActivityEntry& entry) = 0;
    virtual Result<ImportCounts> commit(std::string_view source, uint64_t rows, uint64_t bad_rows) = 0;
};

class Directory {
public:
    virtual ~Directory() = default;

    virtual Result<std::unique_ptr<ImportSession>> begin_import(ExtractionKind kind) = 0;
    // Replaces the whole whitelist in one transaction.
    virtual Result<ImportCounts> replace_whitelist(std::span<const WhitelistEntry> entries, std::string_view source) = 0;

    virtual Result<std::optional<MailboxEntry>> find_mailbox(std::string_view address) = 0;  // lower case
    virtual Result<bool> domain_whitelisted(std::string_view domain) = 0;                     // lower case
    virtual Result<std::vector<WhitelistEntry>> whitelist_entries(std::string_view domain) = 0;
    // Every operator DN the whitelist lists, each once (for a peer sending with the null sender).
    virtual Result<std::vector<std::string>> operator_dns() = 0;
    virtual Result<std::vector<MailboxEntry>> search(const SearchQuery& query) = 0;
    virtual Result<std::vector<ActivityEntry>> activities(std::string_view ps_idnat) = 0;
    virtual Result<DirectoryStatus> status() = 0;

    // FHIR look-ups (directory/fhir): ordered ids of practitioners (PS_IdNat) and organisations
    // (structure id), professional activities (PractitionerRole), and what one structure holds.
    virtual Result<Page<std::string>> practitioner_ids(const PublishedQuery& query) = 0;
    virtual Result<Page<std::string>> organization_ids(const PublishedQuery& query) = 0;
    virtual Result<Page<ActivityEntry>> roles(const PublishedQuery& query) = 0;
    virtual Result<std::vector<ActivityEntry>> structure_activities(std::string_view structure_id, std::size_t limit) = 0;

    // The operator's liste rouge: kept beside the imported rows, so it survives every re-import; a
    // marked address is never published, whatever the extraction says.
    virtual Status set_liste_rouge(std::string_view address, bool on) = 0;  // lower case
    // The change set for feeds, bounded by the number of addresses: read in pages by seq, then
    // acknowledged once sent. A feed that never acknowledges loses nothing; one that sends twice
    // converges, since what is sent is the mailbox as it is now.
    virtual Result<std::vector<MailboxChange>> mailbox_changes(uint64_t after_seq, std::size_t limit) = 0;
    virtual Status acknowledge_mailbox_changes(uint64_t up_to_seq) = 0;
    virtual Status note_mailbox_change(std::string_view address) = 0;  // lower case
    // Every mailbox (liste rouge too: the visitor decides), by address, from one snapshot; answers
    // the last change seq that snapshot holds, for a full load to acknowledge. The visitor's error stops it.
    virtual Result<uint64_t> each_mailbox(const std::function<Status(const MailboxEntry&)>& visit) = 0;
};

struct DirectoryOptions {
    bool read_only = false;  // look-ups only (mssd); the file and schema are created if missing
};

// SQLite in WAL mode (DATA/directory.db): readers keep the directory they started with while an
// import writes, and see the new one at their next look-up. Thread-safe.
Result<std::unique_ptr<Directory>> open_sqlite_directory(const std::filesystem::path& file,
                                                         DirectoryOptions options = {});

}  // namespace mss::directory
