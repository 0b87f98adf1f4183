// X509_V_ERR_* codes to the words of core/x509_reason.h.
#include "core/x509_reason.h"

#include <openssl/x509_vfy.h>

namespace mss::x509 {

std::string_view verify_reason(long error) {
    switch (error) {
        case X509_V_OK: return "valid";
        case X509_V_ERR_CERT_HAS_EXPIRED: return "expired";
        case X509_V_ERR_CERT_NOT_YET_VALID: return "not-yet-valid";
        case X509_V_ERR_CERT_REVOKED: return "revoked";
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_CERT_UNTRUSTED:
        case X509_V_ERR_CERT_REJECTED: return "untrusted-issuer";
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER: return "no-crl";
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID: return "crl-expired";
        case X509_V_ERR_INVALID_PURPOSE: return "wrong-purpose";
        case X509_V_ERR_EE_KEY_TOO_SMALL:
        case X509_V_ERR_CA_KEY_TOO_SMALL:
        case X509_V_ERR_CA_MD_TOO_WEAK: return "weak-key";
        default: return "invalid";
    }
}

}  // namespace mss::x509
