// libFuzzer target: the ESMTP command parser on arbitrary lines. Checks invariants beyond "no crash":
// a parsed command's paths are valid UTF-8, DSN values within RFC 3461's bounds and round-tripping
// through xtext, and every refusal is a 5xx with an enhanced code.
#include <cstdint>
#include <string_view>

#include "smtp/parse/command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    auto parsed = mss::smtp::parse_command(line);
    if (auto* cmd = std::get_if<mss::smtp::Command>(&parsed)) {
        if (!mss::smtp::is_valid_utf8(cmd->path.local) || !mss::smtp::is_valid_utf8(cmd->path.domain))
            __builtin_trap();
        const mss::smtp::CommandLimits limits;
        // AUTH may carry an initial response (a bearer token) up to its own bound; others 512 octets.
        auto bound = cmd->verb == mss::smtp::Verb::Auth ? limits.max_auth_line : limits.max_line;
        if (line.size() > bound) __builtin_trap();
        using namespace mss::smtp;
        if (cmd->mail.envid && (cmd->mail.envid->size() > kMaxEnvid || xtext_decode(xtext_encode(*cmd->mail.envid)) != cmd->mail.envid))
            __builtin_trap();
        if (cmd->rcpt.orcpt && cmd->rcpt.orcpt->size() > kMaxOrcpt) __builtin_trap();
        if (cmd->rcpt.notify && (*cmd->rcpt.notify > 7 || notify_of(notify_text(*cmd->rcpt.notify)) != cmd->rcpt.notify))
            __builtin_trap();
    } else {
        auto& reply = std::get<mss::smtp::Reply>(parsed);
        if (reply.code < 500 || reply.code > 555 || reply.enhanced.size() != 5) __builtin_trap();
    }
    return 0;
}
