// What the TLS handshake learnt of a client's certificate, as protocols and HTTP handlers see it:
// a verdict and the leaf's names, nothing from OpenSSL. Filled by tls::peer_certificate (core/tls.h);
// trusts that verdict, grants nothing by itself.
#pragma once
#include <string>

namespace mss::tls {

struct PeerCertificate {
    bool presented = false;
    bool verified = false;         // chains to a trusted CA, dates valid, not revoked, clientAuth
    std::string reason;            // when not verified: "expired", "revoked", "untrusted-issuer"...
    std::string verify_error;      // OpenSSL's words for that first fault
    std::string subject;           // RFC 2253 form
    std::string issuer;            // the leaf's issuer, RFC 2253 form
    std::string sha256_hex;        // of the leaf's DER
};

}  // namespace mss::tls
