// libFuzzer target for the IMAP command parser: any bytes in, a Command or a one-line response out;
// sequence sets survive a round trip through their wire form, and modified UTF-7 encoding of valid
// UTF-8 decodes back to it; NOTIFY's groups and APPEND's messages and CATENATE parts keep the
// parser's rules and bounds. The first byte picks the parser options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "imap/parse/command.h"
#include "imap/parse/mutf7.h"

using namespace mss::imap;

namespace {

void round_trip(const SequenceSet& s) {
    auto again = parse_sequence_set(s.to_string());
    if (!std::holds_alternative<SequenceSet>(again) || std::get<SequenceSet>(again) != s) abort();
    (void)s.count(1000);
    (void)s.contains(7, 1000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    ParseOptions options;
    options.utf8_names = data[0] & 1;
    if (data[0] & 2) {
        options.max_search_depth = 4;
        options.max_search_keys = 16;
        options.max_ranges = 8;
        options.max_mailbox_name = 16;
        options.max_append_messages = 2;
        options.max_catenate_parts = 3;
    }
    options.hierarchy_separator = (data[0] & 4) ? '.' : '/';
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    auto parsed = parse_command(text, options);
    if (auto* r = std::get_if<Response>(&parsed)) {
        std::string wire = format_response(*r);
        if (wire.find('\n') != wire.size() - 1 || r->status == Status::Ok) abort();
    } else {
        const Command& c = std::get<Command>(parsed);
        if (c.tag.empty()) abort();
        if (auto* f = std::get_if<FetchArgs>(&c.args)) {
            round_trip(f->set);
            for (const FetchAttribute& a : f->attributes) (void)response_name(a);
        } else if (auto* s = std::get_if<StoreArgs>(&c.args)) {
            round_trip(s->set);
        } else if (auto* cp = std::get_if<CopyArgs>(&c.args)) {
            round_trip(cp->set);
        } else if (auto* n = std::get_if<NotifyArgs>(&c.args)) {
            // The parser's own bounds and rules (command.cpp): 64 groups, 64 mailboxes in one,
            // MessageNew only with MessageExpunge for the selected mailbox.
            if (n->none != n->groups.empty() || n->groups.size() > 64) abort();
            for (const NotifyGroup& g : n->groups) {
                if (g.mailboxes.size() > 64) abort();
                bool selected = g.filter == NotifyFilter::Selected || g.filter == NotifyFilter::SelectedDelayed;
                if (selected && g.has(NotifyEvent::MessageNew) != g.has(NotifyEvent::MessageExpunge)) abort();
                for (const FetchAttribute& a : g.fetch) (void)response_name(a);
            }
        } else if (auto* ap = std::get_if<AppendArgs>(&c.args)) {
            // The parser's bounds (command.cpp): max_append_messages, max_catenate_parts per message;
            // a CATENATE message carries its octets in its parts only.
            if (ap->messages.empty() || ap->messages.size() > options.max_append_messages) abort();
            for (const AppendMessage& m : ap->messages)
                if (m.catenate.size() > options.max_catenate_parts || (!m.catenate.empty() && !m.data.empty())) abort();
        } else if (auto* sel = std::get_if<SelectArgs>(&c.args)) {
            // A decoded name encodes back to a name that decodes to the same.
            if (!options.utf8_names) {
                auto back = mutf7_decode(mutf7_encode(sel->mailbox));
                if (!back || *back != sel->mailbox) abort();
            }
        }
    }

    if (is_valid_utf8(text)) {
        auto back = mutf7_decode(mutf7_encode(text));
        if (!back || *back != text) abort();
    }
    if (auto d = mutf7_decode(text)) {
        if (mutf7_encode(*d) != text) abort();
    }
    return 0;
}
