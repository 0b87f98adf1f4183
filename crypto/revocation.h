// The test IGC's register of issued certificates and its revocation lists: pki/issued/index.txt
// (one line per certificate: serial, issuing CA, kind, status, dates, reason, address, subject),
// pki/issued/<SERIAL>.pem, and one CRL per CA (root.crl, personnes.crl, organisations.crl; PEM, v2,
// CRL number, nextUpdate 7 days). Trusts the pki/ folder's owner; the index is parsed strictly.
#pragma once
#include <openssl/types.h>

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/pki.h"

namespace mss::crypto {

// RFC 5280 5.3.1 reasons; certificateHold and removeFromCRL are left out: a revocation here is final.
enum class RevocationReason {
    Unspecified = 0,
    KeyCompromise = 1,
    CaCompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    PrivilegeWithdrawn = 9,
    AaCompromise = 10,
};
std::string_view to_string(RevocationReason reason);  // RFC 5280's names: "keyCompromise"...
std::optional<RevocationReason> revocation_reason_from(std::string_view text);

constexpr int kCrlValidityDays = 7;
// The test IGC's CAs by the stem of their files (<stem>.crt, <stem>.key, <stem>.crl): the CRLs that
// write_crls owns.
constexpr std::string_view kTestIgcCaStems[] = {"root", "personnes", "organisations"};

struct Revocation {
    std::time_t at;
    RevocationReason reason;
};

struct IssuedRecord {
    std::string serial_hex;  // upper case, no leading zeros
    std::string issuer;      // the issuing CA's stem: "personnes" or "organisations"
    CertificateKind kind;
    std::string address;     // "" when the certificate names none
    std::string subject;     // RFC 2253
    std::time_t not_after = 0;
    std::optional<Revocation> revoked;
};

// Adds leaf (issued by the CA pki_dir/<issuer_stem>.crt) to the register; writes the CRLs if one
// is missing, so a fresh IGC is checkable as soon as it has issued.
Status record_issued(const std::filesystem::path& pki_dir, X509* leaf, std::string_view issuer_stem,
                     CertificateKind kind, std::string_view address);
Result<std::vector<IssuedRecord>> list_issued(const std::filesystem::path& pki_dir);

// Revokes a certificate given by its serial (hex, any case, colons allowed) or its PEM (which must be
// the very certificate registered), then writes every CRL again. NotFound when not in the register;
// Exists when already revoked.
Result<IssuedRecord> revoke(const std::filesystem::path& pki_dir, std::string_view serial_or_pem,
                            RevocationReason reason);

// Writes root.crl, personnes.crl and organisations.crl afresh (lastUpdate now, nextUpdate 7 days).
Status write_crls(const std::filesystem::path& pki_dir);
// write_crls when any of the three is missing.
Status ensure_crls(const std::filesystem::path& pki_dir);

}  // namespace mss::crypto
