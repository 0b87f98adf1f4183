// DATA and BDAT readers: byte-at-a-time automata, so any slicing of the input gives the same result.
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
        if (c == '\0') violate(kNul);
        if (++line_len_ + 2 > limits_.max_line) violate(kLongLine);
        append(c);
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

void ChunkReader::feed(std::string_view bytes) {
    for (char c : bytes) {
        if (verdict_) return;
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
