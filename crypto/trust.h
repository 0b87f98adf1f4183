// Whom we trust and how we check it: pki/trust.pem (our test IGC and chains imported with
// `mssctl pki trust add`) and every pki/*.crl, with CRL checks on the whole chain. Used for TLS
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

// Adds the CA certificates of a file (PEM with one or more certificates, PKCS#7 "P7B" in DER or
// PEM, or one DER certificate) to trust.pem, skipping those already there; Invalid when the file
// holds no CA certificate. Leaf certificates in the file are counted, never added.
struct TrustImport {
    std::size_t added = 0;
    std::size_t already_present = 0;
    std::size_t not_ca = 0;
};
Result<TrustImport> add_trusted(const std::filesystem::path& pki_dir, std::string_view file_bytes);

}  // namespace mss::crypto
