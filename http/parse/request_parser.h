// Reads one HTTP/1.1 request (RFC 9112) from bytes, with Boost.Beast's parser underneath: pure (no
// I/O), bounded (request line, header section, body) and strict where requests get smuggled: both
// Content-Length and Transfer-Encoding, two Content-Lengths, a coding other than chunked, obs-fold.
// Trusts nothing it is fed; every refusal carries the status to answer before closing.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace mss::http {

struct ParseLimits {
    std::size_t max_request_line = 8192;  // 414 past it
    std::size_t max_header = 16384;       // request line and fields; 431 past it
    uint64_t max_body = 10 * 1024 * 1024; // 413 past it
};

// Why a request was refused: the status to answer (400, 413, 414, 417, 431, 501, 505) and, for the
// log, what was wrong. The connection is closed after answering: its framing can no longer be trusted.
struct ParseError {
    int status = 400;
    std::string reason;
};

class RequestParser {
public:
    explicit RequestParser(const ParseLimits& limits);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Takes what it can of bytes and says how many it took: the caller drops those and calls again
    // with the rest and more. Stops at the end of one request, leaving what follows (a pipelined
    // request) untouched.
    std::size_t feed(std::string_view bytes);

    bool started() const;         // some bytes of a request were taken
    bool header_done() const;
    bool complete() const;
    const std::optional<ParseError>& error() const;
    // The header asked for "100-continue" and the body has not started: the client waits for a 100.
    bool expects_continue() const;
    // The client keeps the connection (HTTP/1.1 without "Connection: close", HTTP/1.0 with keep-alive).
    bool keep_alive() const;
    // The request, once complete().
    Request take();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mss::http
