// The Session class shared by session.cpp (connection loop) and the cmd_*.cpp command groups.
// Private to imap/: nothing outside includes it.
#pragma once
#include <optional>
#include <string>

#include "imap/parse/command.h"
#include "imap/parse/framing.h"
#include "imap/session.h"

namespace mss::imap {

enum class State { NotAuthenticated, Authenticated, Selected, Logout };

class Session {
public:
    Session(std::shared_ptr<Stream> stream, bool implicit_tls, Services& services);
    asio::awaitable<void> run(Admission admission);

private:
    // Connection loop (session.cpp)
    asio::awaitable<bool> handle(FrameEvent event);
    asio::awaitable<bool> dispatch(const Command& cmd);
    asio::awaitable<std::optional<std::string>> read_continuation(const std::string& tag);
    asio::awaitable<bool> fill();
    void send(const Response& response) { stream_->send(format_response(response)); }
    void untagged(std::string_view text);
    void ok(const Command& cmd, std::string text, Code code = Code::None, std::string data = {});
    void no(const Command& cmd, Code code, std::string text);
    void bad(const Command& cmd, std::string text);
    std::string capabilities() const;
    ParseOptions parse_options() const { return {}; }

    // Any state (cmd_any.cpp)
    void cmd_capability(const Command& cmd);
    void cmd_noop(const Command& cmd);
    void cmd_logout(const Command& cmd);
    void cmd_id(const Command& cmd);

    // Not authenticated (cmd_auth.cpp)
    asio::awaitable<bool> cmd_starttls(const Command& cmd);
    asio::awaitable<void> cmd_login(const Command& cmd);
    asio::awaitable<bool> cmd_authenticate(const Command& cmd);
    asio::awaitable<void> learn_client_certificate();
    void logged_in(const Command& cmd, store::Account account, std::string_view how);

    std::shared_ptr<Stream> stream_;
    bool implicit_tls_;
    Services& services_;
    std::shared_ptr<const Config> config_;
    CommandAssembler assembler_;
    State state_ = State::NotAuthenticated;
    std::optional<store::Account> user_;
    std::optional<store::Account> certificate_account_;
    std::string certificate_refusal_ = "no client certificate";
    unsigned bad_commands_ = 0;
};

}  // namespace mss::imap
