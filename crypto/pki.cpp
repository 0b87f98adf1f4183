// The test IGC: RSA keys, CPS-style certificate profiles and PEM files, with OpenSSL 3's C API.
// Trusts the files already in pki_dir (kept as they are); every file is written 0600 through a
// temporary file, fsync and rename, so a crash leaves either the old state or the whole new file.
#include "crypto/pki.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace mss::crypto {
namespace {

namespace fs = std::filesystem;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Bignum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
using Extension = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;
using GeneralName = std::unique_ptr<GENERAL_NAME, decltype(&GENERAL_NAME_free)>;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;

const std::string kTestOu = "IGC-SANTE TEST";
constexpr int kRootDays = 20 * 365, kIntermediateDays = 10 * 365, kServerDays = 2 * 365, kMaxLeafDays = 10 * 365;

// The earliest queued OpenSSL error (the cause), then an empty queue for whoever runs next.
Error openssl_failure(ErrorKind kind, std::string_view what) {
    char buf[256] = "unknown OpenSSL error";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return fail(kind, fmt::format("{}: {}", what, buf));
}

Error system_failure(std::string_view what, const fs::path& path) {
    return fail(ErrorKind::Io, fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// ---- files ----

Result<bool> present(const fs::path& path) {
    std::error_code ec;
    bool found = fs::exists(path, ec);
    if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", path.string(), ec.message()));
    return found;
}

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Status sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return system_failure("cannot open", dir);
    if (::fsync(fd) != 0) {
        Error e = system_failure("cannot sync", dir);
        ::close(fd);
        return e;
    }
    ::close(fd);
    return Ok{};
}

// Fills and closes the temporary file fd, whatever happens.
Status fill_temporary(int fd, const fs::path& tmp, std::string_view text) {
    if (::fchmod(fd, 0600) != 0 || !write_all(fd, text) || ::fsync(fd) != 0) {
        Error e = system_failure("cannot write", tmp);
        ::close(fd);
        return e;
    }
    if (::close(fd) != 0) return system_failure("cannot write", tmp);
    return Ok{};
}

// Writes text to path, mode 0600: unique temporary file, fsync, rename, fsync of the directory.
Status write_atomic(const fs::path& path, std::string_view text) {
    std::string tmp = path.string() + ".tmp-XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) return system_failure("cannot create", tmp);
    Status filled = fill_temporary(fd, tmp, text);
    if (filled && ::rename(tmp.c_str(), path.c_str()) != 0) filled = system_failure("cannot rename to", path);
    if (!filled) {
        ::unlink(tmp.c_str());
        return filled;
    }
    return sync_directory(path.parent_path());
}

Result<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::NotFound, fmt::format("cannot read {}", path.string()));
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) return fail(ErrorKind::Io, fmt::format("cannot read {}", path.string()));
    return s.str();
}

// Creates dir (0700) and its parents when missing; an existing dir keeps its mode.
Status make_private_dir(const fs::path& dir) {
    std::error_code ec;
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", dir.parent_path().string(), ec.message()));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return system_failure("cannot create", dir);
    if (!fs::is_directory(dir, ec)) return fail(ErrorKind::Io, fmt::format("{} is not a directory", dir.string()));
    return Ok{};
}

// ---- PEM ----

Result<Bio> memory_bio(std::string_view text) {
    if (text.empty() || text.size() > INT_MAX) return fail(ErrorKind::Invalid, "no PEM text");
    Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
    if (!bio) return openssl_failure(ErrorKind::Io, "memory BIO");
    return bio;
}

Result<std::string> bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0 || (len > 0 && !data)) return openssl_failure(ErrorKind::Io, "memory BIO");
    return std::string(data, static_cast<std::size_t>(len));
}

// PKCS#8, unencrypted.
Result<std::string> key_pem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return openssl_failure(ErrorKind::Io, "writing a private key");
    return bio_text(bio.get());
}

Result<std::string> cert_pem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_failure(ErrorKind::Io, "writing a certificate");
    return bio_text(bio.get());
}

// Refuses encrypted keys instead of letting OpenSSL prompt on the terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

Result<Key> parse_key(std::string_view pem, std::string_view what) {
    auto bio = memory_bio(pem);
    if (!bio) return fail(ErrorKind::Invalid, fmt::format("{}: no private key", what));
    Key key(PEM_read_bio_PrivateKey(bio->get(), nullptr, no_passphrase, nullptr), EVP_PKEY_free);
    if (!key) return openssl_failure(ErrorKind::Invalid, what);
    return key;
}

// The first certificate of the text.
Result<Cert> parse_cert(std::string_view pem, std::string_view what) {
    auto bio = memory_bio(pem);
    if (!bio) return fail(ErrorKind::Invalid, fmt::format("{}: no certificate", what));
    Cert cert(PEM_read_bio_X509(bio->get(), nullptr, no_passphrase, nullptr), X509_free);
    if (!cert) return openssl_failure(ErrorKind::Invalid, what);
    return cert;
}

Result<Key> load_key(const fs::path& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    return parse_key(*text, path.string());
}

Result<Cert> load_cert(const fs::path& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    return parse_cert(*text, path.string());
}

Result<std::string> sha256_hex(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1)
        return openssl_failure(ErrorKind::Io, "certificate digest");
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
}

// ---- issuing ----

Result<Key> new_rsa_key() {
    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}), EVP_PKEY_free);
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
};

struct Authority {
    Key key{nullptr, EVP_PKEY_free};
    Cert cert{nullptr, X509_free};
};

// 16 random bytes, top bit clear and next bit set: positive and always 16 bytes long in DER.
Status set_serial(X509* cert) {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return openssl_failure(ErrorKind::Io, "serial number");
    bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
    Bignum bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr), BN_free);
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
        return openssl_failure(ErrorKind::Io, "serial number");
    return Ok{};
}

// Valid from an hour ago (clock skew between peers) for days days.
Status set_validity(X509* cert, int days) {
    if (!X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, nullptr))
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
    Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()), X509_EXTENSION_free);
    if (!ext || !X509_add_ext(cert, ext.get(), -1))
        return openssl_failure(ErrorKind::Io, fmt::format("extension {} = {}", OBJ_nid2sn(nid), value));
    return Ok{};
}

// subjectAltName built name by name, so a value holding a comma cannot add another name.
Status add_san(X509* cert, const std::vector<AltName>& names) {
    if (names.empty()) return Ok{};
    GeneralNames all(sk_GENERAL_NAME_new_null(), GENERAL_NAMES_free);
    if (!all) return openssl_failure(ErrorKind::Io, "subjectAltName");
    for (const auto& n : names) {
        GeneralName name(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, n.type, n.value.c_str(), 0), GENERAL_NAME_free);
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
    Cert cert(X509_new(), X509_free);
    if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) || !X509_set_pubkey(cert.get(), key))
        return openssl_failure(ErrorKind::Io, "new certificate");
    if (auto st = set_serial(cert.get()); !st) return st.error();
    if (auto st = set_validity(cert.get(), p.days); !st) return st.error();
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
    auto pem = key_pem(key->get());
    if (!pem) return pem.error();
    if (auto st = write_atomic(path, *pem); !st) return st.error();
    return key;
}

Result<Cert> make_cert(const fs::path& path, const PairSpec& spec, EVP_PKEY* key) {
    auto cert = issue(key, spec.subject, spec.profile, spec.issuer);
    if (!cert) return cert.error();
    auto pem = cert_pem(cert->get());
    if (!pem) return pem.error();
    std::string text = *pem;
    if (spec.append_issuer) {
        auto chain = cert_pem(spec.issuer->cert.get());
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
        auto pem = cert_pem(ca->cert.get());
        if (!pem) return pem.error();
        text += *pem;
    }
    return write_atomic(path, text);
}

Profile ca_profile(int pathlen, int days) {
    return {true, pathlen, "critical,keyCertSign,cRLSign", "", {}, days};
}

PairSpec server_spec(const TestIgcRequest& r, const Authority& organisations) {
    Profile p{false, -1, "critical,digitalSignature,keyEncipherment", "serverAuth,clientAuth",
              {{GEN_DNS, r.domain}, {GEN_DNS, "localhost"}, {GEN_IPADD, "127.0.0.1"}, {GEN_IPADD, "::1"}},
              kServerDays};
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

Status check_request(const OrgAuthCliRequest& r) {
    if (r.organisation.empty()) return fail(ErrorKind::Invalid, "no organisation name");
    if (r.common_name.empty()) return fail(ErrorKind::Invalid, "no common name");
    if (!is_finess(r.finess))
        return fail(ErrorKind::Invalid, fmt::format("FINESS '{}' is not 9 letters or digits", r.finess));
    if (!is_address(r.address)) return fail(ErrorKind::Invalid, fmt::format("'{}' is not an address", r.address));
    if (r.days < 1 || r.days > kMaxLeafDays)
        return fail(ErrorKind::Invalid, fmt::format("validity of {} days outside 1..{}", r.days, kMaxLeafDays));
    return Ok{};
}

}  // namespace

Status ensure_test_igc(const TestIgcRequest& r) {
    if (auto st = check_request(r); !st) return st;
    fs::path dir = r.pki_dir.has_filename() ? r.pki_dir : r.pki_dir.parent_path();
    if (auto st = make_private_dir(dir); !st) return st;
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

Result<IssuedCertificate> issue_org_auth_cli(const OrgAuthCliRequest& r) {
    if (auto st = check_request(r); !st) return st.error();
    auto ca = load_authority(r.pki_dir, "organisations");
    if (!ca) return ca.error();
    auto key = new_rsa_key();
    if (!key) return key.error();
    Profile p{false, -1, "critical,digitalSignature", "clientAuth", {{GEN_EMAIL, r.address}}, r.days};
    auto cert = issue(key->get(), {r.organisation, r.finess, r.common_name}, p, &ca.value());
    if (!cert) return cert.error();
    auto leaf = cert_pem(cert->get()), chain = cert_pem(ca->cert.get()), key_text = key_pem(key->get());
    auto digest = sha256_hex(cert->get());
    for (auto* part : {&leaf, &chain, &key_text, &digest})
        if (!*part) return part->error();
    return IssuedCertificate{*leaf + *chain, *key_text, *digest};
}

Result<std::string> certificate_sha256(std::string_view pem) {
    auto cert = parse_cert(pem, "PEM certificate");
    if (!cert) return cert.error();
    return sha256_hex(cert->get());
}

}  // namespace mss::crypto
