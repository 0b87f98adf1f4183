// TLS contexts for every listener (TLS 1.2 minimum, forward-secret AEAD suites only), a certificate
// per host name clients ask for (SNI), and what we learn of a peer's certificate. Client certificates
// are requested and verified against the trust store the caller gives (anchors and CRLs); the verdict
// is recorded, never silently trusted: callers decide what it grants.
#pragma once
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/ssl.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/peer_certificate.h"
#include "core/result.h"

namespace mss::tls {

// The default context; the per-name ones of files.domains live as long as it does and are switched
// to during the handshake when the client names their host (RFC 6066 section 3).
using Context = std::shared_ptr<asio::ssl::context>;

// client_trust: anchors and CRLs with their flags (CRL checks), shared, not owned (reference counted).
Result<Context> make_server_context(const TlsFiles& files, X509_STORE* client_trust);

// Outbound (our relay client to another operator): TLS 1.2 minimum, the same suites, our operator
// certificate (files' default chain) as client certificate, the peer's server certificate checked
// against trust (anchors, CRLs) for TLS server use; the handshake fails on any fault.
Result<Context> make_client_context(const TlsFiles& files, X509_STORE* trust);
// Before a client handshake: SNI and the name (or IP address) the peer's certificate must carry.
Status expect_peer_name(SSL* ssl, const std::string& host);
// After a failed client handshake: why the peer's certificate was refused ("" when it was not).
std::string verify_failure(SSL* ssl);

PeerCertificate peer_certificate(SSL* ssl);
// The RFC 2253 subjects of the certificates of a PEM file, in the form PeerCertificate.issuer takes.
Result<std::vector<std::string>> certificate_subjects(const std::string& pem_file);
// "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384" for Received: headers and logs.
std::string describe(SSL* ssl);

}  // namespace mss::tls
