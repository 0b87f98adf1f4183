// libFuzzer target for the IMAP command assembler: the input is fed whole and in slices chosen from
// its first bytes; both must give the same events (framing must not depend on TCP segmentation),
// and every event must respect the limits. Assembled commands go through the parser too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "imap/parse/command.h"
#include "imap/parse/framing.h"

using namespace mss::imap;

namespace {

// What a session does with the events that change the assembler's mode.
void act(CommandAssembler& a, const FrameEvent& e) {
    if (auto* c = std::get_if<AssembledCommand>(&e)) {
        auto parsed = parse_command(c->text);
        if (auto* cmd = std::get_if<Command>(&parsed)) {
            if (cmd->verb == Verb::Idle || cmd->verb == Verb::Authenticate) a.expect_line(cmd->tag);
        }
    }
}

void check(const FramingLimits& l, const FrameEvent& e) {
    if (auto* c = std::get_if<AssembledCommand>(&e)) {
        if (c->literals > l.max_literals) abort();
        if (c->literal_bytes > l.max_literal_total) abort();
        if (c->text.size() > l.max_command_text + c->literal_bytes + 8 * c->literals) abort();
    } else if (auto* line = std::get_if<ContinuationLine>(&e)) {
        if (line->text.size() + 1 > l.max_line) abort();
    } else if (auto* err = std::get_if<FramingError>(&e)) {
        std::string wire = format_response(err->response);
        if (wire.find('\n') != wire.size() - 1) abort();
    }
}

std::vector<FrameEvent> run(const FramingLimits& limits, const uint8_t* data, size_t size, uint32_t seed) {
    CommandAssembler a(limits);
    std::vector<FrameEvent> events;
    size_t pos = 0;
    while (pos < size) {
        size_t n = size - pos;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            n = std::min(n, static_cast<size_t>(1 + (seed >> 16) % 97));
        }
        a.feed(std::string_view(reinterpret_cast<const char*>(data + pos), n));
        pos += n;
        while (auto e = a.next()) {
            check(limits, *e);
            act(a, *e);
            events.push_back(std::move(*e));
        }
        if (a.buffered() > 2 * limits.max_line + n) abort();  // never holds more than a line and a read
    }
    return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) return 0;
    FramingLimits limits;
    // Small limits so the fuzzer reaches every refusal quickly.
    limits.max_line = 16 + (data[0] & 0x3F);
    limits.max_command_text = limits.max_line * (1 + (data[0] >> 6));
    limits.max_literal = 8 + (data[1] & 0x1F);
    limits.max_append_literal = limits.max_literal * 4;
    limits.max_literal_total = limits.max_append_literal * (1 + (data[1] >> 6));
    limits.max_literals = 1 + ((data[1] >> 5) & 1) * 3;
    limits.max_discard = 512;
    if (data[2] & 2) limits.max_nonsync_literal = 4 + (data[0] & 7);  // LITERAL- (before login)
    uint32_t seed = data[2] | 1u;
    data += 3;
    size -= 3;
    auto whole = run(limits, data, size, 0);
    auto sliced = run(limits, data, size, seed);
    if (whole != sliced) abort();
    return 0;
}
