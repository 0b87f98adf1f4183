// Pure, bounded readers for message content: DATA (dot-stuffed, ended by CRLF.CRLF, RFC 5321
// 4.1.1.4 and 4.5.2) and BDAT chunks (RFC 3030). Fed any slicing of the bytes, they keep at most
// max_size octets and decide one verdict for the whole message. Trust nothing about the bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/parse/reply.h"

namespace mss::smtp {

struct ContentLimits {
    uint64_t max_size = 25 * 1024 * 1024;  // octets of message kept at most
    std::size_t max_line = 1000;           // octets per line, CRLF included (RFC 5321 4.5.3.1.6)
};

// Verdicts, the first violation wins (checked as bytes arrive; storage stops at the first one):
//   size over max_size           -> 552 5.3.4 "Message too big"
//   bare LF or bare CR           -> 550 5.6.0 (RFC 5321 2.3.8; message not stored)
//   NUL byte                     -> 550 5.6.0
//   line over max_line           -> 550 5.6.0
class DataReader {
public:
    explicit DataReader(ContentLimits limits);
    // Consumes bytes up to and including the terminating CRLF.CRLF; returns how many it consumed
    // (fewer than given only when it found the end). Bytes after the end belong to the next command.
    std::size_t feed(std::string_view bytes);
    bool done() const { return done_; }
    // Once done: nullopt for a clean message, else the reply for the first violation.
    const std::optional<Reply>& verdict() const { return verdict_; }
    // The message, dot-unstuffed, CRLF line ends, without the terminating ".CRLF" (empty after a
    // violation: nothing half-written is kept).
    std::string take_message();

private:
    ContentLimits limits_;
    std::string message_;
    std::optional<Reply> verdict_;
    bool done_ = false;
    int state_ = 0;            // position in the line-start / dot / CR / LF automaton
    std::size_t line_len_ = 0;
    uint64_t total_ = 0;
    void violate(Reply reply);
    void append(char c);
    void append_plain(std::string_view run);
};

// BDAT: chunk contents are taken as they come (no dot-stuffing); the same line checks apply across
// chunk boundaries, since we do not offer BINARYMIME.
class ChunkReader {
public:
    explicit ChunkReader(ContentLimits limits);
    void feed(std::string_view chunk_bytes);
    // nullopt while clean; the first violation otherwise.
    const std::optional<Reply>& verdict() const { return verdict_; }
    std::string take_message();

private:
    ContentLimits limits_;
    std::string message_;
    std::optional<Reply> verdict_;
    bool prev_cr_ = false;
    std::size_t line_len_ = 0;
    uint64_t total_ = 0;
    void violate(Reply reply);
    void append_plain(std::string_view run);
};

}  // namespace mss::smtp
