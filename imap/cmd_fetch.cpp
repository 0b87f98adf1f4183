// FETCH and UID FETCH (RFC 3501 6.4.5, RFC 9051 6.4.5): flags, dates, sizes, the message and its
// structure (ENVELOPE, BODY, BODYSTRUCTURE, BODY[part.section] through mime/), BINARY and
// BINARY.SIZE (RFC 3516), MODSEQ and CHANGEDSINCE (RFC 7162 3.1.4), SAVEDATE (RFC 8514), EMAILID and THREADID (RFC 8474). A non-PEEK body fetch sets
// \Seen in a read-write mailbox. Trusts the parser's values and the store; VANISHED is refused.
#include <fmt/format.h>

#include <ctime>

#include "core/blocking.h"
#include "core/date.h"
#include "imap/preview.h"
#include "imap/sections.h"
#include "imap/session_state.h"
#include "mime/bodystructure.h"

namespace mss::imap {
namespace {

bool has_item(const std::vector<FetchAttribute>& attributes, FetchItem item) {
    return std::any_of(attributes.begin(), attributes.end(), [item](auto& a) { return a.item == item; });
}

bool needs_content(const FetchAttribute& a) {
    switch (a.item) {
        case FetchItem::Flags: case FetchItem::InternalDate: case FetchItem::Rfc822Size: case FetchItem::Uid:
        case FetchItem::ModSeq: case FetchItem::SaveDate: case FetchItem::EmailId: case FetchItem::ThreadId: return false;
        default: return true;
    }
}

bool needs_structure(const FetchAttribute& a) {
    switch (a.item) {
        case FetchItem::Body: case FetchItem::BodyStructure: case FetchItem::Binary: case FetchItem::BinarySize: return true;
        case FetchItem::BodySection: return !a.section.part.empty();
        default: return false;
    }
}

bool sets_seen(const FetchAttribute& a) {
    return ((a.item == FetchItem::BodySection || a.item == FetchItem::Binary) && !a.peek) || a.item == FetchItem::Rfc822 ||
           a.item == FetchItem::Rfc822Text;
}

// What each response carries: the command's items, UID for UID FETCH (RFC 3501 6.4.8), MODSEQ under
// CHANGEDSINCE and, once CONDSTORE is enabled, beside FLAGS (RFC 7162 3.1.4).
std::vector<FetchAttribute> response_items(const FetchArgs& args, bool uid, bool condstore) {
    auto items = args.attributes;
    if (uid && !has_item(items, FetchItem::Uid)) items.insert(items.begin(), FetchAttribute{FetchItem::Uid, false, {}, {}});
    bool modseq = args.changed_since || (condstore && has_item(items, FetchItem::Flags));
    if (modseq && !has_item(items, FetchItem::ModSeq)) items.push_back(FetchAttribute{FetchItem::ModSeq, false, {}, {}});
    return items;
}

// One message as the items read it: its summary, and its octets and part tree when they need them.
struct Fetched {
    const store::MessageSummary& summary;
    bool recent;  // \Recent in this session
    std::string content;
    std::optional<mime::Part> structure;
};

std::string literal(std::string_view bytes) { return fmt::format("{{{}}}\r\n{}", bytes.size(), bytes); }

// RFC 3516 4.3: decoded octets holding NUL can only go as a literal8.
std::string binary_literal(std::string_view bytes) {
    bool nul = bytes.find('\0') != std::string_view::npos;
    return fmt::format("{}{{{}}}\r\n{}", nul ? "~" : "", bytes.size(), bytes);
}

// RFC 8970: a quoted string when it can be one, a literal otherwise (8-bit text for an IMAP4rev1 client).
std::string preview_string(const std::string& text) {
    bool quotable = std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
    if (!quotable) return literal(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

std::string flag_list(const std::vector<std::string>& flags, bool recent) {
    std::string out = recent ? "(\\Recent" : "(";
    for (auto& f : flags) out += (out.size() > 1 ? " " : "") + f;
    return out + ")";
}

std::string body_section(const FetchAttribute& a, const Fetched& f) {
    auto spec = mime_section(a.section);
    return spec.part.empty() ? mime::message_section(f.content, spec) : mime::part_section(f.content, *f.structure, spec);
}

std::string binary(const FetchAttribute& a, const Fetched& f) {
    return mime::binary_content(f.content, *f.structure, a.section.part).value_or(std::string());
}

std::string item(const FetchAttribute& a, const Fetched& f) {
    const auto& m = f.summary;
    std::string_view content = f.content;
    switch (a.item) {
        case FetchItem::Uid: return fmt::format("UID {}", m.uid);
        case FetchItem::Flags: return "FLAGS " + flag_list(m.flags, f.recent);
        case FetchItem::InternalDate: return fmt::format("INTERNALDATE \"{}\"", imap_date_time(m.internal_date));
        case FetchItem::Rfc822Size: return fmt::format("RFC822.SIZE {}", m.size);
        case FetchItem::ModSeq: return fmt::format("MODSEQ ({})", m.modseq);
        case FetchItem::SaveDate:  // RFC 8514: NIL when the message was filed before save dates were kept
            return m.save_date ? fmt::format("SAVEDATE \"{}\"", imap_date_time(*m.save_date)) : "SAVEDATE NIL";
        case FetchItem::EmailId: return fmt::format("EMAILID ({})", m.email_id);  // RFC 8474
        case FetchItem::ThreadId:  // RFC 8474 5.2: NIL for contents stored before thread ids were kept
            return m.thread_id.empty() ? std::string("THREADID NIL") : fmt::format("THREADID ({})", m.thread_id);
        case FetchItem::Preview: return "PREVIEW " + preview_string(message_preview(content));
        case FetchItem::Rfc822: return "RFC822 " + literal(content);
        case FetchItem::Rfc822Header:
            return "RFC822.HEADER " + literal(mime::message_section(content, {{}, mime::SectionText::Header, {}}));
        case FetchItem::Rfc822Text:
            return "RFC822.TEXT " + literal(mime::message_section(content, {{}, mime::SectionText::Text, {}}));
        case FetchItem::Envelope: return "ENVELOPE " + mime::envelope(content.substr(0, mime::header_length(content)));
        case FetchItem::Body: return "BODY " + mime::body_structure(content, *f.structure, false);
        case FetchItem::BodyStructure: return "BODYSTRUCTURE " + mime::body_structure(content, *f.structure, true);
        case FetchItem::BodySection: return response_name(a) + " " + literal(partial_window(body_section(a, f), a.partial));
        case FetchItem::Binary: return response_name(a) + " " + binary_literal(partial_window(binary(a, f), a.partial));
        case FetchItem::BinarySize: return fmt::format("{} {}", response_name(a), binary(a, f).size());
    }
    return {};
}

// The first BINARY item whose part has a transfer encoding we cannot remove (RFC 3516 4.2).
const FetchAttribute* undecodable(const std::vector<FetchAttribute>& attributes, const Fetched& f) {
    for (const auto& a : attributes)
        if ((a.item == FetchItem::Binary || a.item == FetchItem::BinarySize) &&
            !mime::binary_decodable(*f.structure, a.section.part))
            return &a;
    return nullptr;
}

}  // namespace

// The FETCH responses of targets (indexes into the selected mailbox); the first attribute that
// cannot be decoded ends them ([UNKNOWN-CTE]). may_set_seen false for NOTIFY's unsolicited FETCH.
asio::awaitable<const FetchAttribute*> Session::send_fetches(const std::vector<FetchAttribute>& attributes,
                                                             const std::vector<std::size_t>& targets,
                                                             std::optional<uint64_t> changed_since, bool may_set_seen) {
    bool content = std::any_of(attributes.begin(), attributes.end(), needs_content);
    bool structure = std::any_of(attributes.begin(), attributes.end(), needs_structure);
    bool seen = may_set_seen && !selected_->read_only && selected_->ref.may('s') &&
                std::any_of(attributes.begin(), attributes.end(), sets_seen);
    for (std::size_t index : targets) {
        auto& m = selected_->messages[index];
        if (changed_since && m.modseq <= *changed_since) continue;
        Fetched f{m, selected_->recent.count(m.uid) > 0, {}, {}};
        if (content) {
            auto read = run_blocking(services_.blocking, [this, uid = m.uid] {
                return services_.store.fetch_message(selected_->ref.owner, selected_->ref.folder, uid);
            });
            auto fetched = co_await std::move(read);
            if (!fetched) continue;  // expunged by another session meanwhile: nothing to say of it
            f.content = std::move(*fetched);
        }
        if (structure) f.structure = mime::parse_structure(f.content);
        if (const auto* a = undecodable(attributes, f)) co_return a;
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
                m.modseq = changed->front().modseq;
                add_flags = !has_item(attributes, FetchItem::Flags);
            }
        }
        std::string items;
        for (const auto& a : attributes) items += (items.empty() ? "" : " ") + item(a, f);
        if (add_flags) items += " FLAGS " + flag_list(m.flags, f.recent);
        if (add_flags && condstore_ && !has_item(attributes, FetchItem::ModSeq)) items += fmt::format(" MODSEQ ({})", m.modseq);
        stream_->send(fmt::format("* {} FETCH ({})\r\n", index + 1, items));
    }
    co_return nullptr;
}

asio::awaitable<void> Session::cmd_fetch(const Command& cmd) {
    const auto& args = std::get<FetchArgs>(cmd.args);
    if (args.vanished && !qresync_) co_return bad(cmd, "QRESYNC is not enabled");
    auto targets = resolve(args.set, cmd.uid);
    if (!targets) co_return bad(cmd, "Invalid message sequence number");
    if (args.vanished) co_await report_vanished_since(args.set, *args.changed_since);
    if (args.changed_since || has_item(args.attributes, FetchItem::ModSeq)) enable_condstore();  // RFC 7162 3.1
    auto attributes = response_items(args, cmd.uid, condstore_);
    auto sent = send_fetches(attributes, *targets, args.changed_since, true);
    if (const auto* a = co_await std::move(sent))
        co_return no(cmd, Code::UnknownCte, fmt::format("Unknown Content-Transfer-Encoding in {}", response_name(*a)));
    ok(cmd, cmd.uid ? "UID FETCH completed" : "FETCH completed");
}

}  // namespace mss::imap
