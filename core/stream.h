// A client connection as protocols see it: plain TCP that can turn into TLS (STARTTLS or implicit),
// bounded line reads, a timeout on every read and an overall deadline over several (a slow sender
// cannot stretch a command, a message or a handshake), output held back while the client's pipelined
// input is still buffered (RFC 2920: one write per batch). Trusts nothing read from the peer.
#pragma once
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/tls.h"

namespace mss {

// Completion token for awaiting an operation and getting its error code as a value, not a throw.
inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

enum class ReadStatus {
    Ok,
    TooLong,     // the line exceeded the limit; it was consumed up to its LF and dropped
    Closed,      // peer closed or the connection failed
    TimedOut,    // the deadline passed
    Interrupted,  // interrupt() was called while waiting (server shutting down)
    Woken         // wake() was called while waiting for a command: the protocol has news to send
};

// A transformation of the octets between the transport (TCP or TLS) and the protocol, which a
// protocol installs once both sides have agreed to it (IMAP COMPRESS=DEFLATE). Whatever it decodes
// comes from the peer and is trusted no more than before.
class StreamFilter {
public:
    virtual ~StreamFilter() = default;
    // Appends to `plain` what `wire` (after what was kept from earlier calls) decodes to, stopping
    // once about `max` octets were produced; what it did not decode yet is kept for the next call.
    // False when the input is not a valid encoding: the connection cannot go on.
    virtual bool decode(std::string_view wire, std::string& plain, std::size_t max) = 0;
    // Input kept by decode() and not decoded yet: the next read needs no octet from the peer.
    virtual bool has_pending_input() const = 0;
    // Appends to `wire` a burst of output, encoded so that the peer can decode all of it now.
    virtual bool encode(std::string_view plain, std::string& wire) = 0;
    // The stream has waited for the peer's next command for a while (Stream's rest_after): state
    // that can be rebuilt may go. Called between two decode() calls, never during one.
    virtual void rest() {}
};

struct LineRead {
    ReadStatus status = ReadStatus::Closed;
    std::string line;  // with its terminator, when status == Ok
};

class Stream : public std::enable_shared_from_this<Stream> {
public:
    Stream(asio::ip::tcp::socket socket, tls::Context tls);

    const std::string& peer_ip() const { return peer_ip_; }
    bool secure() const { return secure_; }
    SSL* ssl() { return ssl_.native_handle(); }

    // Server side handshake, which must end by `deadline` and ends at once on interrupt(); false
    // (and the reason) when it failed.
    asio::awaitable<bool> handshake(std::string& error, std::chrono::steady_clock::time_point deadline);
    // The same as the client of a STARTTLS we asked for (our relay to another operator).
    asio::awaitable<bool> client_handshake(std::string& error, std::chrono::steady_clock::time_point deadline);
    // Drops any buffered input: after STARTTLS nothing sent in clear may be taken as encrypted.
    std::size_t discard_input();
    bool has_buffered_line() const;

    // Each read waits at most `timeout`, and none goes past the deadline, when one is set: a peer
    // sending one octet at a time meets the deadline whatever the timeout.
    void set_timeout(std::chrono::steady_clock::duration timeout) { timeout_ = timeout; }
    void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
    void clear_deadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }
    asio::awaitable<LineRead> read_line(std::size_t max);
    // Buffered input, reading from the peer first if none is buffered; empty with status set on failure.
    asio::awaitable<std::string_view> read_available(ReadStatus& status);
    // Reads from the peer once more, keeping what is buffered, and returns all of it: for parsers
    // that need more than the bytes they were given (an HTTP header cut by a TCP segment).
    asio::awaitable<std::string_view> read_more(ReadStatus& status);
    void consume(std::size_t n);

    // Queues output; it is written before the next read that would block, or by flush(), within the
    // timeout (false, and the stream timed out, when the client does not take it in time).
    void send(std::string_view bytes) { out_ += bytes; }
    std::size_t queued() const { return out_.size(); }
    asio::awaitable<bool> flush();
    // Flushes, sends TLS close_notify and closes, without waiting for the peer's close_notify
    // (RFC 8446 6.1 allows it): the connection and its slot are freed at once. With Linger::Yes, the
    // peer may still be sending what we refused (an HTTP body): its octets are read and dropped for
    // up to 2 s first, since closing on unread input sends a reset that can destroy our answer before
    // the peer reads it (RFC 9112 9.6).
    enum class Linger { No, Yes };
    asio::awaitable<void> close(Linger linger = Linger::No);

    // From now on, what is read is decoded and what is written encoded by `filter`. Input already
    // buffered is not: the protocol says what happens to it (discard_input() first). Once the
    // stream has waited `rest_after` for a command (10 s unless told), the filter rests
    // (StreamFilter::rest): a busy session never pays for rebuilding its state, an idle one keeps
    // it small.
    void set_filter(std::unique_ptr<StreamFilter> filter);
    void set_filter(std::unique_ptr<StreamFilter> filter, std::chrono::steady_clock::duration rest_after);
    bool filtered() const { return filter_ != nullptr; }

    // Marks the stream as waiting for the next command: only then may interrupt() end a read.
    void set_idle(bool idle) { idle_ = idle; }
    // For shutdown: a read waiting for a command (now or next) returns Interrupted; reads inside a
    // transaction (DATA, BDAT, AUTH) go on, so the transaction can finish.
    void interrupt();
    // From any thread: a read waiting for a command (now or next) returns Woken, once, and the
    // stream stays usable (IMAP IDLE tells the client of changes). Reads inside a transaction go on.
    void wake();
    // For a shutdown whose grace time is over: from any thread, ends every wait on the peer now
    // (the session sees Closed and ends; nothing it had not acknowledged is kept).
    void abort();

private:
    asio::awaitable<bool> handshake_as(asio::ssl::stream_base::handshake_type role, std::string& error,
                                       std::chrono::steady_clock::time_point deadline);
    asio::awaitable<ReadStatus> fill();
    // Through the filter into the buffered input; Closed (and logged) when the peer's octets do not decode.
    ReadStatus decode(std::string_view wire);
    // Cancels the socket's pending operation when `expiry` passes (sets timed_out_).
    void arm_timer(std::chrono::steady_clock::time_point expiry);
    void disarm_timer();
    // The filter rests once rest_after_ has passed since the peer last sent anything (waits ended
    // early to tell news do not count; a handler queued when disarmed is ignored, by its generation).
    void arm_rest();
    void disarm_rest();
    // When the next wait on the peer must end: the timeout from now, or the deadline if sooner.
    std::chrono::steady_clock::time_point next_expiry() const;
    std::size_t buffered() const { return in_.size() - in_pos_; }

    asio::ssl::stream<asio::ip::tcp::socket> ssl_;
    asio::steady_timer timer_;
    tls::Context tls_;
    std::string peer_ip_;
    bool secure_ = false;
    bool timed_out_ = false;
    unsigned timer_generation_ = 0;  // a timer handler already queued when cancelled is ignored
    bool interrupted_ = false;
    bool aborted_ = false;
    bool idle_ = false;
    bool handshaking_ = false;
    bool woken_ = false;
    std::chrono::steady_clock::duration timeout_ = std::chrono::minutes(5);
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
    std::string in_;
    std::size_t in_pos_ = 0;
    std::string out_;
    std::unique_ptr<StreamFilter> filter_;
    std::unique_ptr<asio::steady_timer> rest_timer_;  // only for a filtered stream
    std::chrono::steady_clock::duration rest_after_{};
    std::chrono::steady_clock::time_point last_input_{};
    unsigned rest_generation_ = 0;
};

}  // namespace mss
