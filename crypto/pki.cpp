// The test IGC: key generation, certificate issuing and PEM files, with OpenSSL 3's X.509 API.
// Keys are written 0600 through a temporary file and a rename, so a crash leaves no half key.
#include "crypto/pki.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

namespace mss::crypto {
namespace {

namespace fs = std::filesystem;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Error openssl_failure(std::string_view what) {
    char buf[256] = "unknown error";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
    return fail(ErrorKind::Io, fmt::format("{}: {}", what, buf));
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string key_pem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    return bio_text(bio.get());
}

std::string cert_pem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), cert);
    return bio_text(bio.get());
}

Status write_atomic(const fs::path& path, const std::string& text, mode_t mode) {
    fs::path tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot write {}", tmp.string()));
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
        return fail(ErrorKind::Io, fmt::format("cannot write {}", path.string()));
    return Ok{};
}

Result<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::NotFound, fmt::format("cannot read {}", path.string()));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Result<Key> load_key(const fs::path& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), BIO_free);
    Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    if (!key) return openssl_failure(path.string());
    return key;
}

Result<Cert> load_cert(const fs::path& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), BIO_free);
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) return openssl_failure(path.string());
    return cert;
}

Result<Key> new_rsa_key() {
    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}), EVP_PKEY_free);
    if (!key) return openssl_failure("RSA key generation");
    return key;
}

struct Subject {
    std::string o, ou, cn;
};

struct Profile {
    bool ca = false;
    int pathlen = -1;
    std::string key_usage;    // "critical,keyCertSign,cRLSign"
    std::string ext_key_usage;
    std::string san;          // "DNS:x,IP:127.0.0.1" or "email:a@b"
    int days = 365;
};

Status add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    if (value.empty()) return Ok{};
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return openssl_failure("certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return Ok{};
}

// Issues a certificate for key, signed by issuer_key (self-signed when issuer is null).
Result<Cert> issue(EVP_PKEY* key, const Subject& s, const Profile& p, X509* issuer, EVP_PKEY* issuer_key) {
    Cert cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(p.days) * 86400);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    auto add = [name](const char* field, const std::string& v) {
        if (!v.empty())
            X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()), -1,
                                       -1, 0);
    };
    add("C", "FR");
    add("O", s.o);
    add("OU", s.ou);
    add("CN", s.cn);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    std::string bc = p.ca ? (p.pathlen >= 0 ? fmt::format("critical,CA:TRUE,pathlen:{}", p.pathlen) : "critical,CA:TRUE")
                          : "critical,CA:FALSE";
    for (auto [nid, value] : {std::pair{NID_basic_constraints, bc}, {NID_key_usage, p.key_usage},
                              {NID_ext_key_usage, p.ext_key_usage}, {NID_subject_key_identifier, std::string("hash")},
                              {NID_authority_key_identifier, std::string(issuer ? "keyid:always" : "")},
                              {NID_subject_alt_name, p.san}})
        if (auto st = add_ext(cert.get(), signer, nid, value); !st) return st.error();
    if (!X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256())) return openssl_failure("signing");
    return cert;
}

struct Authority {
    Key key{nullptr, EVP_PKEY_free};
    Cert cert{nullptr, X509_free};
};

// Loads an authority's files, or makes and writes them when missing.
Result<Authority> ensure_authority(const fs::path& dir, const std::string& stem, const Subject& s, const Profile& p,
                                   Authority* issuer) {
    fs::path crt = dir / (stem + ".crt"), key = dir / (stem + ".key");
    Authority a;
    if (fs::exists(crt) && fs::exists(key)) {
        auto k = load_key(key);
        if (!k) return k.error();
        auto c = load_cert(crt);
        if (!c) return c.error();
        a.key = std::move(k).value();
        a.cert = std::move(c).value();
        return a;
    }
    auto k = new_rsa_key();
    if (!k) return k.error();
    auto c = issue(k->get(), s, p, issuer ? issuer->cert.get() : nullptr, issuer ? issuer->key.get() : nullptr);
    if (!c) return c.error();
    if (auto st = write_atomic(key, key_pem(k->get()), 0600); !st) return st.error();
    if (auto st = write_atomic(crt, cert_pem(c->get()), 0644); !st) return st.error();
    a.key = std::move(k).value();
    a.cert = std::move(c).value();
    return a;
}

std::string sha256_hex(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
}

const std::string kTestOu = "IGC-SANTE TEST";

}  // namespace

Status ensure_test_igc(const TestIgcRequest& r) {
    std::error_code ec;
    fs::create_directories(r.pki_dir, ec);
    if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", r.pki_dir.string(), ec.message()));
    ::chmod(r.pki_dir.c_str(), 0700);
    Profile ca{true, -1, "critical,keyCertSign,cRLSign", "", "", 20 * 365};
    auto root = ensure_authority(r.pki_dir, "root", {r.operator_name, kTestOu, "AC RACINE IGC-SANTE TEST"}, ca, nullptr);
    if (!root) return root.error();
    Profile sub{true, 0, "critical,keyCertSign,cRLSign", "", "", 10 * 365};
    auto pers = ensure_authority(r.pki_dir, "personnes", {r.operator_name, kTestOu, "AC IGC-SANTE TEST PERSONNES"}, sub,
                                 &root.value());
    if (!pers) return pers.error();
    auto orgs = ensure_authority(r.pki_dir, "organisations",
                                 {r.operator_name, kTestOu, "AC IGC-SANTE TEST ORGANISATIONS"}, sub, &root.value());
    if (!orgs) return orgs.error();
    if (!fs::exists(r.pki_dir / "trust.pem")) {
        std::string trust = cert_pem(root->cert.get()) + cert_pem(pers->cert.get()) + cert_pem(orgs->cert.get());
        if (auto st = write_atomic(r.pki_dir / "trust.pem", trust, 0644); !st) return st;
    }
    if (fs::exists(r.pki_dir / "server.crt") && fs::exists(r.pki_dir / "server.key")) return Ok{};
    auto key = new_rsa_key();
    if (!key) return key.error();
    Profile server{false, -1, "critical,digitalSignature,keyEncipherment", "serverAuth,clientAuth",
                   fmt::format("DNS:{},DNS:localhost,IP:127.0.0.1,IP:::1", r.domain), 2 * 365};
    auto cert = issue(key->get(), {r.operator_name, kTestOu, r.domain}, server, orgs->cert.get(), orgs->key.get());
    if (!cert) return cert.error();
    if (auto st = write_atomic(r.pki_dir / "server.key", key_pem(key->get()), 0600); !st) return st;
    return write_atomic(r.pki_dir / "server.crt", cert_pem(cert->get()) + cert_pem(orgs->cert.get()), 0644);
}

Result<IssuedCertificate> issue_org_auth_cli(const OrgAuthCliRequest& r) {
    bool finess_ok = r.finess.size() == 9 &&
                     std::all_of(r.finess.begin(), r.finess.end(), [](unsigned char c) { return std::isalnum(c); });
    if (r.organisation.empty() || r.common_name.empty() || !finess_ok ||
        std::count(r.address.begin(), r.address.end(), '@') != 1)
        return fail(ErrorKind::Invalid, "organisation, a 9-character FINESS, a common name and an address are needed");
    auto ca_key = load_key(r.pki_dir / "organisations.key");
    if (!ca_key) return ca_key.error();
    auto ca = load_cert(r.pki_dir / "organisations.crt");
    if (!ca) return ca.error();
    auto key = new_rsa_key();
    if (!key) return key.error();
    Profile p{false, -1, "critical,digitalSignature", "clientAuth", "email:" + r.address, r.days};
    auto cert = issue(key->get(), {r.organisation, r.finess, r.common_name}, p, ca->get(), ca_key->get());
    if (!cert) return cert.error();
    return IssuedCertificate{cert_pem(cert->get()) + cert_pem(ca->get()), key_pem(key->get()), sha256_hex(cert->get())};
}

Result<std::string> certificate_sha256(std::string_view pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) return fail(ErrorKind::Invalid, "no PEM certificate found");
    return sha256_hex(cert.get());
}

}  // namespace mss::crypto
