// libFuzzer target: the S/MIME reading path (MIME framing of crypto/smime_entity, OpenSSL's CMS
// parser, our limits) through verify, decrypt and open of arbitrary bytes. Any input must come
// back as a verdict or an error; a valid verdict must carry its signer and content.
// Trusts tests/fuzz/smime_fixture/: a throwaway test IGC and the key its seeds are encrypted to.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "crypto/smime.h"
#include "crypto/trust.h"

namespace {

namespace fs = std::filesystem;
namespace sm = mss::crypto::smime;

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Fixture {
    mss::crypto::TrustStore trust;
    sm::Credential recipient;
};

const Fixture& fixture() {
    static const Fixture f = [] {
        fs::path dir = fs::path(__FILE__).parent_path() / "smime_fixture";
        auto trust = mss::crypto::TrustStore::load(dir);
        auto recipient = sm::load_credential(read(dir / "recipient-cert.pem"), read(dir / "recipient-key.pem"));
        if (!trust || !recipient) std::abort();
        return Fixture{std::move(*trust), std::move(*recipient)};
    }();
    return f;
}

void check(const sm::Verdict& v) {
    if (v.valid() && (v.signer.serial.empty() || v.message.empty())) __builtin_trap();
    if (!v.valid() && (!v.entity.empty() || !v.message.empty())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    const Fixture& f = fixture();
    sm::VerifyOptions options;
    options.limits.max_input = 256 * 1024;
    check(sm::verify(message, f.trust, options));
    auto decrypted = sm::decrypt(message, f.recipient, options.limits);
    if (decrypted && decrypted->message.size() > size + 64) __builtin_trap();
    auto opened = sm::open(message, f.trust, {f.recipient}, options);
    if (static_cast<int>(opened.layers.size()) > options.limits.max_depth) __builtin_trap();
    check(opened.verdict);
    return 0;
}
