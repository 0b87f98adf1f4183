// S/MIME throughput on one thread: sign+encrypt and decrypt+verify (open) of messages of a given size,
// with a test IGC made in a temporary folder, compared with the bound RSA-2048 allows: figures of
// `openssl speed rsa2048` given on the command line, and RSA-2048 signatures timed here in slices
// alternating with ours (best slice of each: interference on a shared machine only slows things);
// and the CMS API's own floor for sign+encrypt. Trusts crypto/ to do the work; checks each verdict.
#include <fmt/format.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>

#include "crypto/ossl.h"
#include "crypto/pki.h"
#include "crypto/smime.h"
#include "crypto/trust.h"

namespace {

namespace fs = std::filesystem;
namespace sm = mss::crypto::smime;
using Clock = std::chrono::steady_clock;

struct Options {
    double seconds = 3;  // per operation, in slices
    int slices = 6;
    std::size_t size = 10 * 1024;
    double rsa_sign_per_s = 0;    // openssl speed rsa2048: private-key operations per second
    double rsa_verify_per_s = 0;  // public-key operations per second
};

// Public-key operations decrypt+verify does besides its private one: the CMS signature, the leaf's
// and PERSONNES' certificate signatures, and the two CRLs (personnes.crl, root.crl) of CRL_CHECK_ALL.
constexpr int kVerifyPublicOps = 5;
// sign+encrypt: the recipient's RSA encryption.
constexpr int kEncryptPublicOps = 1;

template <class T>
T need(mss::Result<T> r, const char* what) {
    if (!r) {
        fmt::print(stderr, "smime_speed: {}: {}\n", what, r.error().message);
        std::exit(1);
    }
    return std::move(r).value();
}

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/mssd-bench-smime-XXXXXX";
        if (!::mkdtemp(tmpl)) std::exit(1);
        path = tmpl;
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string message_of(std::size_t size) {
    std::string m =
        "From: Dr Jean Dupont <jean.dupont@test.mssante.fr>\r\nTo: marie.martin@test.mssante.fr\r\n"
        "Subject: compte rendu\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    while (m.size() < size) m += "Ligne de compte rendu, 74 caracteres pour faire une ligne de taille usuelle.\r\n";
    return m;
}

// Operations per second of fn over about seconds.
double rate(double seconds, const std::function<void()>& fn) {
    auto start = Clock::now();
    long n = 0;
    double elapsed = 0;
    do {
        fn();
        ++n;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    return n / elapsed;
}

// The best rate of each operation, measured in turn slice after slice so that each sees the same
// interference.
std::vector<double> interleaved(const Options& o, const std::vector<std::function<void()>>& ops) {
    std::vector<double> best(ops.size());
    for (int s = 0; s < o.slices; ++s)
        for (std::size_t i = 0; i < ops.size(); ++i) best[i] = std::max(best[i], rate(o.seconds / o.slices, ops[i]));
    return best;
}

void report(const char* what, double per_s, const Options& o, int public_ops, double rsa_here) {
    std::string line = fmt::format("{:<16} {:>6} B  {:>8.1f} msg/s  {:>7.1f} us/msg", what, o.size, per_s, 1e6 / per_s);
    if (o.rsa_sign_per_s > 0 && o.rsa_verify_per_s > 0) {
        double bound = 1.0 / (1.0 / o.rsa_sign_per_s + public_ops / o.rsa_verify_per_s);
        line += fmt::format("  bound(1 private + {} public) {:>8.1f}/s  ratio {:.2f}  (private-only bound {:.1f}/s, "
                            "ratio {:.2f})",
                            public_ops, bound, per_s / bound, o.rsa_sign_per_s, per_s / o.rsa_sign_per_s);
    }
    line += fmt::format("  [interleaved RSA sign here {:.1f}/s, ratio {:.2f}]", rsa_here, per_s / rsa_here);
    fmt::print("{}\n", line);
}

// One RSA-2048 PKCS#1 v1.5 signature of a SHA-256 digest through EVP, as openssl speed times it.
void rsa_sign(EVP_PKEY* key) {
    static const unsigned char digest[32] = {1};
    unsigned char sig[512];
    size_t len = sizeof sig;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key, nullptr), EVP_PKEY_CTX_free);
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_sign(ctx.get(), sig, &len, digest, sizeof digest) <= 0)
        std::exit(1);
}

// The floor the CMS API itself sets: the same two layers as crypto/smime (detached SHA-256 signature
// with the chain and the signed attributes but SMIMECapabilities, then AES-256-GCM with RSA-OAEP),
// straight through OpenSSL's CMS calls on the content as it is, DER out, no MIME work: sign+encrypt
// over this is our own cost, this over the bound is the CMS API's.
std::size_t cms_der_length(CMS_ContentInfo* cms) {
    unsigned char* der = nullptr;
    int len = i2d_CMS_ContentInfo(cms, &der);
    OPENSSL_free(der);
    if (len <= 0) std::exit(1);
    return static_cast<std::size_t>(len);
}

void cms_api_seal(const std::string& content, const sm::Credential& signer, STACK_OF(X509)* chain, X509* recipient) {
    const unsigned sign_flags = CMS_BINARY | CMS_PARTIAL | CMS_DETACHED | CMS_NOSMIMECAP;
    mss::crypto::ossl::Cms signed_data(CMS_sign(nullptr, nullptr, chain, nullptr, sign_flags));
    auto in = need(mss::crypto::ossl::memory_bio(content), "content");
    if (!signed_data || !CMS_add1_signer(signed_data.get(), signer.certificate.get(), signer.key.get(), EVP_sha256(), sign_flags) ||
        CMS_final(signed_data.get(), in.get(), nullptr, sign_flags) != 1)
        std::exit(1);
    std::string signed_content = content + std::string(cms_der_length(signed_data.get()), 'x');
    const unsigned seal_flags = CMS_BINARY | CMS_PARTIAL | CMS_KEY_PARAM;
    mss::crypto::ossl::Cms enveloped(CMS_encrypt(nullptr, nullptr, EVP_aes_256_gcm(), seal_flags));
    CMS_RecipientInfo* ri = enveloped ? CMS_add1_recipient_cert(enveloped.get(), recipient, CMS_KEY_PARAM) : nullptr;
    EVP_PKEY_CTX* pctx = ri ? CMS_RecipientInfo_get0_pkey_ctx(ri) : nullptr;
    if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0)
        std::exit(1);
    auto signed_in = need(mss::crypto::ossl::memory_bio(signed_content), "signed content");
    if (CMS_final(enveloped.get(), signed_in.get(), nullptr, seal_flags) != 1) std::exit(1);
    (void)cms_der_length(enveloped.get());
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"S/MIME sign+encrypt and decrypt+verify throughput on one thread"};
    app.add_option("--seconds", o.seconds, "time given to each operation, in slices");
    app.add_option("--slices", o.slices, "slices per operation, alternating between operations")->check(CLI::Range(1, 100));
    app.add_option("--size", o.size, "message size in octets");
    app.add_option("--rsa-sign-per-s", o.rsa_sign_per_s, "openssl speed rsa2048 sign/s, for the bound");
    app.add_option("--rsa-verify-per-s", o.rsa_verify_per_s, "openssl speed rsa2048 verify/s, for the bound");
    CLI11_PARSE(app, argc, argv);

    TempDir dir;
    fs::path pki = dir.path / "pki";
    need(mss::crypto::ensure_test_igc({pki, "MSSD BENCH", "test.mssante.fr"}), "test IGC");
    auto gp = need(mss::crypto::issue_personal({pki, "810001045367", "jean.dupont@test.mssante.fr"}), "GP");
    auto doctor = need(mss::crypto::issue_personal({pki, "810002567773", "marie.martin@test.mssante.fr"}), "doctor");
    auto signer = need(sm::load_credential(gp.signature.certificate_pem, gp.signature.private_key_pem), "signer");
    auto recipient = need(sm::load_credential(doctor.encryption.certificate_pem, doctor.encryption.private_key_pem),
                          "recipient");
    auto trust = need(mss::crypto::TrustStore::load(pki), "trust");
    const std::string message = message_of(o.size);
    const std::vector<sm::Credential> to{recipient}, keys{recipient};

    auto seal = [&] { return need(sm::encrypt(need(sm::sign(message, signer), "sign"), to), "encrypt"); };
    const std::string sealed = seal();
    if (!sm::open(sealed, trust, keys).verdict.valid()) {
        fmt::print(stderr, "smime_speed: the sealed message does not open as valid\n");
        return 1;
    }
    mss::crypto::ossl::BorrowedCertStack chain(sk_X509_new_null());
    for (const auto& c : signer.chain)
        if (!chain || !sk_X509_push(chain.get(), c.get())) return 1;
    auto best = interleaved(o, {[&] { rsa_sign(signer.key.get()); }, [&] { (void)seal(); },
                             [&] {
                                 if (!sm::open(sealed, trust, keys).verdict.valid()) std::exit(1);
                             },
                             [&] { cms_api_seal(message, signer, chain.get(), recipient.certificate.get()); }});
    fmt::print("rsa2048-sign-here {:.1f}/s (best of {} slices)\n", best[0], o.slices);
    report("sign+encrypt", best[1], o, kEncryptPublicOps, best[0]);
    report("decrypt+verify", best[2], o, kVerifyPublicOps, best[0]);
    report("cms-api-floor", best[3], o, kEncryptPublicOps, best[0]);
    return 0;
}
