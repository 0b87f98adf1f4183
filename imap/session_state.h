// The Session class shared by session.cpp (connection loop) and the cmd_*.cpp command groups.
// Private to imap/: nothing outside includes it.
#pragma once
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "imap/parse/command.h"
#include "imap/parse/framing.h"
#include "imap/names.h"
#include "imap/namespace.h"
#include "imap/session.h"

namespace mss::imap {

enum class State { NotAuthenticated, Authenticated, Selected, Logout };

struct NotifyState;  // NOTIFY's watches and what the client was last told (cmd_notify.cpp)

// Why a CATENATE (RFC 4469) cannot be built: the NO's response code ([BADURL url], [TOOBIG], ...),
// its data and text.
struct CatenateRefusal {
    Code code = Code::None;
    std::string data;
    std::string text;
};
using Catenated = std::variant<std::string, CatenateRefusal>;

// The framing limits of a session before login (and after UNAUTHENTICATE).
FramingLimits before_login_limits();

// A SEARCH RETURN (UPDATE) the client keeps (RFC 5267 4.2): its result as last told, and the state
// of the mailbox it was computed on (message count, highest UID and MODSEQ, expunges held).
struct SearchUpdate {
    std::string tag;
    bool uid = false;
    SearchKey criteria;
    std::vector<uint32_t> uids;  // ascending
    std::array<uint64_t, 4> computed_on{};
};

// The mailbox a SELECT or EXAMINE opened, as the client last saw it: index + 1 is the message
// sequence number.
struct SelectedMailbox {
    MailboxRef ref;
    bool read_only = false;
    std::vector<store::MessageSummary> messages;
    std::vector<uint32_t> saved_uids;  // SEARCH RETURN (SAVE) result, "$" (RFC 5182), ascending
    std::vector<SearchUpdate> search_updates;  // CONTEXT=SEARCH (RFC 5267), kept until CANCELUPDATE or close
    uint64_t seen_modseq = 0;  // messages reflects every change up to this MODSEQ (refresh asks above it)
    // Expunged by another session, still in `messages` until a command that may say so (RFC 3501
    // 7.4.1: not during FETCH, STORE or SEARCH, which would renumber the messages under the client).
    std::set<uint32_t> expunged_elsewhere;
    std::set<std::string> keywords;  // the keywords the client was told of in FLAGS
    // \Recent (RFC 3501 2.3.2, IMAP4rev1 only): a SELECT claims the new messages for this session
    // alone, and so does every refresh that brings new ones; EXAMINE claims none.
    bool claims_recent = false;
    std::set<uint32_t> recent;
    // Set by the store's notifier when the folder changes: the next command looks at the store.
    std::shared_ptr<std::atomic<bool>> changed = std::make_shared<std::atomic<bool>>(false);
    store::ChangeNotifier::Watch watch;

    std::optional<std::size_t> index_of_uid(uint32_t uid) const;
    uint32_t max_uid() const { return messages.empty() ? 0 : messages.back().uid; }
};

class Session {
public:
    Session(std::shared_ptr<Stream> stream, bool implicit_tls, Services& services);
    asio::awaitable<void> run(Admission admission);

private:
    // Connection loop (session.cpp)
    asio::awaitable<bool> handle(FrameEvent event);
    asio::awaitable<bool> dispatch(const Command& cmd);
    asio::awaitable<void> selected_command(const Command& cmd);
    asio::awaitable<std::optional<std::string>> read_continuation(const std::string& tag);
    asio::awaitable<bool> fill();
    void bound_reads();
    void lift_login_limits();
    std::chrono::steady_clock::time_point handshake_deadline() const {
        return std::min(login_deadline_, std::chrono::steady_clock::now() + config_->limits.handshake_timeout);
    }
    void send(const Response& response) { stream_->send(format_response(response)); }
    void untagged(std::string_view text);
    void ok(const Command& cmd, std::string text, Code code = Code::None, std::string data = {});
    void no(const Command& cmd, Code code, std::string text);
    void bad(const Command& cmd, std::string text);
    std::string capabilities() const;
    void forget_saved_search(std::string_view refused);
    // Mailbox names are UTF-8 both ways once IMAP4rev2 or UTF8=ACCEPT is enabled.
    bool utf8_names() const { return rev2_ || utf8_accept_; }
    ParseOptions parse_options() const { return {.utf8_names = utf8_names(), .imap4rev2 = rev2_}; }
    std::string wire_name(std::string_view name) const {
        return quoted_mailbox(name, utf8_names() ? NameEncoding::Utf8 : NameEncoding::ModifiedUtf7);
    }

    // Any state (cmd_any.cpp)
    void cmd_capability(const Command& cmd);
    void cmd_noop(const Command& cmd);
    void cmd_logout(const Command& cmd);
    void cmd_id(const Command& cmd);

    // Not authenticated (cmd_auth.cpp)
    asio::awaitable<bool> cmd_starttls(const Command& cmd);
    asio::awaitable<bool> cmd_login(const Command& cmd);
    asio::awaitable<bool> cmd_authenticate(const Command& cmd);
    asio::awaitable<bool> password_sign_in(const Command& cmd, const std::string& user, const std::string& password,
                                           std::string_view how);
    // Pro Santé Connect (OAUTHBEARER, XOAUTH2): the token through auth::Guard; a refusal first sends
    // the error challenge and reads the client's answer (RFC 7628 section 3.2.3).
    asio::awaitable<bool> bearer_sign_in(const Command& cmd, auth::SaslExchange& exchange);
    bool count_auth_failure();
    asio::awaitable<void> learn_client_certificate();
    void logged_in(const Command& cmd, store::Account account, std::string_view how);
    void cmd_unauthenticate(const Command& cmd);

    // Mailboxes (cmd_mailbox.cpp)
    asio::awaitable<void> cmd_status(const Command& cmd);
    asio::awaitable<void> cmd_select(const Command& cmd);
    asio::awaitable<void> cmd_close(const Command& cmd, bool expunge);
    void announce_selected(bool read_only);
    asio::awaitable<void> resynchronise(const QresyncParams& known);
    // What other sessions changed (flags as FETCH, new messages as EXISTS), read from the store
    // when it told of a change; expunges said only where the command allows them.
    enum class Expunges { Report, Hold };
    asio::awaitable<void> refresh(Expunges expunges);
    asio::awaitable<void> claim_recent();
    // A message's flags as this session shows them: \Recent added where it is recent here.
    std::string flags_of(const store::MessageSummary& m) const;
    // FLAGS and PERMANENTFLAGS again when a keyword the client has not been told of appears in
    // `flags`, before any FETCH shows it (RFC 3501 7.2.6).
    void announce_keywords(const std::vector<std::string>& flags);
    void send_flags();
    // A CONDSTORE enabling command (RFC 7162 3.1): once enabled with a mailbox selected, the client
    // hears its HIGHESTMODSEQ.
    void enable_condstore();
    asio::awaitable<void> tell_highest_modseq();
    asio::awaitable<void> report_vanished_since(const SequenceSet& uids, uint64_t modseq);
    asio::awaitable<bool> still_allowed();
    // The untagged FETCH telling of message index's new flags (with UID and MODSEQ as enabled).
    std::string flags_update(std::size_t index) const;
    // The mailbox the client named, if it exists and the user may see it ("l" or "r" right).
    asio::awaitable<std::optional<MailboxRef>> find_mailbox(const std::string& name);
    asio::awaitable<std::optional<std::vector<store::MessageSummary>>> messages_of(const MailboxRef& mailbox);
    std::string status_items(const MailboxRef& mailbox, const std::vector<store::MessageSummary>& messages,
                             const std::vector<StatusItem>& wanted) const;

    // LIST, LSUB, NAMESPACE (cmd_list.cpp)
    asio::awaitable<void> cmd_list(const Command& cmd);
    asio::awaitable<void> cmd_lsub(const Command& cmd);
    void cmd_namespace(const Command& cmd);
    asio::awaitable<std::optional<Listing>> listing();
    // IMAP4rev2 SELECT/EXAMINE: the selected mailbox's LIST response, attributes as LIST gives them.
    asio::awaitable<void> announce_list_entry();

    // CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (cmd_folder.cpp)
    asio::awaitable<void> cmd_create(const Command& cmd);
    asio::awaitable<void> cmd_delete(const Command& cmd);
    asio::awaitable<void> cmd_rename(const Command& cmd);
    asio::awaitable<void> cmd_subscribe(const Command& cmd);
    asio::awaitable<std::optional<NameTarget>> target_for(const std::string& name);

    // IDLE, ENABLE (cmd_idle.cpp)
    asio::awaitable<void> cmd_idle(const Command& cmd);
    void cmd_enable(const Command& cmd);

    // COMPRESS (cmd_compress.cpp); false when the connection cannot go on
    asio::awaitable<bool> cmd_compress(const Command& cmd);
    // NOTIFY (cmd_notify.cpp): events delivered between commands and in IDLE, when the stream is woken.
    asio::awaitable<void> cmd_notify(const Command& cmd);
    asio::awaitable<void> deliver_notifications();
    // The selected mailbox changes (SELECT, CLOSE): NOTIFY's watch on it follows. Cheap when unchanged.
    void notify_follow_selection();
    asio::awaitable<bool> watch_notified_mailboxes(bool send_status);
    asio::awaitable<void> watch_folder_lists(std::shared_ptr<NotifyState> state, const std::vector<MailboxRef>& visible);
    asio::awaitable<void> notify_mailbox_names();
    asio::awaitable<void> notify_selected();
    asio::awaitable<void> notify_status(std::size_t watched);
    // The entries of a folder (0: the server) changed since `known`, told as an unsolicited METADATA
    // (RFC 5464 4.4.2) when announce; known then holds the entries as they are now.
    asio::awaitable<void> notify_metadata(int64_t folder_id, std::string wire, bool read_shared, bool announce,
                                          std::map<std::string, uint64_t>& known);
    void notification_overflow();
    // GETMETADATA, SETMETADATA (cmd_metadata.cpp)
    asio::awaitable<void> cmd_metadata(const Command& cmd);

    // ACL commands (cmd_acl.cpp), QUOTA commands (cmd_quota.cpp)
    asio::awaitable<void> cmd_acl(const Command& cmd);
    asio::awaitable<void> acl_list(const Command& cmd, const MailboxRef& mailbox);
    asio::awaitable<void> acl_change(const Command& cmd, const MailboxRef& mailbox, const std::string& identifier,
                                     const std::string& rights, StoreMode mode);
    asio::awaitable<void> cmd_quota(const Command& cmd);

    // Messages (cmd_fetch.cpp, cmd_store.cpp)
    asio::awaitable<void> cmd_fetch(const Command& cmd);
    asio::awaitable<const FetchAttribute*> send_fetches(const std::vector<FetchAttribute>& attributes,
                                                        const std::vector<std::size_t>& targets,
                                                        std::optional<uint64_t> changed_since, bool may_set_seen);
    asio::awaitable<void> cmd_store(const Command& cmd);
    void report_stored(const Command& cmd, const StoreArgs& args, const std::vector<std::size_t>& targets,
                       const std::vector<uint32_t>& modified);
    asio::awaitable<void> cmd_expunge(const Command& cmd);
    asio::awaitable<void> cmd_append(const Command& cmd);
    asio::awaitable<void> cmd_copy(const Command& cmd);
    asio::awaitable<void> cmd_replace(const Command& cmd);  // RFC 8508 (cmd_replace.cpp)
    // CATENATE (cmd_catenate.cpp): the message its parts make, whole, or why there is none.
    asio::awaitable<Catenated> catenate(const AppendMessage& message);
    asio::awaitable<Catenated> url_octets(const std::string& url);
    void refuse(const Command& cmd, const CatenateRefusal& refusal);
    // SEARCH, SORT, THREAD and their UID forms (cmd_search.cpp)
    asio::awaitable<void> cmd_search(const Command& cmd);
    // CONTEXT=SEARCH (RFC 5267 4.2, 4.3): ADDTO / REMOVEFROM for each kept search whose mailbox
    // changed since it was last computed; CANCELUPDATE forgets searches.
    asio::awaitable<void> send_search_updates();
    void keep_for_updates(const Command& cmd, const SearchKey& criteria, std::vector<uint32_t> uids);
    void cmd_cancel_update(const Command& cmd);
    // Indexes into selected_->messages named by a sequence set (UIDs when by_uid); nullopt when a
    // message sequence number is out of range.
    std::optional<std::vector<std::size_t>> resolve(const SequenceSet& set, bool by_uid) const;
    void report_expunged(const std::vector<uint32_t>& uids);

    std::shared_ptr<Stream> stream_;
    bool implicit_tls_;
    Services& services_;
    std::shared_ptr<const Config> config_;
    CommandAssembler assembler_;
    State state_ = State::NotAuthenticated;
    std::optional<store::Account> user_;
    std::optional<store::Account> certificate_account_;
    std::string certificate_refusal_ = "no client certificate";
    std::optional<SelectedMailbox> selected_;
    unsigned bad_commands_ = 0;
    unsigned auth_failures_ = 0;  // refused credentials and lock-out refusals, toward auth.session_failures
    bool condstore_ = false;  // CONDSTORE enabled (RFC 7162 3.1): MODSEQ in FETCH responses
    bool qresync_ = false;    // QRESYNC enabled (ENABLE QRESYNC): VANISHED instead of EXPUNGE
    bool rev2_ = false;       // IMAP4rev2 enabled (RFC 9051): ESEARCH answers, no RECENT, LIST on SELECT
    bool utf8_accept_ = false;  // UTF8=ACCEPT enabled (RFC 6855): UTF-8 names, APPEND UTF8 data
    bool woken_ = false;      // the stream was woken: the selected mailbox changed (IDLE), or NOTIFY's news
    std::shared_ptr<NotifyState> notify_;  // null unless NOTIFY SET: nothing held by other sessions
    std::chrono::steady_clock::time_point login_deadline_;  // the whole session before login
    std::optional<std::chrono::steady_clock::time_point> command_deadline_;  // the command being read
};

}  // namespace mss::imap
