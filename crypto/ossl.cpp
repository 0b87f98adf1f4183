// OpenSSL plumbing shared by the crypto module: conversions between PEM/DER text and OpenSSL
// objects, names and serials as text. Trusts nothing it parses; every failure empties the error queue.
#include "crypto/ossl.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <climits>

namespace mss::crypto::ossl {

void free_cert_stack(STACK_OF(X509)* s) { sk_X509_pop_free(s, X509_free); }
void free_cert_stack_ref(STACK_OF(X509)* s) { sk_X509_free(s); }

std::string take_openssl_error() {
    std::string text;
    if (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        text = buf;
    }
    ERR_clear_error();
    return text;
}

Error openssl_failure(ErrorKind kind, std::string_view what) {
    std::string cause = take_openssl_error();
    return fail(kind, fmt::format("{}: {}", what, cause.empty() ? "unknown OpenSSL error" : cause));
}

Result<Bio> memory_bio(std::string_view text) {
    if (text.empty() || text.size() > INT_MAX) return fail(ErrorKind::Invalid, "no input");
    Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) return openssl_failure(ErrorKind::Io, "memory BIO");
    return bio;
}

Result<Bio> empty_bio() {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio) return openssl_failure(ErrorKind::Io, "memory BIO");
    return bio;
}

Result<std::string> bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0 || (len > 0 && !data)) return openssl_failure(ErrorKind::Io, "memory BIO");
    return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> cert_pem(X509* cert) {
    auto bio = empty_bio();
    if (!bio) return bio.error();
    if (PEM_write_bio_X509(bio->get(), cert) != 1) return openssl_failure(ErrorKind::Io, "writing a certificate");
    return bio_text(bio->get());
}

Result<std::string> cert_der(X509* cert) {
    unsigned char* out = nullptr;
    int len = i2d_X509(cert, &out);
    if (len <= 0) return openssl_failure(ErrorKind::Io, "encoding a certificate");
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return der;
}

Result<std::string> crl_pem(X509_CRL* crl) {
    auto bio = empty_bio();
    if (!bio) return bio.error();
    if (PEM_write_bio_X509_CRL(bio->get(), crl) != 1) return openssl_failure(ErrorKind::Io, "writing a CRL");
    return bio_text(bio->get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
    auto bio = empty_bio();
    if (!bio) return bio.error();
    if (PEM_write_bio_PKCS8PrivateKey(bio->get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return openssl_failure(ErrorKind::Io, "writing a private key");
    return bio_text(bio->get());
}

namespace {
// Refuses encrypted keys instead of letting OpenSSL prompt on the terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

// The first PEM block of one kind, read by OpenSSL's reader for it.
template <class Owned, class Reader>
Result<Owned> parse_pem(std::string_view pem, std::string_view what, std::string_view kind, Reader read) {
    auto bio = memory_bio(pem);
    if (!bio) return fail(ErrorKind::Invalid, fmt::format("{}: no {}", what, kind));
    Owned out(read(bio->get(), nullptr, no_passphrase, nullptr));
    if (!out) return openssl_failure(ErrorKind::Invalid, what);
    return out;
}
}  // namespace

Result<Key> parse_key(std::string_view pem, std::string_view what) {
    return parse_pem<Key>(pem, what, "private key", PEM_read_bio_PrivateKey);
}

Result<Cert> parse_cert(std::string_view pem, std::string_view what) {
    return parse_pem<Cert>(pem, what, "certificate", PEM_read_bio_X509);
}

Result<std::vector<Cert>> parse_certs(std::string_view pem, std::string_view what, std::size_t max_count) {
    auto bio = memory_bio(pem);
    if (!bio) return fail(ErrorKind::Invalid, fmt::format("{}: no certificate", what));
    std::vector<Cert> out;
    while (X509* c = PEM_read_bio_X509(bio->get(), nullptr, no_passphrase, nullptr)) {
        out.emplace_back(c);
        if (out.size() > max_count)
            return fail(ErrorKind::Invalid, fmt::format("{}: more than {} certificates", what, max_count));
    }
    // The loop ends on "no more PEM blocks", which OpenSSL queues as an error.
    std::string last = take_openssl_error();
    if (out.empty()) return fail(ErrorKind::Invalid, fmt::format("{}: no certificate ({})", what, last));
    return out;
}

Cert share(X509* cert) {
    X509_up_ref(cert);
    return Cert(cert);
}

Result<Crl> parse_crl(std::string_view pem, std::string_view what) {
    return parse_pem<Crl>(pem, what, "CRL", PEM_read_bio_X509_CRL);
}

namespace {
std::string lower_hex(const unsigned char* bytes, unsigned int len) {
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", bytes[i]);
    return out;
}
}  // namespace

Result<std::string> sha256_hex(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1)
        return openssl_failure(ErrorKind::Io, "certificate digest");
    return lower_hex(md.data(), len);
}

Result<std::string> sha256_hex(const X509_NAME* name) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (X509_NAME_digest(name, EVP_sha256(), md.data(), &len) != 1)
        return openssl_failure(ErrorKind::Io, "name digest");
    return lower_hex(md.data(), len);
}

std::string serial_hex(const ASN1_INTEGER* serial) {
    Bignum bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!bn) {
        ERR_clear_error();
        return "?";
    }
    char* hex = BN_bn2hex(bn.get());
    std::string out = hex ? hex : "?";
    OPENSSL_free(hex);
    // BN_bn2hex writes whole bytes: drop a leading zero digit so one serial has one spelling.
    while (out.size() > 1 && out.front() == '0') out.erase(0, 1);
    return out;
}

std::string name_text(const X509_NAME* name) {
    // RFC 2253 escaping without ESC_MSB: UTF-8 stays readable, control characters still escaped.
    auto bio = empty_bio();
    if (!bio || X509_NAME_print_ex(bio->get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
        ERR_clear_error();
        return "?";
    }
    auto text = bio_text(bio->get());
    return text ? *text : "?";
}

std::string name_entry(const X509_NAME* name, int nid) {
    int i = -1, last = -1;
    while ((i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0) last = i;
    if (last < 0) return "";
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
    if (len < 0) {
        ERR_clear_error();
        return "";
    }
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

}  // namespace mss::crypto::ossl
