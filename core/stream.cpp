// Stream implementation: reads go through TLS once it is on; a timer cancels a read that overruns.
#include "core/stream.h"

#include <algorithm>

namespace mss {

Stream::Stream(asio::ip::tcp::socket socket, tls::Context tls)
    : ssl_(std::move(socket), *tls), timer_(ssl_.get_executor()), tls_(std::move(tls)) {
    std::error_code ec;
    auto ep = ssl_.next_layer().remote_endpoint(ec);
    peer_ip_ = ec ? "unknown" : ep.address().to_string();
}

// A client that connects and never finishes its handshake is cut at the same deadline as a read.
asio::awaitable<bool> Stream::handshake(std::string& error) {
    arm_deadline();
    auto [ec] = co_await ssl_.async_handshake(asio::ssl::stream_base::server, use_tuple);
    timer_.cancel();
    if (ec) {
        error = timed_out_ ? "no handshake within the timeout" : ec.message();
        co_return false;
    }
    secure_ = true;
    co_return true;
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

void Stream::arm_deadline() {
    timer_.expires_after(timeout_);
    timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
        if (ec) return;
        if (auto self = weak.lock()) {
            self->timed_out_ = true;
            std::error_code ignored;
            self->ssl_.next_layer().cancel(ignored);
        }
    });
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
    arm_deadline();
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
    timer_.cancel();
    in_.append(chunk.get(), n);
    if (n > 0) co_return ReadStatus::Ok;
    if (timed_out_) co_return ReadStatus::TimedOut;
    if (interrupted_ && idle_) co_return ReadStatus::Interrupted;
    if (woken_ && idle_ && ec == asio::error::operation_aborted) {
        woken_ = false;
        co_return ReadStatus::Woken;
    }
    co_return ec ? ReadStatus::Closed : ReadStatus::Ok;
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

// Writes have the same deadline as reads: a client that stops reading cannot hold its connection
// (and the output queued for it) beyond the timeout.
asio::awaitable<bool> Stream::flush() {
    if (out_.empty()) co_return true;
    std::string pending;
    pending.swap(out_);
    std::error_code ec;
    arm_deadline();
    if (secure_)
        std::tie(ec, std::ignore) =
            co_await asio::async_write(ssl_, asio::buffer(pending), use_tuple);
    else
        std::tie(ec, std::ignore) = co_await asio::async_write(ssl_.next_layer(), asio::buffer(pending),
                                                               use_tuple);
    timer_.cancel();
    co_return !ec;
}

asio::awaitable<void> Stream::close() {
    co_await flush();
    if (secure_) {
        timer_.expires_after(std::chrono::seconds(2));
        timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                std::error_code ignored;
                self->ssl_.next_layer().cancel(ignored);
            }
        });
        co_await ssl_.async_shutdown(use_tuple);
        timer_.cancel();
    }
    std::error_code ignored;
    ssl_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    ssl_.next_layer().close(ignored);
}

void Stream::interrupt() {
    asio::post(ssl_.get_executor(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->interrupted_ = true;
            if (!self->idle_) return;
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

}  // namespace mss
