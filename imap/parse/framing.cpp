// The command assembler's state machine: lines, literals, and the skipping that follows a refusal
// (a refused non-synchronising literal's bytes still arrive and must not be read as commands).
// Trusts nothing about the bytes; events do not depend on how the input was sliced.
#include "imap/parse/framing.h"

#include <algorithm>
#include <cstring>

#include "imap/parse/command.h"

namespace mss::imap {

namespace {

constexpr std::size_t kTail = 32;  // "~{" + 20 digits + "+}" fits

// Keeps the last kTail bytes of a skipped line; cut is set once any byte was dropped.
void keep_tail(std::string& tail, bool& cut, std::string_view more) {
    if (more.size() >= kTail) {
        cut = cut || more.size() > kTail || !tail.empty();
        tail.assign(more.substr(more.size() - kTail));
        return;
    }
    tail.append(more);
    if (tail.size() > kTail) {
        tail.erase(0, tail.size() - kTail);
        cut = true;
    }
}

// The word at `at` is `word` (upper-case letters), case-insensitively, followed by SP or the end.
bool word_at(std::string_view line, std::size_t at, std::string_view word) {
    if (line.size() < at + word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if ((line[at + i] & ~0x20) != word[i]) return false;
    return line.size() == at + word.size() || line[at + word.size()] == ' ';
}

// APPEND, and REPLACE / UID REPLACE (RFC 8508), whose literal is a message too.
bool is_append(std::string_view line) {
    std::string_view tag = command_tag(line);
    if (tag.empty()) return false;
    std::size_t verb = tag.size() + 1;
    if (word_at(line, verb, "UID")) verb += 4;
    return (verb == tag.size() + 1 && word_at(line, verb, "APPEND")) || word_at(line, verb, "REPLACE");
}

}  // namespace

CommandAssembler::CommandAssembler(FramingLimits limits) : limits_(limits) {}

void CommandAssembler::feed(std::string_view bytes) {
    if (state_ == State::Closed) return;
    if (pos_ == in_.size()) {
        in_.clear();
        pos_ = 0;
    } else if (pos_ > 0 && pos_ >= in_.size() / 2) {
        in_.erase(0, pos_);
        pos_ = 0;
    }
    in_.append(bytes);
}

void CommandAssembler::expect_line(std::string tag) {
    line_mode_ = true;
    line_tag_ = std::move(tag);
}

std::size_t CommandAssembler::discard_buffered() {
    std::size_t n = in_.size() - pos_;
    in_.clear();
    pos_ = 0;
    scanned_ = 0;
    return n;
}

bool CommandAssembler::idle() const {
    return state_ == State::Line && first_line_ && buffered() == 0;
}

Response CommandAssembler::error(Status status, Code code, std::string text) const {
    return Response{tag_, status, code, "", std::move(text)};
}

// Nothing more will be read: drop what is buffered too (callers hold no view into it).
void CommandAssembler::close() {
    state_ = State::Closed;
    in_.clear();
    pos_ = 0;
    scanned_ = 0;
}

void CommandAssembler::reset_command() {
    cmd_.clear();
    first_line_ = true;
    tag_.clear();
    append_ = false;
    text_bytes_ = 0;
    literals_ = 0;
    literal_bytes_ = 0;
}

// A literal header at the end of a line: ["~"] "{" 1*DIGIT ["+"] "}". truncated: line is only the
// end of a longer line, so a run of digits reaching its start may have lost some.
std::optional<CommandAssembler::Header> CommandAssembler::literal_header(std::string_view line, bool truncated) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    Header h;
    std::size_t end = line.size() - 1;
    if (end > 0 && line[end - 1] == '+') {
        h.sync = false;
        --end;
    }
    std::size_t start = end;
    while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9') --start;
    if (start == end) return std::nullopt;
    if (start == 0) {
        if (!truncated) return std::nullopt;
        h.overflow = true;  // the digits may go on before what we kept: we cannot tell the size
        return h;
    }
    if (line[start - 1] != '{') return std::nullopt;
    std::string_view digits = line.substr(start, end - start);
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    if (digits.size() > 19) {
        h.overflow = true;
        return h;
    }
    for (char c : digits) h.size = h.size * 10 + static_cast<uint64_t>(c - '0');
    return h;
}

FrameEvent CommandAssembler::refuse(Response response, std::optional<Header> header) {
    FramingError err{std::move(response), false};
    reset_command();
    if (!header || header->sync) {
        // Nothing follows: the client waits for a "+" it will not get, and reads the refusal.
        state_ = State::Line;
    } else if (header->overflow || header->size > limits_.max_discard) {
        close();
        err.close = true;
    } else {
        // RFC 7888: the literal's bytes come anyway; drop them and the rest of the command.
        state_ = State::SkipLiteral;
        left_ = header->size;
        literals_ = 1;
        skip_plain_ = false;
    }
    scanned_ = 0;
    return err;
}

std::optional<FrameEvent> CommandAssembler::line_too_long() {
    std::string_view start(in_.data() + pos_, limits_.max_line);
    FramingError err;
    if (line_mode_) {
        err.response = Response{line_tag_, Status::Bad, Code::TooBig, "", "Line too long"};
        line_mode_ = false;
        skip_plain_ = true;
    } else {
        if (first_line_) {
            std::string_view tag = command_tag(start);
            if (tag.size() < start.size()) tag_ = std::string(tag);  // followed by SP, not cut off
        }
        err.response = error(Status::Bad, Code::TooBig, "Command line too long");
        skip_plain_ = false;
        std::size_t literals = literals_;
        reset_command();
        literals_ = literals;
    }
    tail_.clear();
    tail_cut_ = false;
    keep_tail(tail_, tail_cut_, start);
    pos_ += limits_.max_line;
    scanned_ = 0;
    state_ = State::SkipLine;
    return err;
}

// The LF of a line being skipped: a non-synchronising literal header at its end means more bytes
// of the refused command follow.
std::optional<FrameEvent> CommandAssembler::end_skipped_line() {
    if (!tail_.empty() && tail_.back() == '\r') tail_.pop_back();
    std::optional<Header> h = skip_plain_ ? std::nullopt : literal_header(tail_, tail_cut_);
    tail_.clear();
    tail_cut_ = false;
    if (!h || h->sync) {
        reset_command();
        state_ = State::Line;
        return std::nullopt;
    }
    if (h->overflow || h->size > limits_.max_discard || ++literals_ > limits_.max_literals) {
        close();
        return FramingError{Response{"", Status::Bye, Code::TooBig, "", "Too much data to skip"}, true};
    }
    left_ = h->size;
    state_ = State::SkipLiteral;
    return std::nullopt;
}

std::optional<FrameEvent> CommandAssembler::on_line(std::string_view line) {
    if (line_mode_) {
        line_mode_ = false;
        return ContinuationLine{std::string(line)};
    }
    if (first_line_) {
        if (line.empty()) return std::nullopt;
        tag_ = std::string(command_tag(line));
        append_ = is_append(line);
        first_line_ = false;
    }
    std::optional<Header> h = literal_header(line, false);
    text_bytes_ += line.size() + 2;
    if (text_bytes_ > limits_.max_command_text)
        return refuse(error(Status::Bad, Code::TooBig, "Command too long"), h);
    cmd_.append(line);
    if (!h) {
        AssembledCommand done{std::move(cmd_), literals_, literal_bytes_};
        reset_command();
        return done;
    }
    if (++literals_ > limits_.max_literals) return refuse(error(Status::Bad, Code::Limit, "Too many literals"), h);
    if (!h->sync && limits_.max_nonsync_literal && (h->overflow || h->size > *limits_.max_nonsync_literal))
        return refuse(error(Status::Bad, Code::TooBig, "Non-synchronising literal too large (LITERAL-)"), h);
    uint64_t max = append_ ? limits_.max_append_literal : limits_.max_literal;
    if (h->overflow || h->size > max || h->size > limits_.max_literal_total - literal_bytes_) {
        if (append_) return refuse(error(Status::No, Code::TooBig, "Message too large"), h);
        return refuse(error(Status::Bad, Code::TooBig, "Literal too large"), h);
    }
    literal_bytes_ += h->size;
    cmd_ += "\r\n";
    left_ = h->size;
    state_ = State::Literal;
    if (h->sync) return LiteralContinuation{h->size};
    return std::nullopt;
}

std::optional<FrameEvent> CommandAssembler::next() {
    while (true) {
        std::size_t avail = in_.size() - pos_;
        switch (state_) {
            case State::Closed:
                return std::nullopt;
            case State::Literal:
            case State::SkipLiteral: {
                if (left_ > 0 && avail == 0) return std::nullopt;
                std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(left_, avail));
                if (state_ == State::Literal) cmd_.append(in_, pos_, n);
                pos_ += n;
                left_ -= n;
                if (left_ > 0) return std::nullopt;
                scanned_ = 0;
                if (state_ == State::SkipLiteral) {
                    tail_.clear();
                    tail_cut_ = false;
                    state_ = State::SkipLine;
                } else {
                    state_ = State::Line;
                }
                break;
            }
            case State::Line: {
                std::size_t window = std::min(avail, limits_.max_line);
                const char* base = in_.data() + pos_;
                const void* lf = window > scanned_ ? std::memchr(base + scanned_, '\n', window - scanned_) : nullptr;
                if (!lf) {
                    if (avail >= limits_.max_line) return line_too_long();
                    scanned_ = window;
                    return std::nullopt;
                }
                std::size_t len = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
                std::string_view line(base, len);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                pos_ += len + 1;
                scanned_ = 0;
                // line points into in_, which on_line does not modify.
                if (auto event = on_line(line)) return event;
                break;
            }
            case State::SkipLine: {
                const char* base = in_.data() + pos_;
                const void* lf = avail ? std::memchr(base, '\n', avail) : nullptr;
                if (!lf) {
                    keep_tail(tail_, tail_cut_, std::string_view(base, avail));
                    pos_ += avail;
                    return std::nullopt;
                }
                std::size_t len = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
                keep_tail(tail_, tail_cut_, std::string_view(base, len));
                pos_ += len + 1;
                if (auto event = end_skipped_line()) return event;
                break;
            }
        }
    }
}

}  // namespace mss::imap
