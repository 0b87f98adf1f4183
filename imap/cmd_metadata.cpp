// METADATA (RFC 5464): GETMETADATA and SETMETADATA on a mailbox the user sees, or on the server
// (mailbox ""). /private entries are the user's own, /shared entries everyone's; the store keeps
// both (store::Store::annotations). Trusts the parser for entry names; checks rights and limits.
#include <fmt/format.h>

#include <algorithm>

#include "core/blocking.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

constexpr std::size_t kMaxValueSize = 16 * 1024;  // [METADATA MAXSIZE] past it
constexpr std::size_t kMaxEntries = 100;          // per mailbox, as one user sees it: [METADATA TOOMANY]

// Whether `entry` is `asked` or below it within `depth` levels (-1: any).
bool within(const std::string& entry, const std::string& asked, int depth) {
    if (entry == asked) return true;
    if (depth == 0 || !entry.starts_with(asked + "/")) return false;
    return depth < 0 || entry.find('/', asked.size() + 1) == std::string::npos;
}

// A value as IMAP sends it: quoted when short and plain, a literal otherwise, literal8 if it holds NUL.
std::string value_string(const std::string& value) {
    bool plain = value.size() <= 256 && std::all_of(value.begin(), value.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (plain) return "\"" + value + "\"";
    bool nul = value.find('\0') != std::string::npos;
    return fmt::format("{}{{{}}}\r\n{}", nul ? "~" : "", value.size(), value);
}

}  // namespace

asio::awaitable<void> Session::cmd_metadata(const Command& cmd) {
    bool get = cmd.verb == Verb::GetMetadata;
    const std::string& name = get ? std::get<GetMetadataArgs>(cmd.args).mailbox : std::get<SetMetadataArgs>(cmd.args).mailbox;
    int64_t folder_id = 0;
    std::string rights = "lrw";  // the server's /private entries and reading its /shared ones
    std::string wire = "\"\"";
    if (!name.empty()) {
        auto mailbox = co_await find_mailbox(name);
        if (!mailbox) co_return no(cmd, Code::NonExistent, "No such mailbox");
        folder_id = mailbox->info.id;
        rights = mailbox->rights;
        wire = wire_name(mailbox->name);
    }
    int64_t account = user_->id;
    if (get) {
        const auto& args = std::get<GetMetadataArgs>(cmd.args);
        auto lookup = run_blocking(services_.blocking, [&store = services_.store, folder_id, account] {
            return store.annotations(folder_id, account);
        });
        auto stored = co_await std::move(lookup);
        if (!stored) co_return no(cmd, Code::ServerBug, "Annotations cannot be read now");
        std::string items;
        std::size_t longest = 0;
        for (const auto& a : *stored) {
            bool shared = a.entry.starts_with("/shared/");
            if (shared && rights.find('r') == std::string::npos) continue;
            if (!std::any_of(args.entries.begin(), args.entries.end(),
                             [&](const std::string& asked) { return within(a.entry, asked, args.depth); }))
                continue;
            if (args.max_size && a.value.size() > *args.max_size) {
                longest = std::max(longest, a.value.size());
                continue;
            }
            items += (items.empty() ? "" : " ") + a.entry + " " + value_string(a.value);
        }
        if (!items.empty()) untagged(fmt::format("METADATA {} ({})", wire, items));
        if (longest > 0) co_return ok(cmd, "GETMETADATA completed", Code::Metadata, fmt::format("LONGENTRIES {}", longest));
        co_return ok(cmd, "GETMETADATA completed");
    }
    const auto& args = std::get<SetMetadataArgs>(cmd.args);
    std::vector<store::AnnotationChange> changes;
    for (const auto& [entry, value] : args.values) {
        bool shared = entry.starts_with("/shared/");
        // The server's /shared entries are the operator's; a mailbox's need the right to write it.
        if (shared && (name.empty() || rights.find('w') == std::string::npos))
            co_return no(cmd, Code::NoPerm, fmt::format("{} cannot be set here", shared ? "/shared" : "/private"));
        if (value && value->size() > kMaxValueSize)
            co_return send({cmd.tag, Status::No, Code::Metadata, fmt::format("MAXSIZE {}", kMaxValueSize), "Value too large"});
        changes.push_back({entry, value});
    }
    auto write = run_blocking(services_.blocking, [&store = services_.store, folder_id, account, &changes] {
        return store.set_annotations(folder_id, account, changes, kMaxEntries);
    });
    auto written = co_await std::move(write);
    if (!written && written.error().kind == ErrorKind::Invalid)
        co_return send({cmd.tag, Status::No, Code::Metadata, "TOOMANY", "Too many entries"});
    if (!written) co_return no(cmd, Code::ServerBug, "Annotations cannot be written now");
    ok(cmd, "SETMETADATA completed");
}

}  // namespace mss::imap
