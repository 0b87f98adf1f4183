// An address's S/MIME encryption certificate in the two forms address books read: the certificate
// itself (userCertificate;binary, RFC 4523; Thunderbird) and a certs-only PKCS#7 SignedData
// (userSMIMECertificate, RFC 2798 section 2.8; Outlook). Trusts the store's PEM as ours.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mss::ldap {

struct PublishedCertificate {
    std::string der;          // the leaf certificate, DER
    std::string smime_pkcs7;  // SignedData (DER) holding the leaf and the chain given after it, no content, no signer
};

// From a PEM text, leaf first then its chain; nullopt when the first certificate does not parse.
std::optional<PublishedCertificate> published_certificate(std::string_view pem);

}  // namespace mss::ldap
