// IMAP command framing (RFC 3501 4.3, RFC 7888 LITERAL+ and LITERAL-, RFC 3516 literal8): raw client bytes in,
// whole commands out, "+" requests for synchronising literals, every size limit refused with its
// exact response. No I/O; memory bounded by the limits and one read. Trusts nothing about the bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "imap/parse/response_code.h"

namespace mss::imap {

struct FramingLimits {
    std::size_t max_line = 72 * 1024;                 // one line outside literals, CRLF included
    std::size_t max_command_text = 72 * 1024;        // all lines of a command, literals excluded
    uint64_t max_literal = 64 * 1024;                 // one literal of any command but APPEND
    uint64_t max_append_literal = 25 * 1024 * 1024;   // one literal of APPEND: the message size limit
    uint64_t max_literal_total = 64 * 1024 * 1024;    // all literals of one command (MULTIAPPEND)
    std::size_t max_literals = 100;                   // literals per command
    uint64_t max_discard = 64 * 1024 * 1024;          // a refused non-synchronising literal up to this
                                                      // size is read and dropped; beyond, we close
    // LITERAL- (RFC 7888 section 5): non-synchronising literals of at most this many octets;
    // nullopt for LITERAL+ (any size the other limits allow).
    std::optional<uint64_t> max_nonsync_literal;
};

// A whole command: its lines joined with CRLF, each literal inline after its "{N}\r\n" header (as
// parse_command reads it), the final CRLF removed.
struct AssembledCommand {
    std::string text;
    std::size_t literals = 0;
    uint64_t literal_bytes = 0;
    bool operator==(const AssembledCommand&) const = default;
};

// A synchronising literal was accepted: send a continuation request ("+ Ready\r\n") now.
struct LiteralContinuation {
    uint64_t size = 0;
    bool operator==(const LiteralContinuation&) const = default;
};

// The line asked for with expect_line(): IDLE's "DONE", a SASL response. CRLF removed.
struct ContinuationLine {
    std::string text;
    bool operator==(const ContinuationLine&) const = default;
};

// The command (or continuation line) was refused; send response. The command is over: the rest of
// it is dropped here, including the bytes of a refused non-synchronising literal. When close is
// set, the assembler cannot find the next command boundary: send the response, then BYE, and
// close the connection.
struct FramingError {
    Response response;
    bool close = false;
    bool operator==(const FramingError&) const = default;
};

using FrameEvent = std::variant<AssembledCommand, LiteralContinuation, ContinuationLine, FramingError>;

// Refusals, each with its response ("tag" is the command's tag, "*" when it has none yet):
//   line longer than max_line                    -> tag BAD [TOOBIG] Command line too long
//   lines longer than max_command_text together  -> tag BAD [TOOBIG] Command too long
//   more than max_literals literals              -> tag BAD [LIMIT] Too many literals
//   APPEND (or REPLACE) literal over max_append_literal, or over max_literal_total with the others
//                                                -> tag NO [TOOBIG] Message too large (RFC 7889)
//   other literal over max_literal (or the total) -> tag BAD [TOOBIG] Literal too large
//   non-synchronising literal over max_nonsync_literal (LITERAL-), APPEND's too
//                                                -> tag BAD [TOOBIG] (RFC 7888 section 5)
//   size not a number that fits in 64 bits       -> as too large
//   continuation line longer than max_line       -> tag (given to expect_line) BAD [TOOBIG]
// After a refused synchronising literal the client sends nothing more of the command (it got no
// "+"); after a refused non-synchronising one its bytes still come and are skipped, as are the
// rest of the command's lines and literals. Empty lines between commands are ignored.
class CommandAssembler {
public:
    explicit CommandAssembler(FramingLimits limits = {});
    // New limits, from the next check on (after login: larger literals are allowed).
    void set_limits(const FramingLimits& limits) { limits_ = limits; }

    // Appends bytes. Call it when next() returned nullopt (it wants more); the buffer then holds at
    // most one read plus a partial line.
    void feed(std::string_view bytes);
    // The next event, or nullopt when more bytes are needed (or after a closing error).
    std::optional<FrameEvent> next();

    // Between commands: the next line is a ContinuationLine (no literal in it), for IDLE's DONE or
    // an AUTHENTICATE response. tag is the waiting command's, used if that line is refused.
    void expect_line(std::string tag);
    // Drops the bytes received but not yet assembled and returns their count: after STARTTLS, what
    // came in clear after the command must not be read as if it came over TLS (RFC 3501 11.1).
    std::size_t discard_buffered();
    // Bytes fed but not yet consumed.
    std::size_t buffered() const { return in_.size() - pos_; }
    // No command is half-assembled and nothing is buffered.
    bool idle() const;
    bool closed() const { return state_ == State::Closed; }

private:
    enum class State { Line, Literal, SkipLine, SkipLiteral, Closed };
    struct Header {
        uint64_t size = 0;
        bool overflow = false;  // not a number we can hold (or cut off in a skipped line)
        bool sync = true;
    };

    std::optional<FrameEvent> on_line(std::string_view line);
    std::optional<FrameEvent> line_too_long();
    FrameEvent refuse(Response response, std::optional<Header> header);
    std::optional<FrameEvent> end_skipped_line();
    Response error(Status status, Code code, std::string text) const;
    static std::optional<Header> literal_header(std::string_view line, bool truncated);
    void reset_command();
    void close();

    FramingLimits limits_;
    std::string in_;
    std::size_t pos_ = 0;
    std::size_t scanned_ = 0;  // bytes of the current line already searched for LF
    State state_ = State::Line;
    bool line_mode_ = false;
    bool skip_plain_ = false;  // the line being skipped is a continuation line: no literal in it
    std::string line_tag_;

    std::string cmd_;
    bool first_line_ = true;
    std::string tag_;
    bool append_ = false;
    std::size_t text_bytes_ = 0;
    std::size_t literals_ = 0;
    uint64_t literal_bytes_ = 0;
    uint64_t left_ = 0;  // literal bytes still to read or skip
    std::string tail_;   // the end of the line being skipped, where a literal header would be
    bool tail_cut_ = false;  // tail_ lost the start of that line
};

}  // namespace mss::imap
