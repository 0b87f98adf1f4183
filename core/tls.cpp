// Builds asio::ssl contexts from the configured PEM files (one per SNI name, all alike but for the
// certificate) and reads the peer certificate verdict. Trusts the operator's files and the store of
// anchors and CRLs it is given; nothing the client sends is trusted beyond OpenSSL's verification.
#include "core/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <map>

#include "core/text.h"
#include "core/x509_reason.h"

namespace mss::tls {
namespace {

std::string openssl_error() {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return buf;
}

// TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 only (TLS 1.3 suites are all AEAD).
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

// Key exchange groups, for TLS 1.3 as for TLS 1.2's ECDHE suites: elliptic curves only, no
// finite-field groups (RFC 7919 ffdhe*, which OpenSSL offers by default for TLS 1.3).
constexpr const char* kGroups = "X25519:P-256:P-384";

// The default context and one per SNI name; streams hold the default, which keeps them all alive.
struct Contexts {
    asio::ssl::context fallback{asio::ssl::context::tls_server};
    std::map<std::string, asio::ssl::context> by_name;
};

// SSL ex_data slot holding the first verification error of the handshake (as a pointer-sized int).
int first_error_slot() {
    static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}

// The handshake goes on whatever the client certificate is worth: peers that present one we do not
// trust (a public CA's, sent by a mail server on port 25 because we asked) must still get TLS and
// may still sign in with a password; the verdict only decides what the certificate grants (SASL
// EXTERNAL). OpenSSL would keep the last error, often a consequence of the first (an unknown issuer
// is followed by "unable to get certificate CRL"): the first one is kept instead, so
// SSL_get_verify_result() names the real fault, in this handshake and in sessions resumed from it.
int record_first_error(int ok, X509_STORE_CTX* store_ctx) {
    if (ok) return 1;
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (!ssl) return 1;
    auto first = reinterpret_cast<std::intptr_t>(SSL_get_ex_data(ssl, first_error_slot()));
    if (first == 0) SSL_set_ex_data(ssl, first_error_slot(), reinterpret_cast<void*>(std::intptr_t{X509_STORE_CTX_get_error(store_ctx)}));
    else X509_STORE_CTX_set_error(store_ctx, static_cast<int>(first));
    return 1;
}

// Switches to the context of the host the client names, if it has one; else the default serves.
int choose_certificate(SSL* ssl, int*, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_OK;
    auto& by_name = static_cast<Contexts*>(arg)->by_name;
    auto it = by_name.find(ascii_lower(name));
    if (it != by_name.end() && !SSL_set_SSL_CTX(ssl, it->second.native_handle())) return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

Status use_certificate(SSL_CTX* native, const TlsCertificate& files) {
    if (SSL_CTX_use_certificate_chain_file(native, files.certificate.c_str()) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: {}", files.certificate.string(), openssl_error()));
    if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: {}", files.key.string(), openssl_error()));
    if (SSL_CTX_check_private_key(native) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: key does not match the certificate: {}",
                                                    files.key.string(), openssl_error()));
    return Ok{};
}

// Everything but the certificate: the same for the default context and the per-name ones, since a
// handshake starts on the default and may move to another (SSL_set_SSL_CTX keeps the first's verify
// mode and cipher list but takes the second's certificate and trust store).
Status configure(SSL_CTX* native, const TlsCertificate& files, X509_STORE* client_trust) {
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(native, kCipherList) != 1)
        return fail(ErrorKind::Invalid, "cipher list: " + openssl_error());
    if (SSL_CTX_set1_groups_list(native, kGroups) != 1)
        return fail(ErrorKind::Invalid, "key exchange groups: " + openssl_error());
    if (auto st = use_certificate(native, files); !st) return st;
    if (SSL_CTX_set1_verify_cert_store(native, client_trust) != 1)
        return fail(ErrorKind::Invalid, "client certificate trust store: " + openssl_error());
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, record_first_error);
    SSL_CTX_set_verify_depth(native, 5);
    static const unsigned char sid[] = "mssd";
    SSL_CTX_set_session_id_context(native, sid, sizeof sid - 1);
    return Ok{};
}

Status add_name(Contexts& contexts, const std::string& name, const TlsCertificate& files, X509_STORE* client_trust) {
    auto& ctx = contexts.by_name.try_emplace(name, asio::ssl::context::tls_server).first->second;
    if (auto st = configure(ctx.native_handle(), files, client_trust); !st) return st;
    if (X509_check_host(SSL_CTX_get0_certificate(ctx.native_handle()), name.data(), name.size(), 0, nullptr) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: the certificate does not name {} (tls.domains)",
                                                    files.certificate.string(), name));
    return Ok{};
}

std::string name_text(const X509_NAME* name) {
    std::string out;
    if (BIO* bio = BIO_new(BIO_s_mem())) {
        X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        out.assign(data, static_cast<std::size_t>(len));
        BIO_free(bio);
    }
    return out;
}

std::string subject_of(X509* cert) { return name_text(X509_get_subject_name(cert)); }

}  // namespace

Result<Context> make_server_context(const TlsFiles& files, X509_STORE* client_trust) {
    auto contexts = std::make_shared<Contexts>();
    SSL_CTX* native = contexts->fallback.native_handle();
    if (auto st = configure(native, {files.certificate, files.key}, client_trust); !st) return st.error();
    for (const auto& [name, certificate] : files.domains)
        if (auto st = add_name(*contexts, name, certificate, client_trust); !st) return st.error();
    SSL_CTX_set_tlsext_servername_callback(native, choose_certificate);
    SSL_CTX_set_tlsext_servername_arg(native, contexts.get());
    return Context(contexts, &contexts->fallback);
}

Result<Context> make_client_context(const TlsFiles& files, X509_STORE* trust) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_cipher_list(native, kCipherList) != 1)
        return fail(ErrorKind::Invalid, "cipher list: " + openssl_error());
    if (SSL_CTX_set1_groups_list(native, kGroups) != 1)
        return fail(ErrorKind::Invalid, "key exchange groups: " + openssl_error());
    if (auto st = use_certificate(native, {files.certificate, files.key}); !st) return st.error();
    if (SSL_CTX_set1_verify_cert_store(native, trust) != 1)
        return fail(ErrorKind::Invalid, "server certificate trust store: " + openssl_error());
    X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(native), X509_PURPOSE_SSL_SERVER);
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_verify_depth(native, 5);
    return context;
}

Status expect_peer_name(SSL* ssl, const std::string& host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1) return Ok{};
    if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1)
        return fail(ErrorKind::Invalid, fmt::format("cannot expect the name {}: {}", host, openssl_error()));
    return Ok{};
}

std::string verify_failure(SSL* ssl) {
    long result = SSL_get_verify_result(ssl);
    if (result == X509_V_OK) return "";
    return fmt::format("{} ({})", x509::verify_reason(result), X509_verify_cert_error_string(result));
}

Result<std::vector<std::string>> certificate_subjects(const std::string& pem_file) {
    BIO* bio = BIO_new_file(pem_file.c_str(), "r");
    if (!bio) return fail(ErrorKind::NotFound, fmt::format("cannot read {}", pem_file));
    std::vector<std::string> subjects;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        subjects.push_back(subject_of(cert));
        X509_free(cert);
    }
    BIO_free(bio);
    ERR_clear_error();  // the end of the file reads as an error
    if (subjects.empty()) return fail(ErrorKind::Invalid, fmt::format("{} holds no PEM certificate", pem_file));
    return subjects;
}

PeerCertificate peer_certificate(SSL* ssl) {
    PeerCertificate out;
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!cert) return out;
    out.presented = true;
    long result = SSL_get_verify_result(ssl);
    out.verified = result == X509_V_OK;
    if (!out.verified) {
        out.reason = x509::verify_reason(result);
        out.verify_error = X509_verify_cert_error_string(result);
    }
    out.subject = subject_of(cert);
    out.issuer = name_text(X509_get_issuer_name(cert));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1)
        for (unsigned i = 0; i < md_len; ++i) out.sha256_hex += fmt::format("{:02x}", md[i]);
    return out;
}

std::string describe(SSL* ssl) {
    return fmt::format("{} with cipher {}", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

}  // namespace mss::tls
