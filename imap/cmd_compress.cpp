// COMPRESS=DEFLATE (RFC 4978): once the tagged OK is sent, both directions of the connection are
// raw deflate (core/deflate.h), over TLS or plain TCP alike. Trusts the filter to refuse a corrupt
// stream (the connection then ends) and to bound what one read inflates to.
#include "core/deflate.h"
#include "core/log.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<bool> Session::cmd_compress(const Command& cmd) {
    if (stream_->filtered()) {
        no(cmd, Code::CompressionActive, "DEFLATE is already active");
        co_return true;
    }
    if (std::get<CompressArgs>(cmd.args).mechanism != "DEFLATE") {
        bad(cmd, "Unknown compression mechanism");
        co_return true;
    }
    ok(cmd, "DEFLATE active");
    if (!co_await stream_->flush()) co_return false;
    // The client compresses from the octet after our OK: anything it sent before is not part of
    // the compressed stream, and taking it as such would misread it.
    if (std::size_t dropped = assembler_.discard_buffered() + stream_->discard_input())
        log::warn("imap", "{}: dropped {} octets pipelined after COMPRESS", stream_->peer_ip(), dropped);
    stream_->set_filter(make_deflate_filter());
    co_return true;
}

}  // namespace mss::imap
