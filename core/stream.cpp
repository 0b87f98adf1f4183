// Stream implementation: reads go through TLS once it is on; a timer cancels a read that overruns.
#include "core/stream.h"

#include <algorithm>

#include "core/log.h"

namespace mss {
namespace {
// What one read may add to the buffered input once decoded: a few octets of deflate can stand for
// megabytes, and the line and literal bounds are only checked between reads.
constexpr std::size_t kMaxDecodedPerRead = 64 * 1024;
// How long a filtered stream waits for a command before its filter rests: longer than a busy
// client's pause between two commands, short beside an idle session's life (bench/compress_idle.py
// reads its memory that long after the sessions went idle).
constexpr std::chrono::seconds kFilterRestAfter{10};
}  // namespace

Stream::Stream(asio::ip::tcp::socket socket, tls::Context tls)
    : ssl_(std::move(socket), *tls), timer_(ssl_.get_executor()), tls_(std::move(tls)) {
    std::error_code ec;
    auto ep = ssl_.next_layer().remote_endpoint(ec);
    peer_ip_ = ec ? "unknown" : ep.address().to_string();
}

asio::awaitable<bool> Stream::handshake(std::string& error, std::chrono::steady_clock::time_point deadline) {
    co_return co_await handshake_as(asio::ssl::stream_base::server, error, deadline);
}

asio::awaitable<bool> Stream::client_handshake(std::string& error, std::chrono::steady_clock::time_point deadline) {
    co_return co_await handshake_as(asio::ssl::stream_base::client, error, deadline);
}

asio::awaitable<bool> Stream::handshake_as(asio::ssl::stream_base::handshake_type role, std::string& error,
                                           std::chrono::steady_clock::time_point deadline) {
    if (interrupted_ || aborted_) {
        error = "server shutting down";
        co_return false;
    }
    handshaking_ = true;
    arm_timer(deadline);
    auto [ec] = co_await ssl_.async_handshake(role, use_tuple);
    disarm_timer();
    handshaking_ = false;
    if (ec) {
        error = timed_out_ ? "no handshake before the deadline" : interrupted_ ? "server shutting down" : ec.message();
        co_return false;
    }
    secure_ = true;
    co_return true;
}

void Stream::arm_timer(std::chrono::steady_clock::time_point expiry) {
    timed_out_ = false;
    unsigned generation = ++timer_generation_;
    timer_.expires_at(expiry);
    timer_.async_wait([weak = weak_from_this(), generation](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->timer_generation_ != generation) return;
        self->timed_out_ = true;
        std::error_code ignored;
        self->ssl_.next_layer().cancel(ignored);
    });
}

std::chrono::steady_clock::time_point Stream::next_expiry() const {
    auto now = std::chrono::steady_clock::now();
    return deadline_ - now < timeout_ ? deadline_ : now + timeout_;
}

void Stream::disarm_timer() {
    ++timer_generation_;
    timer_.cancel();
}

void Stream::set_filter(std::unique_ptr<StreamFilter> filter) { set_filter(std::move(filter), kFilterRestAfter); }

void Stream::set_filter(std::unique_ptr<StreamFilter> filter, std::chrono::steady_clock::duration rest_after) {
    filter_ = std::move(filter);
    rest_after_ = rest_after;
    last_input_ = std::chrono::steady_clock::now();
    if (!rest_timer_) rest_timer_ = std::make_unique<asio::steady_timer>(ssl_.get_executor());
}

void Stream::arm_rest() {
    unsigned generation = ++rest_generation_;
    // Waits ended early to tell news do not count as input: past the time, the filter rests again at
    // once, so what sending the news took (a compressor) goes too.
    rest_timer_->expires_at(last_input_ + rest_after_);
    rest_timer_->async_wait([weak = weak_from_this(), generation](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->rest_generation_ != generation || !self->filter_) return;
        self->filter_->rest();
    });
}

void Stream::disarm_rest() {
    ++rest_generation_;
    rest_timer_->cancel();
}

std::size_t Stream::discard_input() {
    std::size_t dropped = buffered();
    in_.clear();
    in_pos_ = 0;
    return dropped;
}

bool Stream::has_buffered_line() const {
    return std::find(in_.begin() + static_cast<std::ptrdiff_t>(in_pos_), in_.end(), '\n') != in_.end();
}

void Stream::consume(std::size_t n) {
    in_pos_ += std::min(n, buffered());
    if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
    }
}

asio::awaitable<ReadStatus> Stream::fill() {
    if (!out_.empty() && !co_await flush()) co_return ReadStatus::Closed;
    if (interrupted_ && idle_) co_return ReadStatus::Interrupted;
    if (woken_ && idle_) {
        woken_ = false;
        co_return ReadStatus::Woken;
    }
    if (in_pos_ > 0 && in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
    }
    if (aborted_) co_return ReadStatus::Closed;
    if (filter_ && filter_->has_pending_input()) co_return decode({});
    if (filter_ && idle_) arm_rest();
    arm_timer(next_expiry());
    // The read buffer is on the heap, sized for what is coming, not a 16 KiB array on this frame:
    // a connection waiting for its next command (idle_: IMAP IDLE, between commands) would hold
    // that for as long as it waits. A small read is still correct over TLS: what a record holds
    // beyond it stays in OpenSSL and the next read returns it without waiting for the peer.
    // Measured by bench/compare_dovecot.sh: 6-7 KiB less RSS per idle connection (docs/performance.md).
    const std::size_t want = idle_ ? 1024 : 16384;
    std::unique_ptr<char[]> chunk(new char[want]);
    std::error_code ec;
    std::size_t n = 0;
    if (secure_)
        std::tie(ec, n) = co_await ssl_.async_read_some(asio::buffer(chunk.get(), want), use_tuple);
    else
        std::tie(ec, n) =
            co_await ssl_.next_layer().async_read_some(asio::buffer(chunk.get(), want), use_tuple);
    disarm_timer();
    if (filter_) {
        disarm_rest();
        if (n > 0) last_input_ = std::chrono::steady_clock::now();
    }
    // Octets that decode to nothing yet (half a deflate block) are still a successful read.
    if (filter_ && n > 0 && decode(std::string_view(chunk.get(), n)) != ReadStatus::Ok) co_return ReadStatus::Closed;
    if (!filter_) in_.append(chunk.get(), n);
    if (n > 0) co_return ReadStatus::Ok;
    if (timed_out_) co_return ReadStatus::TimedOut;
    if (interrupted_ && idle_) co_return ReadStatus::Interrupted;
    if (woken_ && idle_ && ec == asio::error::operation_aborted) {
        woken_ = false;
        co_return ReadStatus::Woken;
    }
    co_return ec ? ReadStatus::Closed : ReadStatus::Ok;
}

ReadStatus Stream::decode(std::string_view wire) {
    if (filter_->decode(wire, in_, kMaxDecodedPerRead)) return ReadStatus::Ok;
    log::warn("stream", "{}: input that does not decode, closing", peer_ip_);
    aborted_ = true;  // nothing more is read or written on a stream out of step with its peer
    return ReadStatus::Closed;
}

asio::awaitable<LineRead> Stream::read_line(std::size_t max) {
    bool overflow = false;
    for (;;) {
        auto begin = in_.begin() + static_cast<std::ptrdiff_t>(in_pos_);
        auto lf = std::find(begin, in_.end(), '\n');
        if (lf != in_.end()) {
            std::size_t len = static_cast<std::size_t>(lf - begin) + 1;
            LineRead r;
            if (overflow || len > max) {
                r.status = ReadStatus::TooLong;
            } else {
                r.status = ReadStatus::Ok;
                r.line.assign(begin, lf + 1);
            }
            consume(len);
            co_return r;
        }
        if (buffered() > max) {  // keep memory bounded: drop what we hold of the overlong line
            overflow = true;
            consume(buffered());
        }
        auto status = co_await fill();
        if (status != ReadStatus::Ok) co_return LineRead{status, {}};
    }
}

asio::awaitable<std::string_view> Stream::read_available(ReadStatus& status) {
    status = ReadStatus::Ok;
    while (buffered() == 0) {
        status = co_await fill();
        if (status != ReadStatus::Ok) co_return std::string_view();
    }
    co_return std::string_view(in_).substr(in_pos_);
}

asio::awaitable<std::string_view> Stream::read_more(ReadStatus& status) {
    status = co_await fill();
    if (status != ReadStatus::Ok) co_return std::string_view();
    co_return std::string_view(in_).substr(in_pos_);
}

asio::awaitable<bool> Stream::flush() {
    if (out_.empty()) co_return true;
    if (aborted_) co_return false;
    std::string pending;
    pending.swap(out_);
    if (filter_) {
        std::string encoded;
        if (!filter_->encode(pending, encoded)) co_return false;
        pending.swap(encoded);
    }
    // A peer that stops reading must not hold the session for ever: writes have the reads' bounds.
    arm_timer(next_expiry());
    std::error_code ec;
    if (secure_)
        std::tie(ec, std::ignore) =
            co_await asio::async_write(ssl_, asio::buffer(pending), use_tuple);
    else
        std::tie(ec, std::ignore) = co_await asio::async_write(ssl_.next_layer(), asio::buffer(pending),
                                                               use_tuple);
    disarm_timer();
    co_return !ec;
}

asio::awaitable<void> Stream::close(Linger linger) {
    co_await flush();
    std::error_code ignored;
    if (linger == Linger::Yes && !aborted_) {
        // What the peer still sends is read and dropped until it closes (it stops once it has read
        // our answer) or the timer ends it.
        arm_timer(std::chrono::steady_clock::now() + std::chrono::seconds(2));
        char drop[4096];
        for (std::error_code ec; !ec;) {
            if (secure_) std::tie(ec, std::ignore) = co_await ssl_.async_read_some(asio::buffer(drop), use_tuple);
            else std::tie(ec, std::ignore) = co_await ssl_.next_layer().async_read_some(asio::buffer(drop), use_tuple);
        }
        disarm_timer();
    }
    if (secure_ && !aborted_ && !timed_out_) {
        // After our close_notify is written, OpenSSL waits to read the peer's: the receive side is
        // shut first, so that read ends at once, and the timer bounds a peer that stalls our write.
        ssl_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
        arm_timer(std::chrono::steady_clock::now() + std::chrono::seconds(2));
        co_await ssl_.async_shutdown(use_tuple);
        disarm_timer();
    }
    ssl_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    ssl_.next_layer().close(ignored);
}

void Stream::interrupt() {
    asio::post(ssl_.get_executor(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->interrupted_ = true;
            if (!self->idle_ && !self->handshaking_) return;
            std::error_code ignored;
            self->ssl_.next_layer().cancel(ignored);
        }
    });
}

void Stream::wake() {
    asio::post(ssl_.get_executor(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->woken_ = true;
            if (!self->idle_) return;
            std::error_code ignored;
            self->ssl_.next_layer().cancel(ignored);
        }
    });
}

void Stream::abort() {
    asio::post(ssl_.get_executor(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->aborted_ = true;
            std::error_code ignored;
            self->ssl_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            self->ssl_.next_layer().cancel(ignored);
        }
    });
}

}  // namespace mss
