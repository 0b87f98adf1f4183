// The test IGC modelled on IGC-Santé (domain.md section 6): a root, a PERSONNES and an
// ORGANISATIONS intermediate, all with OU=IGC-SANTE TEST, and the certificates they issue.
// Trusts the data directory's pki/ folder (mode 0700, keys 0600) and nothing from the network.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace mss::crypto {

// Files under pki_dir once created:
//   root.crt root.key                     AC RACINE IGC-SANTE TEST (self-signed, 20 years)
//   personnes.crt personnes.key           AC IGC-SANTE TEST PERSONNES (issued by the root)
//   organisations.crt organisations.key   AC IGC-SANTE TEST ORGANISATIONS (issued by the root)
//   trust.pem                             root + both intermediates: CAs for client certificates
//   server.crt server.key                 this operator's server certificate (leaf then
//                                         ORGANISATIONS intermediate), SAN: the domain, localhost,
//                                         127.0.0.1 and ::1
// RSA 2048, SHA-256 everywhere, as IGC-Santé. Idempotent: existing files are kept as they are.
struct TestIgcRequest {
    std::filesystem::path pki_dir;
    std::string operator_name;   // O= of every subject, e.g. "MSSD TEST OPERATOR"
    std::string domain;          // CN and first DNS SAN of the server certificate
};
Status ensure_test_igc(const TestIgcRequest& request);

struct IssuedCertificate {
    std::string certificate_pem;  // the leaf, then the issuing intermediate
    std::string private_key_pem;  // PKCS#8, unencrypted: the holder's copy
    std::string sha256_hex;       // lower-case hex SHA-256 of the leaf's DER
};

// An organisation's TLS client certificate (IGC-Santé "ORG AUTH_CLI"), issued by ORGANISATIONS:
// subject C=FR, O=<organisation>, OU=<finess>, CN=<common_name>; extendedKeyUsage clientAuth;
// subjectAltName email:<address>. Used by applicative mailboxes (SASL EXTERNAL).
struct OrgAuthCliRequest {
    std::filesystem::path pki_dir;
    std::string organisation;
    std::string finess;       // 9 characters
    std::string common_name;
    std::string address;
    int days = 3 * 365;
};
Result<IssuedCertificate> issue_org_auth_cli(const OrgAuthCliRequest& request);

// Lower-case hex SHA-256 of the first certificate in a PEM text (the leaf).
Result<std::string> certificate_sha256(std::string_view pem);

}  // namespace mss::crypto
