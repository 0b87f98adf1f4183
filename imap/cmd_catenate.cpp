// CATENATE (RFC 4469): an APPEND or REPLACE message built from TEXT parts the client sends and IMAP
// URLs (RFC 5092) naming messages or sections it may read here: its own mailboxes and the shared
// ones where it holds "r" (RFC 4314). The message is built whole in memory before the single store
// write, so a refused URL or size leaves nothing behind. Trusts the parser's values; checks every
// URL against the signed-in user, this server's name, the mailbox's rights and UIDVALIDITY.
#include <fmt/format.h>

#include "core/blocking.h"
#include "core/log.h"
#include "imap/parse/imap_url.h"
#include "imap/sections.h"
#include "imap/session_state.h"
#include "mime/bodystructure.h"

namespace mss::imap {
namespace {

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

// BODY[section] of the stored message (RFC 4469 5: the octets FETCH would give, still encoded);
// nullopt when the section names a part that does not exist.
std::optional<std::string> section_octets(std::string_view message, const Section& section) {
    if (section.part.empty()) return mime::message_section(message, mime_section(section));
    auto root = mime::parse_structure(message);
    if (!mime::find_part(root, section.part)) return std::nullopt;
    return mime::part_section(message, root, mime_section(section));
}

// ";PARTIAL=offset[.length]" (RFC 5092 9, RFC 5550): length 0 reads to the end.
std::string partial_octets(std::string octets, const std::optional<Partial>& partial) {
    if (!partial) return octets;
    if (partial->offset >= octets.size()) return {};
    std::size_t length = partial->length ? static_cast<std::size_t>(partial->length) : std::string::npos;
    return octets.substr(static_cast<std::size_t>(partial->offset), length);
}

}  // namespace

asio::awaitable<Catenated> Session::url_octets(const std::string& text) {
    auto bad_url = [&](std::string_view why) -> Catenated {
        log::info("imap", "CATENATE URL refused for {}: {}: {}", user_->address, why, log::sanitize(text));
        return CatenateRefusal{Code::BadUrl, badurl_text(text), fmt::format("Bad URL: {}", why)};
    };
    auto url = parse_imap_url(text);
    if (!url) co_return bad_url("not an IMAP URL naming a message");
    if (url->urlauth) co_return bad_url("URLAUTH is not offered");
    // Absolute URLs name this server and the signed-in user only (RFC 4469 5); another user's
    // mailboxes are reached through the shared namespace, under their ACL.
    if (url->absolute && (!iequal(url->host, config_->hostname) || !iequal(url->user, user_->address)))
        co_return bad_url("another server or user");
    if (!url->mailbox && !selected_) co_return bad_url("relative URL without a selected mailbox");
    std::string name = url->mailbox ? *url->mailbox : selected_->ref.name;
    auto mailbox = co_await find_mailbox(name);
    if (!mailbox || !mailbox->may('r')) co_return bad_url("no such mailbox or no right to read it");
    if (url->uidvalidity && *url->uidvalidity != mailbox->info.uidvalidity) co_return bad_url("UIDVALIDITY changed");
    auto read = run_blocking(services_.blocking, [&store = services_.store, owner = mailbox->owner,
                                                  folder = mailbox->folder, uid = url->uid] {
        return store.fetch_message(owner, folder, uid);
    });
    auto message = co_await std::move(read);
    if (!message) co_return bad_url("no such message");
    auto octets = section_octets(*message, url->section);
    if (!octets) co_return bad_url("no such section");
    co_return partial_octets(std::move(*octets), url->partial);
}

asio::awaitable<Catenated> Session::catenate(const AppendMessage& message) {
    const uint64_t limit = config_->limits.max_message_size;
    auto too_big = CatenateRefusal{Code::TooBig, {}, "The message would be larger than APPENDLIMIT"};
    uint64_t sent = 0;
    for (const CatenatePart& part : message.catenate)
        if (part.kind == CatenatePart::Kind::Text) sent += part.data.size();
    if (sent > limit) co_return too_big;  // before reading any URL
    std::string built;
    for (const CatenatePart& part : message.catenate) {
        if (part.kind == CatenatePart::Kind::Text) {
            built += part.data;
        } else {
            auto octets = co_await url_octets(part.data);
            if (auto* refusal = std::get_if<CatenateRefusal>(&octets)) co_return std::move(*refusal);
            built += std::get<std::string>(octets);
        }
        if (built.size() > limit) co_return too_big;
    }
    co_return built;
}

void Session::refuse(const Command& cmd, const CatenateRefusal& refusal) {
    send({cmd.tag, Status::No, refusal.code, refusal.data, refusal.text});
}

}  // namespace mss::imap
