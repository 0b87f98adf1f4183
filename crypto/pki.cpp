// The test IGC: RSA keys, CPS-style certificate profiles and PEM files, with OpenSSL 3's C API.
// Trusts the files already in pki_dir (kept as they are); every file is written 0600 through a
// temporary file, fsync and rename, so a crash leaves either the old state or the whole new file.
#include "crypto/pki.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <vector>

#include "crypto/files.h"
#include "crypto/ossl.h"
#include "crypto/revocation.h"

namespace mss::crypto {
namespace {

namespace fs = std::filesystem;
using ossl::Cert;
using ossl::Key;
using ossl::openssl_failure;
using files::present;
using files::write_atomic;
using Extension = std::unique_ptr<X509_EXTENSION, ossl::Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using GeneralName = std::unique_ptr<GENERAL_NAME, ossl::Deleter<GENERAL_NAME, GENERAL_NAME_free>>;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, ossl::Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

const std::string kTestOu = "IGC-SANTE TEST";
constexpr int kRootDays = 20 * 365, kIntermediateDays = 10 * 365, kServerDays = 2 * 365, kMaxLeafDays = 10 * 365;

Result<Key> load_key(const fs::path& path) {
    auto text = files::read_text(path);
    if (!text) return text.error();
    return ossl::parse_key(*text, path.string());
}

Result<Cert> load_cert(const fs::path& path) {
    auto text = files::read_text(path);
    if (!text) return text.error();
    return ossl::parse_cert(*text, path.string());
}

// ---- issuing ----

Result<Key> new_rsa_key() {
    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
    if (!key) return openssl_failure(ErrorKind::Io, "RSA key generation");
    return key;
}

struct Subject {
    std::string o, ou, cn;  // C is always FR
};

struct AltName {
    int type;  // GEN_DNS, GEN_IPADD or GEN_EMAIL
    std::string value;
};

struct Profile {
    bool ca = false;
    int pathlen = -1;  // CAs only; -1 leaves the path length open
    std::string key_usage;
    std::string ext_key_usage;  // empty: no extendedKeyUsage
    std::vector<AltName> san;
    int days = 365;
    std::optional<std::time_t> not_before;  // none: an hour ago
};

struct Authority {
    Key key;
    Cert cert;
};

// 16 random bytes, top bit clear and next bit set: positive and always 16 bytes long in DER.
Status set_serial(X509* cert) {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return openssl_failure(ErrorKind::Io, "serial number");
    bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
    ossl::Bignum bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
        return openssl_failure(ErrorKind::Io, "serial number");
    return Ok{};
}

// Valid from not_before, or an hour ago (clock skew between peers), for days days.
Status set_validity(X509* cert, int days, std::optional<std::time_t> not_before) {
    std::time_t from = not_before.value_or(std::time(nullptr) - 3600);
    if (!X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &from) ||
        !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, &from))
        return openssl_failure(ErrorKind::Io, "validity");
    return Ok{};
}

// Text the caller chose (names, FINESS): OpenSSL refusing it (too long, bad UTF-8) is an input error.
Status set_subject(X509* cert, const Subject& s) {
    X509_NAME* name = X509_get_subject_name(cert);
    const std::pair<const char*, std::string> fields[] = {{"C", "FR"}, {"O", s.o}, {"OU", s.ou}, {"CN", s.cn}};
    for (const auto& [field, text] : fields)
        if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(text.data()),
                                        static_cast<int>(text.size()), -1, 0))
            return openssl_failure(ErrorKind::Invalid, fmt::format("subject {}={}", field, text));
    return Ok{};
}

// An extension given in OpenSSL's configuration syntax; only fixed texts of this file go here.
Status add_conf_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    if (value.empty()) return Ok{};
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || !X509_add_ext(cert, ext.get(), -1))
        return openssl_failure(ErrorKind::Io, fmt::format("extension {} = {}", OBJ_nid2sn(nid), value));
    return Ok{};
}

// subjectAltName built name by name, so a value holding a comma cannot add another name.
Status add_san(X509* cert, const std::vector<AltName>& names) {
    if (names.empty()) return Ok{};
    GeneralNames all(sk_GENERAL_NAME_new_null());
    if (!all) return openssl_failure(ErrorKind::Io, "subjectAltName");
    for (const auto& n : names) {
        GeneralName name(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, n.type, n.value.c_str(), 0));
        if (!name) return openssl_failure(ErrorKind::Invalid, fmt::format("subjectAltName {}", n.value));
        if (!sk_GENERAL_NAME_push(all.get(), name.get())) return openssl_failure(ErrorKind::Io, "subjectAltName");
        name.release();
    }
    if (X509_add1_ext_i2d(cert, NID_subject_alt_name, all.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return openssl_failure(ErrorKind::Io, "subjectAltName");
    return Ok{};
}

std::string basic_constraints(const Profile& p) {
    if (!p.ca) return "critical,CA:FALSE";
    return p.pathlen >= 0 ? fmt::format("critical,CA:TRUE,pathlen:{}", p.pathlen) : "critical,CA:TRUE";
}

Status add_extensions(X509* cert, X509* signer, const Profile& p) {
    const std::pair<int, std::string> exts[] = {{NID_basic_constraints, basic_constraints(p)},
                                                {NID_key_usage, p.key_usage},
                                                {NID_ext_key_usage, p.ext_key_usage},
                                                {NID_subject_key_identifier, "hash"},
                                                {NID_authority_key_identifier, "keyid:always"}};
    for (const auto& [nid, value] : exts)
        if (auto st = add_conf_ext(cert, signer, nid, value); !st) return st;
    return add_san(cert, p.san);
}

// A certificate for key, signed by issuer, or self-signed when issuer is null.
Result<Cert> issue(EVP_PKEY* key, const Subject& s, const Profile& p, const Authority* issuer) {
    Cert cert(X509_new());
    if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) || !X509_set_pubkey(cert.get(), key))
        return openssl_failure(ErrorKind::Io, "new certificate");
    if (auto st = set_serial(cert.get()); !st) return st.error();
    if (auto st = set_validity(cert.get(), p.days, p.not_before); !st) return st.error();
    if (auto st = set_subject(cert.get(), s); !st) return st.error();
    X509* signer = issuer ? issuer->cert.get() : cert.get();
    if (!X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)))
        return openssl_failure(ErrorKind::Io, "issuer name");
    if (auto st = add_extensions(cert.get(), signer, p); !st) return st.error();
    if (X509_sign(cert.get(), issuer ? issuer->key.get() : key, EVP_sha256()) <= 0)
        return openssl_failure(ErrorKind::Io, "signing");
    return cert;
}

// ---- the hierarchy's files ----

struct PairSpec {
    std::string stem;  // <stem>.crt and <stem>.key
    Subject subject;
    Profile profile;
    const Authority* issuer = nullptr;  // null: self-signed
    bool append_issuer = false;         // the .crt holds the leaf then the issuer's certificate
};

Result<Key> ensure_key(const fs::path& path, bool exists) {
    if (exists) return load_key(path);
    auto key = new_rsa_key();
    if (!key) return key.error();
    auto pem = ossl::key_pem(key->get());
    if (!pem) return pem.error();
    if (auto st = write_atomic(path, *pem); !st) return st.error();
    return key;
}

Result<Cert> make_cert(const fs::path& path, const PairSpec& spec, EVP_PKEY* key) {
    auto cert = issue(key, spec.subject, spec.profile, spec.issuer);
    if (!cert) return cert.error();
    auto pem = ossl::cert_pem(cert->get());
    if (!pem) return pem.error();
    std::string text = *pem;
    if (spec.append_issuer) {
        auto chain = ossl::cert_pem(spec.issuer->cert.get());
        if (!chain) return chain.error();
        text += *chain;
    }
    if (auto st = write_atomic(path, text); !st) return st.error();
    return cert;
}

// The certificate at path, if it holds key's public half.
Result<Cert> load_cert_for(const fs::path& path, EVP_PKEY* key) {
    auto cert = load_cert(path);
    if (!cert) return cert.error();
    if (X509_check_private_key(cert->get(), key) != 1)
        return openssl_failure(ErrorKind::Invalid, fmt::format("{} does not match its key", path.string()));
    return cert;
}

Result<Cert> ensure_cert(const fs::path& path, bool exists, const PairSpec& spec, EVP_PKEY* key) {
    if (!exists) return make_cert(path, spec, key);
    return load_cert_for(path, key);
}

Result<Authority> load_authority(const fs::path& dir, const std::string& stem) {
    auto key = load_key(dir / (stem + ".key"));
    if (!key) return key.error();
    auto cert = load_cert_for(dir / (stem + ".crt"), key->get());
    if (!cert) return cert.error();
    return Authority{std::move(key).value(), std::move(cert).value()};
}

// Loads <stem>.key and <stem>.crt, making whichever is missing; a certificate left without its key
// cannot be repaired and is reported.
Result<Authority> ensure_pair(const fs::path& dir, const PairSpec& spec) {
    fs::path crt = dir / (spec.stem + ".crt"), key_path = dir / (spec.stem + ".key");
    auto have_crt = present(crt);
    if (!have_crt) return have_crt.error();
    auto have_key = present(key_path);
    if (!have_key) return have_key.error();
    if (*have_crt && !*have_key)
        return fail(ErrorKind::Invalid, fmt::format("{} exists without {}: remove it to make a new pair", crt.string(),
                                                    key_path.string()));
    auto key = ensure_key(key_path, *have_key);
    if (!key) return key.error();
    auto cert = ensure_cert(crt, *have_crt, spec, key->get());
    if (!cert) return cert.error();
    return Authority{std::move(key).value(), std::move(cert).value()};
}

Status ensure_trust(const fs::path& path, const std::vector<const Authority*>& cas) {
    auto exists = present(path);
    if (!exists) return exists.error();
    if (*exists) return Ok{};
    std::string text;
    for (const Authority* ca : cas) {
        auto pem = ossl::cert_pem(ca->cert.get());
        if (!pem) return pem.error();
        text += *pem;
    }
    return write_atomic(path, text);
}

Profile ca_profile(int pathlen, int days) {
    return {true, pathlen, "critical,keyCertSign,cRLSign", "", {}, days, std::nullopt};
}

PairSpec server_spec(const TestIgcRequest& r, const Authority& organisations) {
    Profile p{false, -1, "critical,digitalSignature,keyEncipherment", "serverAuth,clientAuth",
              {{GEN_DNS, r.domain}, {GEN_DNS, "localhost"}, {GEN_IPADD, "127.0.0.1"}, {GEN_IPADD, "::1"}},
              kServerDays, std::nullopt};
    return {"server", {r.operator_name, kTestOu, r.domain}, p, &organisations, true};
}

// ---- input checks ----

bool is_ascii_alnum(unsigned char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

bool is_dns_name(std::string_view s) {
    return !s.empty() && s.size() <= 253 && s.front() != '.' && s.back() != '.' &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return is_ascii_alnum(c) || c == '-' || c == '.'; });
}

bool is_finess(std::string_view s) {
    return s.size() == 9 && std::all_of(s.begin(), s.end(), is_ascii_alnum);
}

// One '@' with text on both sides, printable ASCII without spaces (an IA5String).
bool is_address(std::string_view s) {
    auto at = s.find('@');
    return s.size() <= 254 && std::count(s.begin(), s.end(), '@') == 1 && at != 0 && at + 1 != s.size() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

Status check_request(const TestIgcRequest& r) {
    if (r.pki_dir.empty()) return fail(ErrorKind::Invalid, "no PKI directory");
    if (r.operator_name.empty()) return fail(ErrorKind::Invalid, "no operator name");
    if (!is_dns_name(r.domain)) return fail(ErrorKind::Invalid, fmt::format("'{}' is not a domain name", r.domain));
    return Ok{};
}

Status check_days(int days) {
    if (days < 1 || days > kMaxLeafDays)
        return fail(ErrorKind::Invalid, fmt::format("validity of {} days outside 1..{}", days, kMaxLeafDays));
    return Ok{};
}

Status check_request(const OrganisationRequest& r) {
    if (r.organisation.empty()) return fail(ErrorKind::Invalid, "no organisation name");
    if (r.common_name.empty()) return fail(ErrorKind::Invalid, "no common name");
    if (!is_finess(r.finess))
        return fail(ErrorKind::Invalid, fmt::format("FINESS '{}' is not 9 letters or digits", r.finess));
    if (r.kind == CertificateKind::Server) {
        if (!is_dns_name(r.common_name))
            return fail(ErrorKind::Invalid, fmt::format("a server certificate's CN '{}' is not a host name", r.common_name));
        if (!r.address.empty() && !is_address(r.address))
            return fail(ErrorKind::Invalid, fmt::format("'{}' is not an address", r.address));
    } else if (!is_address(r.address)) {
        return fail(ErrorKind::Invalid, fmt::format("'{}' is not an address", r.address));
    }
    return check_days(r.days);
}

bool is_ps_idnat_text(std::string_view s) {
    return s.size() >= 2 && s.size() <= 20 && std::all_of(s.begin(), s.end(), is_ascii_alnum);
}

Status check_request(const PersonalRequest& r) {
    if (!is_ps_idnat_text(r.ps_idnat))
        return fail(ErrorKind::Invalid, fmt::format("PS_IdNat '{}' is not 2 to 20 letters or digits", r.ps_idnat));
    if (!is_address(r.address)) return fail(ErrorKind::Invalid, fmt::format("'{}' is not an address", r.address));
    return check_days(r.days);
}

// ---- leaf certificates ----

struct Usage {
    const char* key_usage;
    const char* ext_key_usage;
};

Usage usage_of(CertificateKind kind) {
    switch (kind) {
        case CertificateKind::Authentication: return {"critical,digitalSignature", "clientAuth"};
        case CertificateKind::Signature: return {"critical,digitalSignature,nonRepudiation", "emailProtection"};
        case CertificateKind::Encryption: return {"critical,keyEncipherment", "emailProtection"};
        case CertificateKind::Server: return {"critical,digitalSignature,keyEncipherment", "serverAuth"};
    }
    return {"", ""};
}

struct LeafSpec {
    std::string ca_stem;  // "personnes" or "organisations"
    Subject subject;
    CertificateKind kind;
    std::vector<AltName> san;
    std::string address;  // recorded in the register; "" when none
    int days;
    std::optional<std::time_t> not_before;
};

Result<IssuedCertificate> issued_copy(X509* cert, EVP_PKEY* key, X509* ca) {
    auto leaf = ossl::cert_pem(cert), chain = ossl::cert_pem(ca), key_text = ossl::key_pem(key);
    auto digest = ossl::sha256_hex(cert);
    for (auto* part : {&leaf, &chain, &key_text, &digest})
        if (!*part) return part->error();
    return IssuedCertificate{*leaf + *chain, *key_text, *digest, ossl::serial_hex(X509_get0_serialNumber(cert))};
}

// A new key and certificate issued by spec.ca_stem, recorded in the register before it is returned.
Result<IssuedCertificate> issue_leaf(const fs::path& pki_dir, const Authority& ca, const LeafSpec& spec) {
    auto key = new_rsa_key();
    if (!key) return key.error();
    Usage u = usage_of(spec.kind);
    Profile p{false, -1, u.key_usage, u.ext_key_usage, spec.san, spec.days, spec.not_before};
    auto cert = issue(key->get(), spec.subject, p, &ca);
    if (!cert) return cert.error();
    auto copy = issued_copy(cert->get(), key->get(), ca.cert.get());
    if (!copy) return copy.error();
    if (auto st = record_issued(pki_dir, cert->get(), spec.ca_stem, spec.kind, spec.address); !st) return st.error();
    return copy;
}

LeafSpec organisation_spec(const OrganisationRequest& r) {
    std::vector<AltName> san;
    if (r.kind == CertificateKind::Server) san.push_back({GEN_DNS, r.common_name});
    else san.push_back({GEN_EMAIL, r.address});
    return {"organisations", {r.organisation, r.finess, r.common_name}, r.kind, san, r.address, r.days, r.not_before};
}

}  // namespace

Status ensure_test_igc(const TestIgcRequest& r) {
    if (auto st = check_request(r); !st) return st;
    fs::path dir = r.pki_dir.has_filename() ? r.pki_dir : r.pki_dir.parent_path();
    if (auto st = files::make_private_dir(dir); !st) return st;
    auto root = ensure_pair(dir, {"root", {r.operator_name, kTestOu, "AC RACINE IGC-SANTE TEST"},
                                  ca_profile(-1, kRootDays)});
    if (!root) return root.error();
    auto personnes = ensure_pair(dir, {"personnes", {r.operator_name, kTestOu, "AC IGC-SANTE TEST PERSONNES"},
                                       ca_profile(0, kIntermediateDays), &root.value()});
    if (!personnes) return personnes.error();
    auto organisations = ensure_pair(dir, {"organisations", {r.operator_name, kTestOu, "AC IGC-SANTE TEST ORGANISATIONS"},
                                           ca_profile(0, kIntermediateDays), &root.value()});
    if (!organisations) return organisations.error();
    if (auto st = ensure_trust(dir / "trust.pem", {&root.value(), &personnes.value(), &organisations.value()}); !st)
        return st;
    auto server = ensure_pair(dir, server_spec(r, *organisations));
    if (!server) return server.error();
    return Ok{};
}

Result<IssuedCertificate> issue_organisation(const OrganisationRequest& r) {
    if (auto st = check_request(r); !st) return st.error();
    auto ca = load_authority(r.pki_dir, "organisations");
    if (!ca) return ca.error();
    return issue_leaf(r.pki_dir, *ca, organisation_spec(r));
}

Result<IssuedCertificate> issue_org_auth_cli(const OrgAuthCliRequest& r) {
    OrganisationRequest auth = r;
    auth.kind = CertificateKind::Authentication;
    return issue_organisation(auth);
}

Result<PersonalCertificates> issue_personal(const PersonalRequest& r) {
    if (auto st = check_request(r); !st) return st.error();
    auto ca = load_authority(r.pki_dir, "personnes");
    if (!ca) return ca.error();
    Subject subject{ossl::name_entry(X509_get_subject_name(ca->cert.get()), NID_organizationName), kTestOu, r.ps_idnat};
    PersonalCertificates out;
    const std::pair<CertificateKind, IssuedCertificate*> parts[] = {{CertificateKind::Authentication, &out.authentication},
                                                                    {CertificateKind::Signature, &out.signature},
                                                                    {CertificateKind::Encryption, &out.encryption}};
    for (auto [kind, slot] : parts) {
        auto issued = issue_leaf(r.pki_dir, *ca, {"personnes", subject, kind, {{GEN_EMAIL, r.address}}, r.address,
                                                   r.days, r.not_before});
        if (!issued) return issued.error();
        *slot = std::move(issued).value();
    }
    return out;
}

std::string_view to_string(CertificateKind kind) {
    switch (kind) {
        case CertificateKind::Authentication: return "auth";
        case CertificateKind::Signature: return "sign";
        case CertificateKind::Encryption: return "encryption";
        case CertificateKind::Server: return "server";
    }
    return "?";
}

std::optional<CertificateKind> certificate_kind_from(std::string_view text) {
    for (auto k : {CertificateKind::Authentication, CertificateKind::Signature, CertificateKind::Encryption,
                   CertificateKind::Server})
        if (to_string(k) == text) return k;
    return std::nullopt;
}

Result<std::string> certificate_sha256(std::string_view pem) {
    auto cert = ossl::parse_cert(pem, "PEM certificate");
    if (!cert) return cert.error();
    return ossl::sha256_hex(cert->get());
}

}  // namespace mss::crypto
