// DATA and BDAT readers: automata over the octets (runs of plain octets inside a line taken at once),
// so any slicing of the input gives the same result.
#include "smtp/parse/content.h"

namespace mss::smtp {
namespace {
// DataReader states: where we are relative to the last CRLF.
enum State { LineStart = 0, InLine, SawCr, DotAtStart, DotCr };
const Reply kTooBig{552, "5.3.4", "Message too big"};
const Reply kBareLf{550, "5.6.0", "Message contains a bare LF or CR (RFC 5321 2.3.8)"};
const Reply kNul{550, "5.6.0", "Message contains a NUL octet"};
const Reply kLongLine{550, "5.6.0", "Message line too long (RFC 5321 4.5.3.1.6)"};
}  // namespace

DataReader::DataReader(ContentLimits limits) : limits_(limits) { state_ = LineStart; }

void DataReader::violate(Reply reply) {
    if (!verdict_) verdict_ = std::move(reply);
    message_.clear();
    message_.shrink_to_fit();
}

void DataReader::append(char c) {
    if (verdict_) return;
    if (++total_ > limits_.max_size) return violate(kTooBig);
    message_ += c;
}

// A run of plain octets inside a line, kept at once: the same verdict as taking them one by one (at
// the first octet over a limit, the line check comes before the size check).
void DataReader::append_plain(std::string_view run) {
    std::size_t line_room = limits_.max_line > line_len_ + 2 ? limits_.max_line - line_len_ - 2 : 0;
    line_len_ += run.size();
    if (verdict_) return;
    uint64_t size_room = limits_.max_size > total_ ? limits_.max_size - total_ : 0;
    if (run.size() > line_room && line_room <= size_room) return violate(kLongLine);
    if (run.size() > size_room) return violate(kTooBig);
    total_ += run.size();
    message_.append(run);
}

namespace {
bool is_plain(char c) { return c != '\r' && c != '\n' && c != '\0'; }

// The plain octets of bytes from `from` on (bytes[from] being one), up to the first CR, LF or NUL.
std::string_view plain_run(std::string_view bytes, std::size_t from) {
    std::size_t end = from + 1;
    while (end < bytes.size() && is_plain(bytes[end])) ++end;
    return bytes.substr(from, end - from);
}
}  // namespace

std::size_t DataReader::feed(std::string_view bytes) {
    std::size_t i = 0;
    for (; i < bytes.size() && !done_; ++i) {
        char c = bytes[i];
        switch (state_) {
            case DotAtStart:  // "." at a line start: end, or a stuffed dot
                if (c == '\r') {
                    state_ = DotCr;
                    continue;
                }
                state_ = InLine;  // dot-unstuffing: drop the dot, keep c
                line_len_ = 1;
                break;
            case DotCr:
                if (c == '\n') {
                    done_ = true;
                    continue;
                }
                violate(kBareLf);  // ".\r" then not LF
                state_ = InLine;
                break;
            case LineStart:
                if (c == '.') {
                    state_ = DotAtStart;
                    continue;
                }
                state_ = InLine;
                break;
            case SawCr:
                if (c == '\n') {
                    append('\r');
                    append('\n');
                    state_ = LineStart;
                    line_len_ = 0;
                    continue;
                }
                violate(kBareLf);
                state_ = InLine;
                break;
            default: break;
        }
        // InLine with c
        if (c == '\r') {
            state_ = SawCr;
            continue;
        }
        if (c == '\n') {  // bare LF: never a line start, so "\n.\r\n" cannot end the data (smuggling)
            violate(kBareLf);
            line_len_ = 0;
            continue;
        }
        if (c == '\0') {
            violate(kNul);
            ++line_len_;
            continue;
        }
        std::string_view run = plain_run(bytes, i);
        append_plain(run);
        i += run.size() - 1;
    }
    return i;
}

std::string DataReader::take_message() {
    std::string out;
    if (!verdict_) out.swap(message_);
    return out;
}

ChunkReader::ChunkReader(ContentLimits limits) : limits_(limits) {}

void ChunkReader::violate(Reply reply) {
    if (!verdict_) verdict_ = std::move(reply);
    message_.clear();
    message_.shrink_to_fit();
}

// A run of plain octets inside a line (no CR pending), kept at once; per octet the size check comes
// before the line check.
void ChunkReader::append_plain(std::string_view run) {
    uint64_t size_room = limits_.max_size > total_ ? limits_.max_size - total_ : 0;
    std::size_t line_room = limits_.max_line > line_len_ + 2 ? limits_.max_line - line_len_ - 2 : 0;
    if (run.size() > size_room && size_room <= line_room) return violate(kTooBig);
    if (run.size() > line_room) return violate(kLongLine);
    total_ += run.size();
    line_len_ += run.size();
    message_.append(run);
}

void ChunkReader::feed(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (verdict_) return;
        char c = bytes[i];
        if (!prev_cr_ && is_plain(c)) {
            std::string_view run = plain_run(bytes, i);
            append_plain(run);
            i += run.size() - 1;
            continue;
        }
        if (++total_ > limits_.max_size) return violate(kTooBig);
        if (prev_cr_ && c != '\n') return violate(kBareLf);
        if (c == '\n' && !prev_cr_) return violate(kBareLf);
        if (c == '\0') return violate(kNul);
        if (c == '\n') line_len_ = 0;
        else if (c != '\r' && ++line_len_ + 2 > limits_.max_line) return violate(kLongLine);
        prev_cr_ = c == '\r';
        message_ += c;
    }
}

std::string ChunkReader::take_message() {
    if (!verdict_ && prev_cr_) violate(kBareLf);
    std::string out;
    if (!verdict_) out.swap(message_);
    return out;
}

}  // namespace mss::smtp
