// Pure, bounded IMAP command parser (RFC 3501, RFC 9051 and the extensions listed on Verb): one
// command as assembled by CommandAssembler in, a typed Command or the exact tagged (or untagged)
// BAD/NO Response out. No I/O, no allocation beyond a bound of its input. Trusts nothing about it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "imap/parse/fetch.h"
#include "imap/parse/response_code.h"
#include "imap/parse/search.h"
#include "imap/parse/sequence.h"

namespace mss::imap {

enum class Verb {
    Capability, Noop, Logout,                                      // any state
    StartTls, Authenticate, Login,                                 // not authenticated
    Enable, Select, Examine, Create, Delete, Rename, Subscribe, Unsubscribe, List, Lsub,
    Namespace, Status, Append, Idle,                               // authenticated
    Check, Close, Unselect, Expunge, Search, Fetch, Store, Copy, Move,  // selected
    GetAcl, SetAcl, DeleteAcl, ListRights, MyRights,               // RFC 4314
    GetQuota, GetQuotaRoot, SetQuota,                              // RFC 9208
    Id,                                                            // RFC 2971
    Unauthenticate,                                                // RFC 8437
    Sort, Thread,                                                  // RFC 5256
    Replace,                                                       // RFC 8508
    Compress,                                                      // RFC 4978
    GetMetadata, SetMetadata,                                      // RFC 5464
    Notify,                                                        // RFC 5465
    CancelUpdate,                                                  // RFC 5267
};

std::string_view verb_name(Verb verb);  // "UID" is not part of it: see Command::uid

// What the session tells the parser about itself.
struct ParseOptions {
    // UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051) enabled: mailbox names are UTF-8 as written
    // (validated); otherwise they are 7-bit modified UTF-7, decoded strictly to UTF-8.
    bool utf8_names = false;
    // IMAP4rev2 enabled (RFC 9051): STATUS RECENT, which rev2 removed, is refused.
    bool imap4rev2 = false;
    char hierarchy_separator = '/';    // "inbox/x" is normalised to "INBOX/x"
    std::size_t max_ranges = 10000;     // per sequence set
    std::size_t max_search_depth = 32;  // nesting of "(", NOT, OR
    std::size_t max_search_keys = 4096;
    std::size_t max_mailbox_name = 1024;  // octets once decoded
    std::size_t max_append_messages = 100;  // MULTIAPPEND
    std::size_t max_catenate_parts = 50;    // CATENATE (RFC 4469), per message
};

// A date-time of APPEND (RFC 3501 date-time), validated.
struct DateTime {
    Date date;
    int hour = 0, minute = 0, second = 0;
    int zone_minutes = 0;  // east of UTC: "+0130" -> 90
    int64_t unix_time() const;
    bool operator==(const DateTime&) const = default;
};

struct NoArgs {
    bool operator==(const NoArgs&) const = default;
};
// DELETE, SUBSCRIBE, UNSUBSCRIBE, GETACL, MYRIGHTS, GETQUOTAROOT. Mailbox names here and below
// are UTF-8, "INBOX" upper-cased whatever the client wrote.
struct MailboxArgs {
    std::string mailbox;
    bool operator==(const MailboxArgs&) const = default;
};
struct AuthenticateArgs {
    std::string mechanism;                        // upper-cased
    std::optional<std::string> initial_response;  // SASL-IR (RFC 4959): base64 text, "=" for empty
    bool operator==(const AuthenticateArgs&) const = default;
};
struct LoginArgs {
    std::string user;
    std::string password;
    bool operator==(const LoginArgs&) const = default;
};
struct EnableArgs {
    std::vector<std::string> capabilities;  // upper-cased
    bool operator==(const EnableArgs&) const = default;
};
struct QresyncParams {  // RFC 7162 3.2.5
    uint32_t uidvalidity = 0;
    uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    std::optional<SequenceSet> known_sequence;  // seq-match-data: message numbers...
    std::optional<SequenceSet> known_sequence_uids;  // ...and their UIDs
    bool operator==(const QresyncParams&) const = default;
};
struct SelectArgs {  // SELECT, EXAMINE
    std::string mailbox;
    bool condstore = false;
    std::optional<QresyncParams> qresync;
    bool operator==(const SelectArgs&) const = default;
};
struct CreateArgs {
    std::string mailbox;
    std::vector<std::string> special_use;  // CREATE ... (USE (\Drafts)) (RFC 6154), canonical case
    bool operator==(const CreateArgs&) const = default;
};
struct RenameArgs {
    std::string from;
    std::string to;
    bool operator==(const RenameArgs&) const = default;
};
enum class StatusItem { Messages, Recent, UidNext, UidValidity, Unseen, Deleted, Size, HighestModSeq, AppendLimit,
                        MailboxId /* RFC 8474 */ };
struct ListArgs {  // LIST (RFC 3501, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154), LSUB
    std::string reference;
    std::vector<std::string> patterns;  // with their wildcards "%" and "*"; "" asks for the delimiter
    bool extended = false;              // selection options, several patterns or RETURN were given
    bool select_subscribed = false, select_remote = false, select_recursive_match = false,
         select_special_use = false;
    bool return_subscribed = false, return_children = false, return_special_use = false;
    std::optional<std::vector<StatusItem>> return_status;
    bool operator==(const ListArgs&) const = default;
};
struct StatusArgs {
    std::string mailbox;
    std::vector<StatusItem> items;  // at least one
    bool operator==(const StatusArgs&) const = default;
};
// One part of CATENATE (RFC 4469 5): octets sent with the command (TEXT, or RFC 6855's UTF8), or an
// IMAP URL (RFC 5092) whose octets the server fetches.
struct CatenatePart {
    enum class Kind { Text, Url };
    Kind kind = Kind::Text;
    std::string data;     // Text: the octets (may hold NUL if binary); Url: the URL as sent
    bool binary = false;  // Text sent as literal8 (RFC 3516)
    bool utf8 = false;    // "UTF8 (~{n}...)" (RFC 6855 4)
    bool operator==(const CatenatePart&) const = default;
};
struct AppendMessage {
    std::vector<std::string> flags;          // system flags in canonical case
    std::optional<DateTime> internal_date;
    std::string data;                        // the message, as sent (may hold NUL if binary); "" with catenate
    std::vector<CatenatePart> catenate;      // CATENATE (RFC 4469): the parts, in order; empty otherwise
    bool binary = false;                     // sent as literal8 (RFC 3516)
    bool utf8 = false;                       // "UTF8 (~{n}...)" (RFC 6855)
    bool operator==(const AppendMessage&) const = default;
};
struct AppendArgs {
    std::string mailbox;
    std::vector<AppendMessage> messages;  // more than one with MULTIAPPEND (RFC 3502)
    bool operator==(const AppendArgs&) const = default;
};
struct UidExpungeArgs {  // UID EXPUNGE (RFC 4315)
    SequenceSet uids;
    bool operator==(const UidExpungeArgs&) const = default;
};
struct SearchArgs {
    std::optional<std::string> charset;  // "US-ASCII" or "UTF-8" as given (others: NO [BADCHARSET])
    bool esearch = false;                 // RETURN (...) given: answer with ESEARCH (RFC 4731)
    unsigned returns = 0;                 // SearchReturn bits; ReturnAll when "RETURN ()"
    PartialRange partial;                 // with ReturnPartial
    SearchKey criteria;                   // kind And: every top-level key
    bool operator==(const SearchArgs&) const = default;
};
struct FetchArgs {
    SequenceSet set;
    std::vector<FetchAttribute> attributes;
    std::optional<uint64_t> changed_since;  // CHANGEDSINCE (RFC 7162)
    bool vanished = false;                  // VANISHED (RFC 7162 QRESYNC; UID FETCH only)
    bool operator==(const FetchArgs&) const = default;
};
enum class StoreMode { Replace, Add, Remove };
struct StoreArgs {
    SequenceSet set;
    std::optional<uint64_t> unchanged_since;  // UNCHANGEDSINCE (RFC 7162)
    StoreMode mode = StoreMode::Replace;
    bool silent = false;
    std::vector<std::string> flags;  // system flags in canonical case
    bool operator==(const StoreArgs&) const = default;
};
struct CopyArgs {  // COPY, MOVE
    SequenceSet set;
    std::string mailbox;
    bool operator==(const CopyArgs&) const = default;
};
struct AclArgs {  // SETACL, DELETEACL, LISTRIGHTS (RFC 4314)
    std::string mailbox;
    std::string identifier;
    StoreMode mode = StoreMode::Replace;  // SETACL "+rights" / "-rights"
    std::string rights;                   // SETACL only: lower-case letters and digits
    bool operator==(const AclArgs&) const = default;
};
struct QuotaRootArgs {  // GETQUOTA (RFC 9208)
    std::string root;
    bool operator==(const QuotaRootArgs&) const = default;
};
struct SetQuotaArgs {
    std::string root;
    std::vector<std::pair<std::string, uint64_t>> limits;  // resource name upper-cased, limit
    bool operator==(const SetQuotaArgs&) const = default;
};
struct IdArgs {  // RFC 2971: nullopt for "ID NIL"
    std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> fields;
    bool operator==(const IdArgs&) const = default;
};
enum class SortKey { Arrival, Cc, Date, From, Size, Subject, To, DisplayFrom, DisplayTo };
struct SortCriterion {
    bool reverse = false;
    SortKey key = SortKey::Arrival;
    bool operator==(const SortCriterion&) const = default;
};
struct SortArgs {  // SORT (RFC 5256, RFC 5957 DISPLAY), ESORT (RFC 5267 3)
    bool esearch = false;   // RETURN (...) given: answer with ESEARCH
    unsigned returns = 0;   // SearchReturn bits but UPDATE; ReturnAll when "RETURN ()"
    PartialRange partial;   // with ReturnPartial
    std::vector<SortCriterion> criteria;
    std::string charset;
    SearchKey search;
    bool operator==(const SortArgs&) const = default;
};
struct ThreadArgs {  // THREAD (RFC 5256)
    std::string algorithm;  // upper-cased: ORDEREDSUBJECT, REFERENCES, ...
    std::string charset;
    SearchKey search;
    bool operator==(const ThreadArgs&) const = default;
};

struct ReplaceArgs {  // REPLACE, UID REPLACE (RFC 8508): the message (number or UID) and its replacement
    uint32_t message = 0;
    AppendArgs replacement;  // exactly one message
    bool operator==(const ReplaceArgs&) const = default;
};

struct CancelUpdateArgs {  // CANCELUPDATE "tag" ... (RFC 5267 4.3)
    std::vector<std::string> tags;  // at least one
    bool operator==(const CancelUpdateArgs&) const = default;
};

struct CompressArgs {  // RFC 4978
    std::string mechanism;  // upper-cased
    bool operator==(const CompressArgs&) const = default;
};

// RFC 5464 entry names: "/private/..." or "/shared/...", lower-cased; no "*", "%", "//", trailing
// "/" or control characters (BAD otherwise). GETMETADATA may also name "/private" or "/shared".
struct GetMetadataArgs {
    std::string mailbox;  // "" for the server's annotations
    std::vector<std::string> entries;
    std::optional<uint32_t> max_size;  // MAXSIZE
    int depth = 0;                     // DEPTH 0, 1, or -1 for infinity
    bool operator==(const GetMetadataArgs&) const = default;
};
struct SetMetadataArgs {
    std::string mailbox;
    std::vector<std::pair<std::string, std::optional<std::string>>> values;  // NIL removes
    bool operator==(const SetMetadataArgs&) const = default;
};

// NOTIFY (RFC 5465). Events are bits of a mask; a group with none is "NONE" (nothing for those
// mailboxes). Refused: in a SELECTED or SELECTED-DELAYED group, MessageNew without MessageExpunge
// or the reverse, FlagChange without both; SELECTED and SELECTED-DELAYED together (BAD); an event
// name we do not know or do not support (NO [BADEVENT (ours)], RFC 5465 5): AnnotationChange
// among them, as mssd keeps no per-message annotations (RFC 5257 ANNOTATE).
enum class NotifyEvent : unsigned {
    MessageNew = 1, MessageExpunge = 2, FlagChange = 4, MailboxName = 16,
    SubscriptionChange = 32, MailboxMetadataChange = 64, ServerMetadataChange = 128,
};
enum class NotifyFilter { Selected, SelectedDelayed, Inboxes, Personal, Subscribed, Subtree, Mailboxes };
struct NotifyGroup {
    NotifyFilter filter = NotifyFilter::Selected;
    std::vector<std::string> mailboxes;  // SUBTREE and MAILBOXES: UTF-8 names
    unsigned events = 0;                 // NotifyEvent bits
    std::vector<FetchAttribute> fetch;   // MessageNew's: used when the new message is in the selected mailbox
    bool has(NotifyEvent e) const { return (events & static_cast<unsigned>(e)) != 0; }
    bool operator==(const NotifyGroup&) const = default;
};
struct NotifyArgs {
    bool none = false;    // NOTIFY NONE
    bool status = false;  // NOTIFY SET STATUS: a STATUS for each watched mailbox before the OK
    std::vector<NotifyGroup> groups;
    bool operator==(const NotifyArgs&) const = default;
};
// The BADEVENT response code's data: every event we support.
std::string_view notify_events_supported();

using Arguments = std::variant<NoArgs, MailboxArgs, AuthenticateArgs, LoginArgs, EnableArgs, SelectArgs, CreateArgs,
                               RenameArgs, ListArgs, StatusArgs, AppendArgs, UidExpungeArgs, SearchArgs, FetchArgs,
                               StoreArgs, CopyArgs, AclArgs, QuotaRootArgs, SetQuotaArgs, IdArgs, SortArgs, ThreadArgs,
                               ReplaceArgs, CompressArgs, GetMetadataArgs, SetMetadataArgs, NotifyArgs,
                               CancelUpdateArgs>;

struct Command {
    std::string tag;
    Verb verb = Verb::Noop;
    bool uid = false;  // "UID COPY/MOVE/FETCH/SEARCH/STORE/EXPUNGE/SORT/THREAD/REPLACE"
    Arguments args;
};

using ParsedCommand = std::variant<Command, Response>;

// command is one command as CommandAssembler outputs it: its lines joined with CRLF, each literal
// inline after its "{N}\r\n" header, the final CRLF removed. Errors, each with its response:
//   no tag, or a bad one                           -> * BAD
//   unknown command, syntax error, trailing bytes  -> tag BAD (texts never echo client bytes)
//   sequence number 0 (also "*:0")                 -> tag BAD
//   more than max_ranges ranges, search nesting deeper than max_search_depth, more than
//   max_search_keys keys, more than max_append_messages messages or max_catenate_parts CATENATE
//   parts                                          -> tag BAD [LIMIT]
//   mailbox name: bad modified UTF-7, 8-bit without utf8_names, invalid UTF-8, control characters
//                                                  -> tag BAD; longer than max_mailbox_name -> BAD [LIMIT]
//   STATUS (or LIST RETURN STATUS) RECENT under imap4rev2 -> tag BAD
//   SEARCH/SORT/THREAD CHARSET other than US-ASCII and UTF-8 -> tag NO [BADCHARSET (US-ASCII UTF-8)]
//   search string that is not valid UTF-8          -> tag BAD
//   NOTIFY: see NotifyArgs; more than 64 groups or mailboxes in one -> tag BAD [LIMIT]
//   VANISHED without CHANGEDSINCE or outside UID FETCH, a parameter or modifier given twice
//                                                  -> tag BAD [CLIENTBUG] (RFC 7162 3.2.6, RFC 5530)
// What depends on the session's state (command allowed now, QRESYNC enabled, "$" defined) is the
// session's check.
ParsedCommand parse_command(std::string_view command, const ParseOptions& options = {});

// IDLE ends with "DONE" (RFC 2177, RFC 9051 6.3.13), any case, read with expect_line().
bool is_idle_done(std::string_view line);

// The tag at the start of a command line if well formed and followed by SP or the end; "" otherwise.
std::string_view command_tag(std::string_view line);

}  // namespace mss::imap
