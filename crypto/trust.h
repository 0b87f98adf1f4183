// Whom we trust and how we check it: pki/trust.pem (our test IGC and chains imported with
// `mssctl pki trust add`) and every pki/*.crl (our test IGC's, and imported-*.crl written by `trust
// add` once their issuer and signature are checked), with CRL checks on the whole chain. Used for TLS
// client certificates and S/MIME signers. Trusts only what the operator put in pki/.
#pragma once
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::crypto {

enum class CertificatePurpose { TlsClient, TlsServer, SmimeSigning, SmimeEncryption };

enum class ChainStatus {
    Valid,
    Expired,          // a certificate of the chain is past its notAfter
    NotYetValid,
    Revoked,          // listed in its issuer's CRL
    UntrustedIssuer,  // no chain to an anchor of trust.pem
    NoCrl,            // an issuer of the chain has no CRL in pki/
    CrlExpired,       // the CRL is past its nextUpdate (or not yet valid)
    WrongPurpose,     // keyUsage / extendedKeyUsage do not allow this use
    WeakKey,          // key or signature below 112-bit security (RSA < 2048, SHA-1)
    Invalid,          // bad signature or malformed certificate or CRL
};
std::string_view to_string(ChainStatus status);  // "valid", "expired", "revoked", "untrusted-issuer"...

struct ChainVerdict {
    ChainStatus status = ChainStatus::Invalid;
    std::string reason;  // OpenSSL's words, with the depth and subject of the certificate at fault
    bool valid() const { return status == ChainStatus::Valid; }
};

struct ValidChains;

// trust.pem's certificates as anchors and pki/*.crl, loaded once and never changed afterwards (load
// again to see a new CRL); shareable between threads (OpenSSL's X509_STORE is reference counted and
// locked, the cache below has its own lock).
class TrustStore {
public:
    static Result<TrustStore> load(const std::filesystem::path& pki_dir);
    // For OpenSSL APIs (SSL_CTX_set1_verify_cert_store, CMS): flags CRL_CHECK | CRL_CHECK_ALL, and
    // security level 2 (112 bits).
    X509_STORE* get() const { return store_.get(); }
    ValidChains& valid_chains() const { return *valid_; }

private:
    TrustStore(std::shared_ptr<X509_STORE> store, std::shared_ptr<ValidChains> valid)
        : store_(std::move(store)), valid_(std::move(valid)) {}
    std::shared_ptr<X509_STORE> store_;
    std::shared_ptr<ValidChains> valid_;
};

// What TrustStore::load reads, as a stamp (name, size and modification time of trust.pem and every
// *.crl): a different stamp means the files changed and a new load would see something new.
Result<std::string> trust_files_stamp(const std::filesystem::path& pki_dir);

// Verifies leaf, with untrusted (may be null) as candidate intermediates, at the present time.
// A Valid verdict is remembered for the same leaf, intermediates and purpose until the first of: five
// minutes, the chain's earliest notAfter, the store's earliest CRL nextUpdate; the store itself never
// changes, so within that window the answer would be the same, without its public-key operations.
ChainVerdict verify_chain(const TrustStore& trust, X509* leaf, STACK_OF(X509)* untrusted, CertificatePurpose purpose);
// The same for a PEM text (leaf first, then intermediates) against pki_dir's trust.
Result<ChainVerdict> verify_chain(const std::filesystem::path& pki_dir, std::string_view pem_chain,
                                  CertificatePurpose purpose);

// Adds what a file holds (PEM blocks, PKCS#7 "P7B" in DER or PEM, or one DER certificate or CRL;
// at most 64 MiB, 1000 certificates and 64 CRLs) to pki/: its CA certificates to trust.pem, skipping
// those already there, and its CRLs as imported-<first 16 hex digits of SHA-256 of the issuer name's
// DER>.crl (PEM). A CRL is kept only when a CA of trust.pem (or of the same file) with its issuer's
// name signed it, and replaces the one of the same issuer only when newer (a greater CRL number when
// both have one, else a later thisUpdate); the test IGC's own CRLs are left to write_crls. Invalid
// when the file holds neither a CA certificate nor a CRL. Leaf certificates are counted, never added.
struct TrustImport {
    std::size_t added = 0;
    std::size_t already_present = 0;
    std::size_t not_ca = 0;
    std::size_t crls_added = 0;
    std::size_t crls_replaced = 0;
    std::size_t crls_already_present = 0;  // the same or an older one is there, or the test IGC's own
    std::size_t crls_refused = 0;          // no CA of trust.pem or of the file signed it
};
Result<TrustImport> add_trusted(const std::filesystem::path& pki_dir, std::string_view file_bytes);

}  // namespace mss::crypto
