// PEM to DER and to a degenerate ("certs-only") PKCS#7 SignedData with OpenSSL, as
// `openssl crl2pkcs7 -nocrl` makes it.
#include "ldap/certificate.h"

#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <memory>

namespace mss::ldap {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Pkcs7 = std::unique_ptr<PKCS7, Deleter<PKCS7, PKCS7_free>>;

template <class T, int (*Encode)(const T*, unsigned char**)>
std::string der_of(const T* object) {
    int n = Encode(object, nullptr);
    if (n <= 0) return {};
    std::string out(static_cast<std::size_t>(n), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    Encode(object, &p);
    return out;
}

int encode_pkcs7(const PKCS7* p7, unsigned char** out) { return i2d_PKCS7(const_cast<PKCS7*>(p7), out); }

}  // namespace

std::optional<PublishedCertificate> published_certificate(std::string_view pem) {
    Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!in) return std::nullopt;
    Cert leaf(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!leaf) return std::nullopt;
    Pkcs7 p7(PKCS7_new());
    if (!p7 || !PKCS7_set_type(p7.get(), NID_pkcs7_signed) || !PKCS7_content_new(p7.get(), NID_pkcs7_data) ||
        !PKCS7_add_certificate(p7.get(), leaf.get()))
        return std::nullopt;
    while (Cert next{PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)})
        if (!PKCS7_add_certificate(p7.get(), next.get())) return std::nullopt;
    PublishedCertificate out{der_of<X509, i2d_X509>(leaf.get()), der_of<PKCS7, encode_pkcs7>(p7.get())};
    if (out.der.empty() || out.smime_pkcs7.empty()) return std::nullopt;
    return out;
}

}  // namespace mss::ldap
