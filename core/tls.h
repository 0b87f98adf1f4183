// TLS contexts for every listener (TLS 1.2 minimum, forward-secret AEAD suites only) and what we
// learn of a peer's certificate. Client certificates are requested and verified against the trust
// file; the verdict is recorded, never silently trusted: callers decide what it grants.
#pragma once
#include <openssl/ssl.h>

#include <asio/ssl.hpp>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/result.h"

namespace mss::tls {

using Context = std::shared_ptr<asio::ssl::context>;

Result<Context> make_server_context(const TlsFiles& files);

struct PeerCertificate {
    bool presented = false;
    bool verified = false;         // chain to a trusted CA, dates valid
    std::string verify_error;      // OpenSSL's reason when not verified
    std::string subject;           // RFC 2253 form
    std::string sha256_hex;        // of the leaf's DER
};

PeerCertificate peer_certificate(SSL* ssl);
// "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384" for Received: headers and logs.
std::string describe(SSL* ssl);

}  // namespace mss::tls
