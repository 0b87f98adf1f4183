// Builds asio::ssl contexts from the configured PEM files and reads the peer certificate verdict.
#include "core/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509.h>

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

}  // namespace

Result<Context> make_server_context(const TlsFiles& files) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(native, kCipherList) != 1)
        return fail(ErrorKind::Invalid, "cipher list: " + openssl_error());
    if (SSL_CTX_use_certificate_chain_file(native, files.certificate.c_str()) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: {}", files.certificate.string(), openssl_error()));
    if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: {}", files.key.string(), openssl_error()));
    if (SSL_CTX_check_private_key(native) != 1)
        return fail(ErrorKind::Invalid, "server key does not match certificate: " + openssl_error());
    if (SSL_CTX_load_verify_locations(native, files.trust.c_str(), nullptr) != 1)
        return fail(ErrorKind::Invalid, fmt::format("{}: {}", files.trust.string(), openssl_error()));
    // Ask for a client certificate, accept the handshake whatever it is; peer_certificate() reports
    // the verdict so an invalid certificate grants nothing but does not break plain STARTTLS peers.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    SSL_CTX_set_verify_depth(native, 5);
    static const unsigned char sid[] = "mssd";
    SSL_CTX_set_session_id_context(native, sid, sizeof sid - 1);
    return ctx;
}

PeerCertificate peer_certificate(SSL* ssl) {
    PeerCertificate out;
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!cert) return out;
    out.presented = true;
    long result = SSL_get_verify_result(ssl);
    out.verified = result == X509_V_OK;
    if (!out.verified) out.verify_error = X509_verify_cert_error_string(result);
    if (BIO* bio = BIO_new(BIO_s_mem())) {
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        out.subject.assign(data, static_cast<std::size_t>(len));
        BIO_free(bio);
    }
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
