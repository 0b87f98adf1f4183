// Shared plumbing for the crypto module's OpenSSL code: owning pointers for every OpenSSL object we
// use, PEM/DER conversions and error-queue handling. Internal to crypto/; trusts nothing it parses
// (every parse is bounded by the input it is given and fails as a value).
#pragma once
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::crypto::ossl {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};

using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Crl = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using Cms = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Asn1Integer = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1Time = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;

void free_cert_stack(STACK_OF(X509)* s);     // frees the certificates too
void free_cert_stack_ref(STACK_OF(X509)* s); // frees the stack only (borrowed certificates)
using CertStack = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_cert_stack>>;
using BorrowedCertStack = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_cert_stack_ref>>;

// The earliest queued OpenSSL error (the cause) appended to what, then an empty queue.
Error openssl_failure(ErrorKind kind, std::string_view what);
// The earliest queued error's text ("" if none), then an empty queue.
std::string take_openssl_error();

// A read-only BIO over text (which must outlive it); Invalid when empty or over INT_MAX.
Result<Bio> memory_bio(std::string_view text);
Result<Bio> empty_bio();
Result<std::string> bio_text(BIO* bio);

Result<std::string> cert_pem(X509* cert);
Result<std::string> cert_der(X509* cert);
Result<std::string> crl_pem(X509_CRL* crl);
Result<std::string> key_pem(EVP_PKEY* key);  // PKCS#8, unencrypted
Result<Key> parse_key(std::string_view pem, std::string_view what);
Result<Cert> parse_cert(std::string_view pem, std::string_view what);  // the first certificate
// Every certificate of a PEM text, in order; at most max_count.
Result<std::vector<Cert>> parse_certs(std::string_view pem, std::string_view what, std::size_t max_count = 64);
Cert share(X509* cert);  // a new reference to cert
Result<Crl> parse_crl(std::string_view pem, std::string_view what);  // the first CRL

Result<std::string> sha256_hex(X509* cert);
Result<std::string> sha256_hex(const X509_NAME* name);  // of the name's DER
std::string serial_hex(const ASN1_INTEGER* serial);  // upper-case hex, no leading zeros
std::string name_text(const X509_NAME* name);        // RFC 2253, one line, control characters escaped
std::string name_entry(const X509_NAME* name, int nid);  // the last such entry, UTF-8; "" if none

}  // namespace mss::crypto::ossl
