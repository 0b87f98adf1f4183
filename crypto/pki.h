// The test IGC modelled on IGC-Santé (domain.md section 6): a root, a PERSONNES and an
// ORGANISATIONS intermediate, all with OU=IGC-SANTE TEST, and the certificates they issue.
// Trusts the data directory's pki/ folder (mode 0700, keys 0600) and nothing from the network.
#pragma once
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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
// and, once a certificate is issued or a CRL asked for (crypto/revocation.h):
//   issued/index.txt issued/<SERIAL>.pem  every certificate issued, its status
//   root.crl personnes.crl organisations.crl crlnumber
// RSA 2048, SHA-256 everywhere, as IGC-Santé. Idempotent: existing files are kept as they are.
struct TestIgcRequest {
    std::filesystem::path pki_dir;
    std::string operator_name;   // O= of every subject, e.g. "MSSD TEST OPERATOR"
    std::string domain;          // CN and first DNS SAN of the server certificate
};
Status ensure_test_igc(const TestIgcRequest& request);

// What a leaf certificate is for, IGC-Santé's usages:
//   Authentication  keyUsage digitalSignature, EKU clientAuth (CPS authentication, ORG AUTH_CLI)
//   Signature       keyUsage nonRepudiation + digitalSignature, EKU emailProtection (S/MIME signing)
//   Encryption      keyUsage keyEncipherment, EKU emailProtection (S/MIME recipient)
//   Server          keyUsage digitalSignature + keyEncipherment, EKU serverAuth (TLS server)
enum class CertificateKind { Authentication, Signature, Encryption, Server };
std::string_view to_string(CertificateKind kind);  // "auth", "sign", "encryption", "server"
std::optional<CertificateKind> certificate_kind_from(std::string_view text);

struct IssuedCertificate {
    std::string certificate_pem;  // the leaf, then the issuing intermediate
    std::string private_key_pem;  // PKCS#8, unencrypted: the holder's copy
    std::string sha256_hex;       // lower-case hex SHA-256 of the leaf's DER
    std::string serial_hex;       // upper-case hex serial number, as in issued/index.txt
};

// An organisation's certificate, issued by ORGANISATIONS: subject C=FR, O=<organisation>,
// OU=<finess>, CN=<common_name>. Authentication is IGC-Santé's "ORG AUTH_CLI" used by applicative
// mailboxes (SASL EXTERNAL). subjectAltName: email:<address>, except Server: DNS:<common_name>
// (which must then be a host name; the address may be empty).
struct OrganisationRequest {
    std::filesystem::path pki_dir;
    std::string organisation;
    std::string finess;       // 9 characters
    std::string common_name;
    std::string address;
    int days = 3 * 365;
    CertificateKind kind = CertificateKind::Authentication;
    std::optional<std::time_t> not_before = std::nullopt;  // default: an hour ago (clock skew between peers)
};
Result<IssuedCertificate> issue_organisation(const OrganisationRequest& request);

// The ORG AUTH_CLI certificate: issue_organisation with kind Authentication, whatever request.kind.
using OrgAuthCliRequest = OrganisationRequest;
Result<IssuedCertificate> issue_org_auth_cli(const OrgAuthCliRequest& request);

// A health professional's card-style (CPS) certificates, issued by PERSONNES: subject C=FR,
// O=<the operator, as the CA>, OU=IGC-SANTE TEST, CN=<PS_IdNat>; each with email:<address> as
// subjectAltName and its own key. The PS_IdNat's check digit is the directory's business: here it
// must be 2 to 20 ASCII letters or digits.
struct PersonalRequest {
    std::filesystem::path pki_dir;
    std::string ps_idnat;
    std::string address;
    int days = 3 * 365;
    std::optional<std::time_t> not_before = std::nullopt;  // default: an hour ago (clock skew between peers)
};
struct PersonalCertificates {
    IssuedCertificate authentication;  // TLS client (the card's authentication certificate)
    IssuedCertificate signature;       // S/MIME signing (the card's signature certificate)
    IssuedCertificate encryption;      // S/MIME recipient
};
Result<PersonalCertificates> issue_personal(const PersonalRequest& request);

// Lower-case hex SHA-256 of the first certificate in a PEM text (the leaf).
Result<std::string> certificate_sha256(std::string_view pem);

}  // namespace mss::crypto
