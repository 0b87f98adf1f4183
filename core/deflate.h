// Raw deflate both ways (RFC 1951, as IMAP COMPRESS=DEFLATE uses it: RFC 4978), as a StreamFilter.
// Trusts nothing it inflates: a corrupt stream is an error, and each read's output is bounded.
#pragma once
#include <memory>

#include "core/stream.h"

namespace mss {

// Between commands the compressor is released (the next one starts from the last 1 KiB sent, as a
// dictionary), and the decompressor keeps only the octets of its window the peer has sent (at most
// 32 KiB, deflated when over 4 KiB), so an idle compressed connection costs a few KiB more than a
// plain one instead of zlib's ~300 KiB (docs/performance.md, "COMPRESS=DEFLATE").
std::unique_ptr<StreamFilter> make_deflate_filter();

}  // namespace mss
