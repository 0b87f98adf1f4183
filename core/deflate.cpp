// zlib behind StreamFilter: inflate with the largest window (the peer chooses its own, up to 32 KiB,
// and raw deflate cannot tell us which: RFC 4978 leaves it to the peer), deflate at zlib's default
// level, each burst ended by Z_SYNC_FLUSH so the peer can read it whole.
#include "core/deflate.h"

#include <sys/mman.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace mss {
namespace {

constexpr int kWindowBits = 15;  // raw deflate: passed negated
constexpr std::size_t kOutputStep = 16 * 1024;
// What a new compressor is given of the output before it: small responses (FETCH FLAGS, OK lines)
// deflate 6.44 times with the last 1 KiB as history (6.46 with 4 KiB), 1.05 times with none; each
// KiB more is kept by every idle session (docs/performance.md).
constexpr std::size_t kRecentOutput = 1024;

// zlib's large buffers (the compressor's 4 x 64 KiB, the decompressor's 32 KiB window) are mapped
// and unmapped, not taken from the heap: each lives for one command, and heap chunks freed between
// long-lived session objects stay resident (measured: 106 KiB per idle compressed session with
// malloc, against 80 KiB for a plain one; docs/performance.md).
constexpr std::size_t kMapFrom = 4096;
constexpr std::size_t kHeader = 16;  // the size, kept before what zlib gets (alignment kept)

voidpf zone_alloc(voidpf, uInt items, uInt size) {
    std::size_t n = static_cast<std::size_t>(items) * size + kHeader;
    void* block = nullptr;
    if (n >= kMapFrom) {
        block = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (block == MAP_FAILED) return Z_NULL;
    } else {
        block = std::malloc(n);
        if (!block) return Z_NULL;
    }
    std::memcpy(block, &n, sizeof n);
    return static_cast<char*>(block) + kHeader;
}

void zone_free(voidpf, voidpf address) {
    char* block = static_cast<char*>(address) - kHeader;
    std::size_t n = 0;
    std::memcpy(&n, block, sizeof n);
    if (n >= kMapFrom) munmap(block, n);
    else std::free(block);
}

z_stream new_stream() {
    z_stream stream{};
    stream.zalloc = zone_alloc;
    stream.zfree = zone_free;
    return stream;
}

// A resting decompressor's window is kept deflated once larger than this: what a client sends
// (commands, headers, text) deflates several times over, and an idle session keeps only that
// (116 KiB per idle session once a client had sent 32 KiB, when kept plain; docs/performance.md).
constexpr std::size_t kPlainWindow = 4096;
constexpr uInt kMaxWindow = 1u << kWindowBits;

// A window is read out, packed and unpacked through two buffers per thread, within one call: no
// 32 KiB heap chunk is freed between long-lived session objects (which would stay resident).
std::string& plain_scratch() {
    thread_local std::string buffer;
    return buffer;
}
std::string& packed_scratch() {
    thread_local std::string buffer;
    return buffer;
}

// plain deflated into packed_scratch(); false if zlib fails.
bool pack(std::string_view plain) {
    z_stream s = new_stream();
    if (deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, -kWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
    std::string& out = packed_scratch();
    out.resize(deflateBound(&s, static_cast<uLong>(plain.size())));
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    s.avail_in = static_cast<uInt>(plain.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&s, Z_FINISH);
    out.resize(out.size() - s.avail_out);
    deflateEnd(&s);
    return rc == Z_STREAM_END;
}

// packed inflated back into plain_scratch(); false when it does not inflate.
bool unpack(const std::string& packed) {
    z_stream s = new_stream();
    if (inflateInit2(&s, -kWindowBits) != Z_OK) return false;
    std::string& out = plain_scratch();
    out.resize(kMaxWindow);
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    s.avail_in = static_cast<uInt>(packed.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = kMaxWindow;
    int rc = inflate(&s, Z_FINISH);
    out.resize(kMaxWindow - s.avail_out);
    inflateEnd(&s);
    return rc == Z_STREAM_END;
}

class DeflateFilter final : public StreamFilter {
public:
    ~DeflateFilter() override {
        if (deflating_) deflateEnd(&deflater_);
        if (inflating_) inflateEnd(&inflater_);
    }

    bool decode(std::string_view wire, std::string& plain, std::size_t max) override {
        pending_.append(wire);
        if (!inflating_ && !start_inflating()) return false;
        std::size_t produced = 0;
        std::size_t offset = 0;
        more_output_ = false;
        // Inflated into a buffer of this call, then appended: growing `plain` by a step each time
        // would leave the stream's input buffer holding that capacity while the session idles.
        std::unique_ptr<char[]> step(new char[kOutputStep]);
        while (produced < max) {
            inflater_.next_in = reinterpret_cast<Bytef*>(pending_.data() + offset);
            inflater_.avail_in = static_cast<uInt>(pending_.size() - offset);
            inflater_.next_out = reinterpret_cast<Bytef*>(step.get());
            inflater_.avail_out = static_cast<uInt>(kOutputStep);
            int rc = inflate(&inflater_, Z_NO_FLUSH);
            std::size_t out = kOutputStep - inflater_.avail_out;
            plain.append(step.get(), out);
            offset = pending_.size() - inflater_.avail_in;
            produced += out;
            if (rc == Z_BUF_ERROR) break;  // nothing more without more input
            // A final block from the peer ends its stream; what follows starts a new one.
            if (rc == Z_STREAM_END) {
                if (inflateReset(&inflater_) != Z_OK) return false;
                continue;
            }
            if (rc != Z_OK) return false;
            more_output_ = inflater_.avail_out == 0;  // zlib may hold output of input it took
            if (!more_output_) break;                  // all input used
        }
        pending_.erase(0, offset);
        return true;
    }

    bool has_pending_input() const override { return !pending_.empty() || more_output_; }

    bool encode(std::string_view plain, std::string& wire) override {
        if (!deflating_) {
            deflater_ = new_stream();
            if (deflateInit2(&deflater_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return false;
            deflating_ = true;
            // The peer's decompressor still holds what we sent before: the last octets of it,
            // as a dictionary, let a new compressor refer back to them as the old one would have.
            if (!recent_.empty() &&
                deflateSetDictionary(&deflater_, reinterpret_cast<const Bytef*>(recent_.data()),
                                     static_cast<uInt>(recent_.size())) != Z_OK)
                return false;
        }
        recent_.append(plain.size() > kRecentOutput ? plain.substr(plain.size() - kRecentOutput) : plain);
        if (recent_.size() > kRecentOutput) recent_.erase(0, recent_.size() - kRecentOutput);
        deflater_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
        deflater_.avail_in = static_cast<uInt>(plain.size());
        do {
            std::size_t base = wire.size();
            wire.resize(base + kOutputStep);
            deflater_.next_out = reinterpret_cast<Bytef*>(wire.data() + base);
            deflater_.avail_out = static_cast<uInt>(kOutputStep);
            int rc = deflate(&deflater_, Z_SYNC_FLUSH);
            wire.resize(base + kOutputStep - deflater_.avail_out);
            if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
        } while (deflater_.avail_out == 0);
        return true;
    }

    // The compressor goes (its next burst starts afresh, which raw deflate allows after a sync
    // flush). The decompressor goes only between two blocks with no bit pending (after the peer's
    // sync flush), keeping the window it may still refer to, to be given back as a dictionary.
    void rest() override {
        if (deflating_) {
            deflateEnd(&deflater_);
            deflating_ = false;
        }
        bool between_blocks = (inflater_.data_type & 128) != 0 && (inflater_.data_type & 63) == 0;
        if (!inflating_ || has_pending_input() || !between_blocks) return;
        uInt length = 0;
        if (inflateGetDictionary(&inflater_, nullptr, &length) != Z_OK) return;
        std::string& plain = plain_scratch();
        plain.resize(length);
        inflateGetDictionary(&inflater_, reinterpret_cast<Bytef*>(plain.data()), &length);
        window_packed_ = plain.size() > kPlainWindow && pack(plain);
        window_.assign(window_packed_ ? packed_scratch() : plain);
        window_.shrink_to_fit();
        inflateEnd(&inflater_);
        inflating_ = false;
        pending_.shrink_to_fit();
    }

private:
    bool start_inflating() {
        inflater_ = new_stream();
        if (inflateInit2(&inflater_, -kWindowBits) != Z_OK) return false;
        inflating_ = true;
        if (window_packed_ && !unpack(window_)) return false;
        const std::string& window = window_packed_ ? plain_scratch() : window_;
        if (!window.empty() &&
            inflateSetDictionary(&inflater_, reinterpret_cast<const Bytef*>(window.data()),
                                 static_cast<uInt>(window.size())) != Z_OK)
            return false;
        window_packed_ = false;
        window_.clear();
        window_.shrink_to_fit();
        return true;
    }

    z_stream deflater_{};
    z_stream inflater_{};
    bool deflating_ = false;
    bool inflating_ = false;
    bool more_output_ = false;  // the last decode stopped with its output full
    std::string pending_;  // octets from the peer not inflated yet
    std::string window_;   // the decompressor's window while it rests (deflated when window_packed_)
    bool window_packed_ = false;
    std::string recent_;   // the last kRecentOutput octets sent, for the next compressor
};

}  // namespace

std::unique_ptr<StreamFilter> make_deflate_filter() { return std::make_unique<DeflateFilter>(); }

}  // namespace mss
