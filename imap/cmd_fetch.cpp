// FETCH and UID FETCH (RFC 3501 6.4.5): UID, FLAGS, INTERNALDATE, RFC822.SIZE, RFC822(.HEADER/.TEXT)
// and BODY[section]<partial> of the whole message. A non-PEEK body fetch sets \Seen in a
// read-write mailbox. Structure items (ENVELOPE, BODYSTRUCTURE, MIME parts, BINARY) are refused
// with NO [CANNOT] until they are served, rather than answered wrongly.
#include <fmt/format.h>

#include <ctime>

#include "core/blocking.h"
#include "imap/sections.h"
#include "imap/session_state.h"

namespace mss::imap {
namespace {

bool served(const FetchAttribute& a) {
    switch (a.item) {
        case FetchItem::Flags: case FetchItem::InternalDate: case FetchItem::Rfc822: case FetchItem::Rfc822Header:
        case FetchItem::Rfc822Size: case FetchItem::Rfc822Text: case FetchItem::Uid: return true;
        case FetchItem::BodySection: return a.section.part.empty() && a.section.text != SectionText::Mime;
        default: return false;
    }
}

bool needs_content(const FetchAttribute& a) {
    return a.item == FetchItem::Rfc822 || a.item == FetchItem::Rfc822Header || a.item == FetchItem::Rfc822Text ||
           a.item == FetchItem::BodySection;
}

bool sets_seen(const FetchAttribute& a) {
    return (a.item == FetchItem::BodySection && !a.peek) || a.item == FetchItem::Rfc822 || a.item == FetchItem::Rfc822Text;
}

std::string internal_date(int64_t t) {
    std::time_t when = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&when, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%d-%b-%Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string literal(std::string_view bytes) { return fmt::format("{{{}}}\r\n{}", bytes.size(), bytes); }

std::string flag_list(const std::vector<std::string>& flags) {
    std::string out = "(";
    for (auto& f : flags) out += (out.size() > 1 ? " " : "") + f;
    return out + ")";
}

std::string item(const FetchAttribute& a, const store::MessageSummary& m, const std::string& content) {
    switch (a.item) {
        case FetchItem::Uid: return fmt::format("UID {}", m.uid);
        case FetchItem::Flags: return "FLAGS " + flag_list(m.flags);
        case FetchItem::InternalDate: return fmt::format("INTERNALDATE \"{}\"", internal_date(m.internal_date));
        case FetchItem::Rfc822Size: return fmt::format("RFC822.SIZE {}", m.size);
        case FetchItem::Rfc822: return "RFC822 " + literal(content);
        case FetchItem::Rfc822Header: return "RFC822.HEADER " + literal(*section_bytes(content, {{}, SectionText::Header, {}}));
        case FetchItem::Rfc822Text: return "RFC822.TEXT " + literal(*section_bytes(content, {{}, SectionText::Text, {}}));
        default: {
            std::string bytes = section_bytes(content, a.section).value_or(std::string());
            return response_name(a) + " " + literal(partial_window(bytes, a.partial));
        }
    }
}

}  // namespace

asio::awaitable<void> Session::cmd_fetch(const Command& cmd) {
    const auto& args = std::get<FetchArgs>(cmd.args);
    for (const auto& a : args.attributes)
        if (!served(a)) co_return no(cmd, Code::Cannot, fmt::format("{} is not served yet", response_name(a)));
    if (args.changed_since || args.vanished) co_return no(cmd, Code::Cannot, "CONDSTORE is not enabled");
    auto targets = resolve(args.set, cmd.uid);
    if (!targets) co_return bad(cmd, "Invalid message sequence number");
    auto attributes = args.attributes;
    if (cmd.uid && std::none_of(attributes.begin(), attributes.end(), [](auto& a) { return a.item == FetchItem::Uid; }))
        attributes.insert(attributes.begin(), FetchAttribute{FetchItem::Uid, false, {}, {}});
    bool content = std::any_of(attributes.begin(), attributes.end(), needs_content);
    bool seen = !selected_->read_only && std::any_of(attributes.begin(), attributes.end(), sets_seen);
    for (std::size_t index : *targets) {
        auto& m = selected_->messages[index];
        std::string bytes;
        if (content) {
            auto read = run_blocking(services_.blocking, [this, uid = m.uid] {
                return services_.store.fetch_message(selected_->ref.owner, selected_->ref.folder, uid);
            });
            auto fetched = co_await std::move(read);
            if (!fetched) continue;  // expunged by another session meanwhile: nothing to say of it
            bytes = std::move(*fetched);
        }
        bool add_flags = false;
        if (seen && std::find(m.flags.begin(), m.flags.end(), "\\Seen") == m.flags.end()) {
            std::vector<uint32_t> one = {m.uid};
            std::vector<std::string> flag = {"\\Seen"};
            auto mark = run_blocking(services_.blocking, [this, one, flag] {
                return services_.store.update_flags(selected_->ref.owner, selected_->ref.folder, one, store::FlagMode::Add, flag);
            });
            auto changed = co_await std::move(mark);
            if (changed && !changed->empty()) {
                m.flags = changed->front().flags;
                add_flags = std::none_of(attributes.begin(), attributes.end(),
                                         [](auto& a) { return a.item == FetchItem::Flags; });
            }
        }
        std::string items;
        for (const auto& a : attributes) items += (items.empty() ? "" : " ") + item(a, m, bytes);
        if (add_flags) items += " FLAGS " + flag_list(m.flags);
        stream_->send(fmt::format("* {} FETCH ({})\r\n", index + 1, items));
    }
    ok(cmd, cmd.uid ? "UID FETCH completed" : "FETCH completed");
}

}  // namespace mss::imap
