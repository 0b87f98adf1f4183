// The reason an operator reads for a certificate verification failure: OpenSSL's X509_V_ERR_* codes
// gathered into a few words, the same for TLS client certificates (core/tls) and for chains checked
// by crypto/trust. Pure; trusts OpenSSL's codes only as numbers.
#pragma once
#include <string_view>

namespace mss::x509 {

// "valid", "expired", "not-yet-valid", "revoked", "untrusted-issuer", "no-crl", "crl-expired",
// "wrong-purpose", "weak-key", or "invalid" for any other code.
std::string_view verify_reason(long x509_error);

}  // namespace mss::x509
