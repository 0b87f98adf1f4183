// The mail store: accounts (the three kinds of MSSanté mailbox), their folders, messages, flags,
// UIDs/UIDVALIDITY/MODSEQ and ACLs. An interface, so a PostgreSQL backend can sit beside SQLite.
// Trusts its callers for authorisation decisions; validates only the integrity of what it stores.
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
#include "store/notifier.h"
#include "store/filing.h"
#include "store/outbound.h"

namespace mss::store {

// TRE-R257-TypeBAL: PER personal, ORG organisational, APP applicative (technical).
enum class MailboxKind { Personal, Organisational, Applicative };

std::string_view to_string(MailboxKind kind);              // "personal" | "organisational" | "applicative"
std::optional<MailboxKind> mailbox_kind_from(std::string_view text);

struct NewAccount {
    std::string address;                     // lower-cased by the store
    MailboxKind kind = MailboxKind::Personal;
    std::optional<std::string> ps_idnat;     // 8 + RPPS, or 0 + ADELI, for personal mailboxes
    std::optional<std::string> password_hash;  // encoded by crypto/password; never for applicative
    std::optional<std::string> cert_sha256;  // lower-case hex SHA-256 of the DER client certificate
};

struct Account {
    int64_t id = 0;
    std::string address;
    MailboxKind kind = MailboxKind::Personal;
    std::optional<std::string> ps_idnat;
    std::optional<std::string> password_hash;
    std::optional<std::string> cert_sha256;
    bool disabled = false;
    int64_t created_at = 0;  // unix seconds
};

// A member of an organisational mailbox and the RFC 4314 rights letters it holds there
// (plus the site-defined right "0" of RFC 4314 section 2.1: may send as the mailbox).
struct Member {
    std::string address;
    std::string rights;
};

// An organisational mailbox the signed-in member belongs to, with the rights it holds there.
struct Membership {
    std::string org_address;
    std::string rights;
};

// RFC 9208 limits of a mailbox (all its folders together); nullopt: no limit on that resource.
struct Quota {
    std::optional<uint64_t> storage_kib;
    std::optional<uint64_t> messages;
    bool operator==(const Quota&) const = default;
};

struct QuotaUsage {
    uint64_t storage_octets = 0;  // sum of RFC822.SIZE over every folder
    uint64_t messages = 0;
};

struct Folder {
    int64_t id = 0;
    std::string name;          // "INBOX", "Sent", ... (UTF-8; hierarchy separator '/')
    std::string special_use;   // "", "\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    uint64_t highest_modseq = 1;
    uint32_t recent_from = 1;  // UIDs from here on are \Recent for the next session to claim them
    std::string mailbox_id;    // OBJECTID (RFC 8474): kept by RENAME, never reused
};

struct MessageSummary {
    uint32_t uid = 0;
    uint64_t size = 0;          // octets of the stored message
    int64_t internal_date = 0;  // unix seconds
    uint64_t modseq = 0;
    std::vector<std::string> flags;
    std::optional<int64_t> save_date;  // unix seconds filed in this folder (RFC 8514); unknown for old rows
    std::string email_id;  // OBJECTID (RFC 8474): the stored content's, the same in every copy
    std::string thread_id;  // THREADID (RFC 8474 5.2): "" for contents stored before thread ids were kept
};

// One accepted message for one or more local accounts. The content is stored once and filed into
// every recipient's INBOX; Return-Path is prepended per RFC 5321 4.4 by the store.
// One recipient's own copy: S/MIME opened at delivery with its trace header, or kept aside in the
// mailbox's Junk folder (quarantine, as DMARC's p=quarantine: delivered, marked, not in INBOX).
struct RecipientCopy {
    std::string content;      // "": Delivery::content
    bool quarantine = false;
};

struct Delivery {
    std::string return_path;            // envelope sender without brackets; "" for the null path
    std::vector<int64_t> account_ids;   // local recipients, each an existing account
    std::string content;                // the message as received, Received: header included, CRLF
    int64_t internal_date = 0;          // unix seconds
    std::vector<RecipientCopy> copies;  // empty, or one per account_ids entry in the same order
    // Recipients at other operators (lower case): queued with outbound_content under queue_id, in
    // the same transaction as the local copies. A delivery needs a local or a remote recipient.
    std::string queue_id;
    std::vector<std::string> remote_recipients;
    std::string outbound_content;
    // RFC 3461 for the queued copy: RET and ENVID of the message, NOTIFY and ORCPT per remote
    // recipient (empty, or one per remote_recipients entry in the same order). See outbound.h.
    std::string ret;
    std::string envid;
    std::vector<RemoteRecipientDsn> remote_dsn;
    std::vector<QueuedMessage> queued;  // further messages for other operators, same transaction
    // Issue 12: a filing job for the submitting mailbox, written in the same transaction (unless
    // that mailbox turned filing off); and a finished job removed with this delivery (its
    // acknowledgement), so that the acknowledgement and the job's end are one write.
    std::optional<FilingRequest> filing{};
    int64_t finishes_filing_job = 0;
};

// What happened to one Delivery of a batch: the UID given in each recipient's INBOX (or Junk), in
// account order.
struct DeliveryOutcome {
    std::vector<uint32_t> uids;
};


// How much of a stored message read_texts gives: its header block (up to and including the first
// empty line; all of it when there is none) or the whole message as fetch_message gives it.
enum class TextExtent { Header, Whole };
using TextVisitor = std::function<bool(uint32_t uid, std::string_view text)>;

// A folder's changes above a MODSEQ: messages given a higher MODSEQ (new, or flags changed), UIDs
// expunged or moved away since, and the folder's HIGHESTMODSEQ, all from the same snapshot.
struct FolderChanges {
    uint64_t highest_modseq = 0;
    std::vector<MessageSummary> changed;  // ascending by UID
    std::vector<uint32_t> vanished;       // ascending
};

enum class FlagMode { Replace, Add, Remove };

// A message whose flags changed: its new flags and the MODSEQ the change was given.
struct FlagUpdate {
    uint32_t uid = 0;
    std::vector<std::string> flags;
    uint64_t modseq = 0;
};

// A message a client files itself (APPEND): its octets, flags and internal date.
struct NewMessage {
    std::string_view content;
    std::span<const std::string> flags;
    int64_t internal_date = 0;
};

// REPLACE (RFC 8508): the new message's UID, and the old one's if it was still there to remove.
struct Replaced {
    uint32_t uid = 0;
    std::vector<uint32_t> expunged;
};

// UIDPLUS (RFC 4315): where COPY/MOVE put each message.
struct CopyOutcome {
    uint32_t uidvalidity = 0;  // of the destination
    std::vector<uint32_t> source_uids;
    std::vector<uint32_t> destination_uids;  // same order
};

// S/MIME (RFC 8551) material per address: its signing and encryption certificates, with the
// private key sealed by crypto/key_vault when the server holds it; and who holds an account's keys.
enum class SmimeUsage { Signing, Encryption };
std::string_view to_string(SmimeUsage usage);  // "sign" | "encryption"

struct Annotation {  // RFC 5464
    std::string entry;  // "/private/comment", "/shared/vendor/x"
    std::string value;
    bool operator==(const Annotation&) const = default;
};
struct AnnotationChange {
    std::string entry;
    std::optional<std::string> value;  // nullopt: remove the entry
};

struct SmimeCertificate {
    std::string address;                    // lower-cased by the store
    SmimeUsage usage = SmimeUsage::Signing;
    std::string certificate_pem;            // leaf then intermediates
    std::optional<std::string> sealed_key;  // nullopt: the server does not hold the key
};
// The label a sealed key is bound to (crypto/key_vault.h): "sign:dr@x.fr", so a key sealed for one
// address and usage never opens for another.
std::string sealing_label(std::string_view address, SmimeUsage usage);

// Server: the server holds the keys, signs what the account sends and decrypts at delivery.
// Client: end to end; messages stay encrypted in the mailbox, only the card holder opens them.
enum class KeyCustody { Server, Client };
std::string_view to_string(KeyCustody custody);  // "server" | "client"
std::optional<KeyCustody> key_custody_from(std::string_view text);

// An account's S/MIME settings; an unset action or cipher follows its domain's policy (mssd.toml).
struct SmimeSettings {
    KeyCustody custody = KeyCustody::Server;
    std::optional<std::string> unsigned_action;  // "accept" | "quarantine" | "reject"
    std::optional<std::string> invalid_action;
    std::optional<std::string> cipher;           // "aes-256-gcm" | "aes-256-cbc"
    bool operator==(const SmimeSettings&) const = default;
};

class Store {
public:
    virtual ~Store() = default;

    virtual Result<Account> create_account(const NewAccount& account) = 0;  // also creates INBOX and
                                                                             // Sent, Drafts, Trash, Junk, Archive
    virtual Result<Account> find_account(std::string_view address) = 0;      // case-insensitive
    virtual Result<Account> find_account_by_cert(std::string_view cert_sha256) = 0;
    // Personal mailboxes registered to a professional (PS_IdNat), by address; none is not an error.
    virtual Result<std::vector<Account>> personal_accounts_of(std::string_view ps_idnat) = 0;
    virtual Result<std::vector<Account>> list_accounts() = 0;
    virtual Status set_disabled(std::string_view address, bool disabled) = 0;
    virtual Status set_password_hash(std::string_view address, std::string_view hash) = 0;

    // Organisational mailboxes only; rights replaces what the member held ("" removes the member).
    // Members are personal mailboxes: granting rights to the organisational mailbox itself, to another
    // organisational mailbox or to an applicative one is Invalid (removing such a member is not).
    virtual Status set_member(std::string_view org_address, std::string_view member_address,
                              std::string_view rights) = 0;
    virtual Result<std::vector<Member>> members(std::string_view org_address) = 0;
    // Rights of member on org ("" when not a member).
    virtual Result<std::string> rights_of(std::string_view org_address, std::string_view member_address) = 0;

    // Organisational mailboxes member_address belongs to, by address.
    virtual Result<std::vector<Membership>> memberships(std::string_view member_address) = 0;

    virtual Result<std::vector<Folder>> folders(std::string_view address) = 0;
    // A new folder (and its missing parents, '/' separated); Exists when it is there already.
    virtual Result<Folder> create_folder(std::string_view address, std::string_view name,
                                         std::string_view special_use) = 0;
    // Removes a folder and its messages; INBOX and folders with children are refused (Invalid).
    virtual Status delete_folder(std::string_view address, std::string_view name) = 0;
    // Renames a folder and its children, keeping UIDVALIDITY. Renaming INBOX moves its messages to
    // a new folder and leaves INBOX empty (RFC 3501 6.3.5).
    virtual Status rename_folder(std::string_view address, std::string_view from, std::string_view to) = 0;
    // Subscribed names (RFC 3501 6.3.6), which need not exist, ascending.
    virtual Result<std::vector<std::string>> subscriptions(std::string_view address) = 0;
    virtual Status set_subscribed(std::string_view address, std::string_view name, bool subscribed) = 0;
    // \Recent (RFC 3501 2.3.2): the folder's UIDs from its recent_from up to `up_to` (exclusive)
    // become recent for the calling session alone; returns the first UID it got (up_to when another
    // session had claimed them all). Writes only when there is something to claim.
    virtual Result<uint32_t> claim_recent(std::string_view address, std::string_view folder, uint32_t up_to) = 0;

    virtual Result<Quota> quota(std::string_view address) = 0;
    virtual Status set_quota(std::string_view address, const Quota& quota) = 0;
    virtual Result<QuotaUsage> usage(std::string_view address) = 0;

    // Files every delivery of the batch in one transaction and returns only once it is durable
    // (fsync'd). Each delivery is all-or-nothing; one failing delivery (e.g. account deleted since)
    // does not fail the others: its slot holds an Error.
    virtual std::vector<Result<DeliveryOutcome>> deliver_batch(std::span<const Delivery> batch) = 0;

    virtual Result<std::vector<MessageSummary>> list_messages(std::string_view address,
                                                              std::string_view folder) = 0;
    // Sets, adds or removes flags on those of uids that exist, in one transaction; each message whose
    // flags change gets a new MODSEQ. Returns the changed messages, ascending by UID.
    virtual Result<std::vector<FlagUpdate>> update_flags(std::string_view address, std::string_view folder,
                                                         std::span<const uint32_t> uids, FlagMode mode,
                                                         std::span<const std::string> flags) = 0;
    // The same, but leaves alone every message whose MODSEQ is above unchanged_since and returns its
    // UID in modified (STORE UNCHANGEDSINCE, RFC 7162 3.1.3), in the same transaction.
    virtual Result<std::vector<FlagUpdate>> update_flags_unchanged_since(std::string_view address, std::string_view folder,
                                                                         std::span<const uint32_t> uids, FlagMode mode,
                                                                         std::span<const std::string> flags,
                                                                         uint64_t unchanged_since,
                                                                         std::vector<uint32_t>& modified) = 0;
    // Removes the messages flagged \Deleted (only those among uids when given); returns their UIDs,
    // ascending. The folder's HIGHESTMODSEQ moves on.
    virtual Result<std::vector<uint32_t>> expunge(std::string_view address, std::string_view folder,
                                                  std::optional<std::span<const uint32_t>> uids) = 0;

    // UIDs expunged (or moved away) from the folder with a MODSEQ above modseq, ascending (QRESYNC).
    virtual Result<std::vector<uint32_t>> vanished_since(std::string_view address, std::string_view folder,
                                                         uint64_t modseq) = 0;

    // Files a message into a folder as the client gave it (APPEND); durable on return; its UID.
    // OverQuota when the mailbox's quota would be exceeded.
    virtual Result<uint32_t> append(std::string_view address, std::string_view folder, std::string_view content,
                                    std::span<const std::string> flags, int64_t internal_date) = 0;
    // MULTIAPPEND (RFC 3502): every message in one transaction, all filed or none; their UIDs in order.
    virtual Result<std::vector<uint32_t>> append_all(std::string_view address, std::string_view folder,
                                                     std::span<const NewMessage> messages) = 0;
    // REPLACE (RFC 8508): removes old_uid from (from_address, from_folder), then files replacement
    // into (address, folder), in one transaction: after a crash the old message or the new one is
    // there, never both nor neither. The quota is checked with the old message gone (OverQuota:
    // nothing changed).
    virtual Result<Replaced> replace(std::string_view from_address, std::string_view from_folder, uint32_t old_uid,
                                     std::string_view address, std::string_view folder, const NewMessage& replacement) = 0;
    // Copies (or moves: then removed from the source in the same transaction) those of uids that
    // exist, in UID order, keeping flags and internal dates. OverQuota as APPEND.
    // The target folder may belong to another account (a member filing a shared message in its own
    // folders); the quota checked is the target account's.
    virtual Result<CopyOutcome> copy(std::string_view from_address, std::string_view from, std::span<const uint32_t> uids,
                                     std::string_view to_address, std::string_view to, bool move) = 0;

    // The stored message exactly as delivered (Return-Path first).
    virtual Result<std::string> fetch_message(std::string_view address, std::string_view folder,
                                              uint32_t uid) = 0;

    // Many messages in one read snapshot, for SEARCH, SORT and THREAD: visit is called with the UID
    // and text of each of uids that exists, in the order of uids, the text valid only during the
    // call; visit returning false ends the walk. TextExtent::Header reads no further into a message
    // than its header block, however large the message.
    virtual Status read_texts(std::string_view address, std::string_view folder, std::span<const uint32_t> uids,
                              TextExtent extent, const TextVisitor& visit) = 0;
    // What changed in a folder since a MODSEQ, in one read snapshot (refresh of a selected mailbox).
    virtual Result<FolderChanges> changes_since(std::string_view address, std::string_view folder,
                                                uint64_t modseq) = 0;

    // S/MIME certificates (one per address and usage, replaced when put again) and settings
    // (defaults when never set; the address need not be one of our accounts).
    virtual Status put_smime_certificate(const SmimeCertificate& certificate) = 0;
    virtual Result<std::optional<SmimeCertificate>> smime_certificate(std::string_view address, SmimeUsage usage) = 0;
    // Every certificate of one usage, by address, without the sealed keys (for the LDAP feed's full load).
    virtual Result<std::vector<SmimeCertificate>> smime_certificates(SmimeUsage usage) = 0;
    virtual Result<SmimeSettings> smime_settings(std::string_view address) = 0;
    virtual Status set_smime_settings(std::string_view address, const SmimeSettings& settings) = 0;

    // The outbound queue (filled by deliver_batch): recipients due at `now` (queued, next_attempt <=
    // now), at most limit messages of one domain, oldest first, each with its recipients of that
    // domain; the domains with something due; a message's content; what an attempt decided for a
    // recipient (a delivered recipient leaves the queue, and a message with none left goes too).
    virtual Result<std::vector<std::string>> outbound_due_domains(int64_t now) = 0;
    virtual Result<std::vector<OutboundMessage>> outbound_due(std::string_view domain, int64_t now,
                                                              std::size_t limit) = 0;
    virtual Result<std::string> outbound_content(std::string_view id) = 0;
    // Outcomes of several attempts in one transaction (one fsync): all recorded, or none.
    virtual Status outbound_record_batch(std::span<const RecipientOutcome> outcomes) = 0;
    Status outbound_record(std::string_view id, std::string_view recipient, const AttemptOutcome& outcome) {
        RecipientOutcome one{std::string(id), std::string(recipient), outcome};
        return outbound_record_batch(std::span(&one, 1));
    }
    // Every queued or failed message, oldest first; one; due now (flush: all, or one id); removed.
    virtual Result<std::vector<OutboundMessage>> outbound_list() = 0;
    virtual Result<OutboundMessage> outbound_message(std::string_view id) = 0;
    virtual Result<uint64_t> outbound_flush(std::optional<std::string_view> id) = 0;  // recipients made due
    virtual Status outbound_delete(std::string_view id) = 0;
    // Static routes: a destination domain's next hop, before DNS MX.
    virtual Status set_route(const Route& route) = 0;
    virtual Status remove_route(std::string_view domain) = 0;
    virtual Result<std::vector<Route>> routes() = 0;
    virtual Result<std::optional<Route>> route_for(std::string_view domain) = 0;
    // RFC 5464 annotations of a folder, or of the server when folder_id is 0: "/shared/..." entries
    // are everyone's, "/private/..." entries each account's own. Entry names arrive lower-cased
    // and checked by the caller. annotations() lists what `account_id` sees, by entry name.
    virtual Result<std::vector<Annotation>> annotations(int64_t folder_id, int64_t account_id) = 0;
    // All changes or none: a value sets an entry, nullopt removes it; Invalid (nothing written)
    // when the folder would then hold more than max_entries entries visible to account_id.
    virtual Status set_annotations(int64_t folder_id, int64_t account_id, std::span<const AnnotationChange> changes,
                                   std::size_t max_entries) = 0;

    // The filing queue (issue 12, filled by deliver_batch): each mailbox's setting (on unless turned
    // off; NotFound for an unknown mailbox), the jobs due at `now` (oldest first), one job's next try
    // after a temporary failure, and a job's end without a notice to deliver.
    virtual Status set_filing(std::string_view address, bool enabled) = 0;
    virtual Result<bool> filing_enabled(std::string_view address) = 0;
    virtual Result<std::vector<FilingJob>> filing_due(int64_t now, std::size_t limit) = 0;
    virtual Status filing_retry(int64_t job, int64_t next_attempt, std::string_view error) = 0;
    // All in one transaction, not flushed to disk on its own (the next flushed write takes it there):
    // a power cut may forget the end, and the job then runs again, its deposits recognised as its own.
    virtual Status filing_done(std::span<const int64_t> jobs) = 0;
    Status filing_done(int64_t job) { return filing_done(std::span(&job, 1)); }

    // Told of every committed change to a folder (new, flagged, expunged, moved messages; folder
    // renamed or deleted), by folder id.
    ChangeNotifier& changes() { return changes_; }

private:
    ChangeNotifier changes_;
};

struct SqliteOptions {
    bool create = true;  // create the file and schema if missing
};

// SQLite in WAL mode with synchronous=FULL: a committed transaction is on disk. Thread-safe: one
// writer connection behind a mutex, reader connections from a pool (WAL lets them run concurrently).
Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file, SqliteOptions options = {});

}  // namespace mss::store
