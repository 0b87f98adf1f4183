// The IMAP connection loop: bytes from the stream into the framing layer, framed commands to the
// parser, parsed commands to their group's handler by state. Responses are queued and leave when
// the client's pipelined input is used up.
#include "imap/session_state.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/text.h"

namespace mss::imap {
namespace {
constexpr unsigned kMaxBadCommands = 20;

bool is_selected_only(Verb verb) {
    switch (verb) {
        case Verb::Check: case Verb::Close: case Verb::Unselect: case Verb::Expunge: case Verb::Search:
        case Verb::Fetch: case Verb::Store: case Verb::Copy: case Verb::Move: case Verb::Sort: case Verb::Thread:
        case Verb::Replace: case Verb::CancelUpdate:
            return true;
        default: return false;
    }
}
constexpr auto kAutologout = std::chrono::minutes(30);  // RFC 3501 5.4: at least 30 minutes

}  // namespace

// Before login a command's literals hold only what LOGIN or AUTHENTICATE needs: RFC 7888 section 4
// lets a server refuse larger ones, so a stranger holds one command line (as after login: an ID
// with long parameters is sent before login too) and a few KiB more at most, and a
// non-synchronising literal too large to skip cheaply closes the connection. Non-synchronising
// literals are those of LITERAL- (4096 octets at most) before login, of LITERAL+ after.
FramingLimits before_login_limits() {
    FramingLimits limits;
    limits.max_literal = 8 * 1024;
    limits.max_append_literal = 8 * 1024;
    limits.max_literal_total = 16 * 1024;
    limits.max_literals = 4;
    limits.max_discard = 64 * 1024;
    limits.max_nonsync_literal = 4096;  // LITERAL- (RFC 7888 section 5) until login
    return limits;
}

Session::Session(std::shared_ptr<Stream> stream, bool implicit_tls, Services& services)
    : stream_(std::move(stream)),
      implicit_tls_(implicit_tls),
      services_(services),
      config_(services.config()),
      assembler_(before_login_limits()),
      login_deadline_(std::chrono::steady_clock::now() + config_->limits.login_timeout) {}

// Once logged in: an APPEND literal up to the message size limit, the framing's defaults otherwise.
void Session::lift_login_limits() {
    FramingLimits limits;
    limits.max_append_literal = config_->limits.max_message_size;
    assembler_.set_limits(limits);
}

// Before login, the whole session up to a successful login has one deadline. After, waiting for a
// command may last until autologout, but a command, once begun, must come whole in message_timeout.
void Session::bound_reads() {
    if (state_ == State::NotAuthenticated) {
        stream_->set_timeout(config_->limits.command_timeout);
        stream_->set_deadline(login_deadline_);
        return;
    }
    if (assembler_.idle()) {
        command_deadline_.reset();
        stream_->set_timeout(kAutologout);
        stream_->clear_deadline();
        return;
    }
    if (!command_deadline_) command_deadline_ = std::chrono::steady_clock::now() + config_->limits.message_timeout;
    stream_->set_timeout(config_->limits.command_timeout);
    stream_->set_deadline(*command_deadline_);
}

void Session::untagged(std::string_view text) { stream_->send(fmt::format("* {}\r\n", text)); }

void Session::ok(const Command& cmd, std::string text, Code code, std::string data) {
    send({cmd.tag, Status::Ok, code, std::move(data), std::move(text)});
}

void Session::no(const Command& cmd, Code code, std::string text) {
    send({cmd.tag, Status::No, code, {}, std::move(text)});
}

void Session::bad(const Command& cmd, std::string text) {
    ++bad_commands_;
    send({cmd.tag, Status::Bad, Code::None, {}, std::move(text)});
}

std::string Session::capabilities() const {
    std::string caps = "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE UNSELECT UIDPLUS MOVE NAMESPACE CHILDREN "
                       "SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CONDSTORE QRESYNC ACL RIGHTS=texk "
                       "QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE ESEARCH SEARCHRES SORT SORT=DISPLAY "
                       "THREAD=ORDEREDSUBJECT THREAD=REFERENCES THREAD=REFS ESORT CONTEXT=SEARCH WITHIN BINARY MULTIAPPEND UTF8=ACCEPT STATUS=SIZE "
                       "UNAUTHENTICATE";
    caps += " COMPRESS=DEFLATE METADATA";
    caps += fmt::format(" APPENDLIMIT={}", config_->limits.max_message_size);
    // issue 13, Dovecot's extensions (imapext): LITERAL- before login, LITERAL+ after (RFC 7888
    // lets a server advertise only one of them).
    caps += state_ == State::NotAuthenticated ? " LITERAL-" : " LITERAL+";
    caps += " SAVEDATE OBJECTID PREVIEW REPLACE NOTIFY";
    caps += " CATENATE URL-PARTIAL";  // RFC 4469, RFC 5550 ";PARTIAL=" in its URLs (cmd_catenate.cpp)
    if (state_ == State::NotAuthenticated) {
        if (!stream_->secure()) caps += " STARTTLS LOGINDISABLED";
        else caps += std::string(certificate_account_ ? " AUTH=PLAIN AUTH=EXTERNAL" : " AUTH=PLAIN") +
                     (config_->oauth ? " AUTH=OAUTHBEARER AUTH=XOAUTH2" : "");
    }
    return caps;
}

asio::awaitable<bool> Session::fill() {
    bound_reads();
    stream_->set_idle(assembler_.idle());
    ReadStatus status;
    std::string_view bytes = co_await stream_->read_available(status);
    stream_->set_idle(false);
    if (status == ReadStatus::Ok) {
        assembler_.feed(bytes);
        stream_->consume(bytes.size());
        co_return true;
    }
    if (status == ReadStatus::Woken) {
        woken_ = true;
        co_return true;
    }
    if (status == ReadStatus::TimedOut) {
        log::info("imap", "timeout from {} {}", stream_->peer_ip(),
                  state_ == State::NotAuthenticated ? "before login" : assembler_.idle() ? "between commands" : "inside a command");
        untagged(assembler_.idle() && state_ != State::NotAuthenticated ? "BYE Autologout; idle for too long"
                                                                        : "BYE Too slow; closing");
    }
    if (status == ReadStatus::Interrupted) untagged("BYE Server shutting down");
    co_return false;
}

asio::awaitable<void> Session::run(Admission admission) {
    if (!admission.admitted) {
        log::warn("imap", "refused {}: {}", stream_->peer_ip(), admission.reason);
        // On implicit TLS a response in clear would be garbage to the client: close instead.
        if (!implicit_tls_) untagged(fmt::format("BYE {}", admission.reason));
        co_await stream_->close();
        co_return;
    }
    log::info("imap", "connect from {}", stream_->peer_ip());
    if (implicit_tls_) {
        std::string error;
        if (!co_await stream_->handshake(error, handshake_deadline())) {
            log::warn("imap", "TLS handshake with {} failed: {}", stream_->peer_ip(), log::sanitize(error));
            co_await stream_->close();
            co_return;
        }
        co_await learn_client_certificate();
    }
    untagged(fmt::format("OK [CAPABILITY {}] mssd ready", capabilities()));
    for (;;) {
        while (auto event = assembler_.next()) {
            // A command (or its refusal) is whole: the next one gets its own deadline, even when its
            // first octets are already buffered (pipelining clients never leave the assembler idle).
            if (!std::holds_alternative<LiteralContinuation>(*event)) command_deadline_.reset();
            auto handled = handle(std::move(*event));
            if (!co_await std::move(handled)) {
                co_await stream_->close();
                co_return;
            }
        }
        // NOTIFY (RFC 5465): news told between commands, when no command has begun; a wake (a watch
        // saw a change) ends the wait for the next command and brings the loop back here.
        notify_follow_selection();
        if (notify_ && assembler_.idle()) co_await deliver_notifications();
        if (assembler_.closed() || !co_await fill()) {
            log::info("imap", "disconnect from {}", stream_->peer_ip());
            co_await stream_->close();
            co_return;
        }
        woken_ = false;
    }
}

asio::awaitable<bool> Session::handle(FrameEvent event) {
    if (auto* error = std::get_if<FramingError>(&event)) {
        send(error->response);
        if (error->close) untagged("BYE Cannot find the next command");
        co_return !error->close;
    }
    if (std::holds_alternative<LiteralContinuation>(event)) {
        stream_->send("+ Ready for literal data\r\n");
        co_return true;
    }
    if (std::holds_alternative<ContinuationLine>(event)) co_return true;  // nobody asked: ignore
    auto parsed = parse_command(std::get<AssembledCommand>(event).text, parse_options());
    if (auto* refusal = std::get_if<Response>(&parsed)) {
        if (refusal->status == Status::Bad) ++bad_commands_;
        forget_saved_search(std::get<AssembledCommand>(event).text);
        send(*refusal);
    } else {
        auto run = dispatch(std::get<Command>(parsed));
        if (!co_await std::move(run)) co_return false;
    }
    if (bad_commands_ >= kMaxBadCommands) {
        untagged("BYE Too many invalid commands");
        co_return false;
    }
    co_return state_ != State::Logout;
}

// RFC 5182 2.1: a refused SEARCH that asked to SAVE leaves "$" empty, even when the parser refused it.
void Session::forget_saved_search(std::string_view refused) {
    if (!selected_) return;
    std::string text = ascii_lower(refused.substr(0, 4096));
    if (text.find("search") != std::string::npos && text.find("save") != std::string::npos) selected_->saved_uids.clear();
}

// Reads the client's answer to a "+" continuation request (AUTHENTICATE), or nullopt if the
// connection ended or the line was refused (the refusal has been queued).
asio::awaitable<std::optional<std::string>> Session::read_continuation(const std::string& tag) {
    assembler_.expect_line(tag);
    for (;;) {
        while (auto event = assembler_.next()) {
            if (auto* line = std::get_if<ContinuationLine>(&*event)) co_return line->text;
            if (auto* error = std::get_if<FramingError>(&*event)) send(error->response);
            co_return std::nullopt;
        }
        if (assembler_.closed() || !co_await fill()) co_return std::nullopt;
    }
}

asio::awaitable<bool> Session::dispatch(const Command& cmd) {
    switch (cmd.verb) {
        case Verb::Capability: cmd_capability(cmd); co_return true;
        case Verb::Noop:
            if (state_ == State::Selected) co_await refresh(Expunges::Report);
            cmd_noop(cmd);
            co_return true;
        case Verb::Logout: cmd_logout(cmd); co_return true;
        case Verb::Id: cmd_id(cmd); co_return true;
        default: break;
    }
    if (state_ == State::NotAuthenticated) {
        switch (cmd.verb) {
            case Verb::StartTls: co_return co_await cmd_starttls(cmd);
            case Verb::Login: co_return co_await cmd_login(cmd);
            case Verb::Authenticate: co_return co_await cmd_authenticate(cmd);
            default: bad(cmd, "Log in first"); co_return true;
        }
    }
    asio::awaitable<void> work;
    switch (cmd.verb) {
        case Verb::StartTls:
        case Verb::Login:
        case Verb::Authenticate: bad(cmd, "Already authenticated"); co_return true;
        case Verb::Unauthenticate: cmd_unauthenticate(cmd); co_return true;
        case Verb::Compress: co_return co_await cmd_compress(cmd);
        case Verb::GetMetadata:
        case Verb::SetMetadata: work = cmd_metadata(cmd); break;
        case Verb::List: work = cmd_list(cmd); break;
        case Verb::Lsub: work = cmd_lsub(cmd); break;
        case Verb::Namespace: cmd_namespace(cmd); co_return true;
        case Verb::Enable: cmd_enable(cmd); co_return true;
        case Verb::Notify: work = cmd_notify(cmd); break;
        case Verb::Status: work = cmd_status(cmd); break;
        case Verb::Select:
        case Verb::Examine: work = cmd_select(cmd); break;
        case Verb::Append: work = cmd_append(cmd); break;
        case Verb::Create: work = cmd_create(cmd); break;
        case Verb::Delete: work = cmd_delete(cmd); break;
        case Verb::Rename: work = cmd_rename(cmd); break;
        case Verb::Subscribe:
        case Verb::Unsubscribe: work = cmd_subscribe(cmd); break;
        case Verb::Idle: work = cmd_idle(cmd); break;
        case Verb::GetAcl:
        case Verb::SetAcl:
        case Verb::DeleteAcl:
        case Verb::ListRights:
        case Verb::MyRights: work = cmd_acl(cmd); break;
        case Verb::GetQuota:
        case Verb::GetQuotaRoot:
        case Verb::SetQuota: work = cmd_quota(cmd); break;
        default:
            if (state_ != State::Selected) {
                if (is_selected_only(cmd.verb)) bad(cmd, "Select a mailbox first");
                else no(cmd, Code::Cannot, fmt::format("{} is not available yet", verb_name(cmd.verb)));
                co_return true;
            }
            work = selected_command(cmd);
    }
    co_await std::move(work);
    co_return true;
}

asio::awaitable<void> Session::selected_command(const Command& cmd) {
    auto check = still_allowed();
    if (!co_await std::move(check)) co_return;
    // Every command answers from the mailbox as it is now; expunges by others are told only where
    // RFC 3501 7.4.1 allows them (not in FETCH, STORE, SEARCH: the client's numbers would shift).
    bool holds_expunges = cmd.verb == Verb::Fetch || cmd.verb == Verb::Store || cmd.verb == Verb::Search ||
                          cmd.verb == Verb::Sort || cmd.verb == Verb::Thread;
    if (cmd.verb != Verb::Close && cmd.verb != Verb::Unselect)
        co_await refresh(holds_expunges ? Expunges::Hold : Expunges::Report);
    switch (cmd.verb) {
        case Verb::Fetch: co_await cmd_fetch(cmd); break;
        case Verb::Store: co_await cmd_store(cmd); break;
        case Verb::Expunge: co_await cmd_expunge(cmd); break;
        case Verb::Copy:
        case Verb::Move: co_await cmd_copy(cmd); break;
        case Verb::Search:
        case Verb::Sort:
        case Verb::Thread: co_await cmd_search(cmd); break;
        case Verb::Replace: co_await cmd_replace(cmd); break;
        case Verb::CancelUpdate: cmd_cancel_update(cmd); break;
        case Verb::Close: co_await cmd_close(cmd, true); break;
        case Verb::Unselect: co_await cmd_close(cmd, false); break;
        case Verb::Check:
            ok(cmd, "CHECK completed");
            break;
        default: no(cmd, Code::Cannot, fmt::format("{} is not available yet", verb_name(cmd.verb)));
    }
}

asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, Admission admission, bool implicit_tls,
                                  Services& services) {
    Session session(std::move(stream), implicit_tls, services);
    co_await session.run(admission);
}

}  // namespace mss::imap
