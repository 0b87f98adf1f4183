// The certificates a CMS SignedData carries, taken out of its DER/BER before OpenSSL parses the rest,
// and parsed once per distinct certificate: OpenSSL 3.0 decodes every certificate's public key
// through OSSL_DECODER (~110 us each here), which would otherwise be the largest cost of a verify.
// Internal to crypto/smime.cpp. Trusts nothing: anything unusual leaves the DER as it is, for
// OpenSSL to parse (and judge) whole; cached certificates are matched on their exact octets.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ossl.h"

namespace mss::crypto::cms {

struct SplitSignedData {
    std::string rest;                             // the ContentInfo without its certificates field
    std::vector<std::string_view> certificates;   // each certificate's DER, inside the input
};
// Certificates found: rest and certificates filled. Not signed-data, no certificates field, or any
// encoding this walker does not follow (multi-octet tags, other CertificateChoices, trailing octets,
// nesting deeper than 16): nullopt, and the caller parses the input whole.
std::optional<SplitSignedData> split_certificates(std::string_view der);

// The certificate of these exact DER octets: parsed, or taken from a bounded process-wide cache
// (the last 256 distinct certificates). Invalid when OpenSSL cannot parse them.
Result<ossl::Cert> parse_certificate(std::string_view der);

}  // namespace mss::crypto::cms
