// Chain and revocation checks against pki/trust.pem and pki/*.crl, and the import of other
// hierarchies' CA certificates and CRLs (PEM, PKCS#7 in DER or PEM, DER) into pki/. Trusts the pki/
// folder; imported files are parsed with bounds, only their CA certificates and the CRLs those CAs
// signed are kept.
#include "crypto/trust.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/x509_reason.h"
#include "crypto/files.h"
#include "crypto/ossl.h"
#include "crypto/revocation.h"

namespace mss::crypto {

// Valid verdicts by exact input (purpose, leaf, intermediates), each with the time it stops holding.
struct ValidChains {
    static constexpr std::size_t kMaxEntries = 1024;
    static constexpr std::time_t kMaxSeconds = 300;
    std::time_t crl_horizon = 0;  // the earliest nextUpdate of the store's CRLs

    bool holds(const std::string& key, std::time_t now) {
        std::lock_guard lock(mutex);
        auto it = until.find(key);
        return it != until.end() && now < it->second;
    }
    void remember(std::string key, std::time_t expires) {
        std::lock_guard lock(mutex);
        if (until.count(key)) return;
        if (order.size() == kMaxEntries) {
            until.erase(order.front());
            order.pop_front();
        }
        until.emplace(key, expires);
        order.push_back(std::move(key));
    }

    std::mutex mutex;
    std::unordered_map<std::string, std::time_t> until;
    std::deque<std::string> order;
};

namespace {

namespace fs = std::filesystem;
using ossl::Cert;
using ossl::Crl;
using ossl::openssl_failure;
using Pkcs7 = std::unique_ptr<PKCS7, ossl::Deleter<PKCS7, PKCS7_free>>;

constexpr std::size_t kMaxTrustCertificates = 10000;
constexpr std::size_t kMaxImportBytes = 64 * 1024 * 1024;  // as files::read_text
constexpr std::size_t kMaxImportCertificates = 1000;
constexpr std::size_t kMaxImportCrls = 64;

int purpose_id(CertificatePurpose p) {
    switch (p) {
        case CertificatePurpose::TlsClient: return X509_PURPOSE_SSL_CLIENT;
        case CertificatePurpose::TlsServer: return X509_PURPOSE_SSL_SERVER;
        case CertificatePurpose::SmimeSigning: return X509_PURPOSE_SMIME_SIGN;
        case CertificatePurpose::SmimeEncryption: return X509_PURPOSE_SMIME_ENCRYPT;
    }
    return X509_PURPOSE_ANY;
}

// The status named by core/x509_reason's word for the error: one table of OpenSSL's codes for
// TLS and for chains.
ChainStatus status_of(int error) {
    std::string_view reason = x509::verify_reason(error);
    for (auto s : {ChainStatus::Valid, ChainStatus::Expired, ChainStatus::NotYetValid, ChainStatus::Revoked,
                   ChainStatus::UntrustedIssuer, ChainStatus::NoCrl, ChainStatus::CrlExpired, ChainStatus::WrongPurpose,
                   ChainStatus::WeakKey})
        if (to_string(s) == reason) return s;
    return ChainStatus::Invalid;
}

Result<std::vector<fs::path>> crl_files(const fs::path& pki) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(pki, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".crl" && it->is_regular_file(ec)) out.push_back(it->path());
    if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", pki.string(), ec.message()));
    std::sort(out.begin(), out.end());
    return out;
}

Status load_into(X509_STORE* store, const fs::path& file) {
    if (X509_STORE_load_file(store, file.c_str()) != 1) return openssl_failure(ErrorKind::Io, file.string());
    return Ok{};
}

// ---- remembered verdicts ----

std::time_t time_of(const ASN1_TIME* t, std::time_t otherwise) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return otherwise;
    return ::timegm(&tm);
}

// The earliest nextUpdate of the CRLs in the store (a CRL without one: no remembering at all).
std::time_t crl_horizon(X509_STORE* store) {
    std::time_t horizon = std::numeric_limits<std::time_t>::max();
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
        X509_CRL* crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objects, i));
        if (crl) horizon = std::min(horizon, time_of(X509_CRL_get0_nextUpdate(crl), 0));
    }
    return horizon;
}

// SHA-256 over the purpose, the leaf and the intermediates offered: the exact question asked.
std::string chain_key(X509* leaf, STACK_OF(X509)* untrusted, CertificatePurpose purpose) {
    std::unique_ptr<EVP_MD_CTX, ossl::Deleter<EVP_MD_CTX, EVP_MD_CTX_free>> md(EVP_MD_CTX_new());
    unsigned char p = static_cast<unsigned char>(purpose);
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1 || EVP_DigestUpdate(md.get(), &p, 1) != 1)
        return "";
    for (int i = -1; i < sk_X509_num(untrusted); ++i) {
        auto der = ossl::cert_der(i < 0 ? leaf : sk_X509_value(untrusted, i));
        std::string framed = der ? fmt::format("{}:", der->size()) + *der : "?";
        if (EVP_DigestUpdate(md.get(), framed.data(), framed.size()) != 1) return "";
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(md.get(), out, &len) != 1) return "";
    return std::string(reinterpret_cast<char*>(out), len);
}

std::time_t valid_until(X509_STORE_CTX* ctx, std::time_t now, std::time_t horizon) {
    std::time_t until = std::min(now + ValidChains::kMaxSeconds, horizon);
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; i < sk_X509_num(chain); ++i) until = std::min(until, time_of(X509_get0_notAfter(sk_X509_value(chain, i)), 0));
    return until;
}

// ---- import: reading the file ----

// What an imported file holds, in the file's order.
struct FileContents {
    std::vector<Cert> certificates;
    std::vector<Crl> crls;
};

// One PEM block, freed whatever happens.
struct PemBlock {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    ~PemBlock() {
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
};

Status add_certificate(FileContents& out, Cert cert) {
    if (out.certificates.size() >= kMaxImportCertificates)
        return fail(ErrorKind::Invalid, fmt::format("more than {} certificates", kMaxImportCertificates));
    out.certificates.push_back(std::move(cert));
    return Ok{};
}

Status add_crl(FileContents& out, Crl crl) {
    if (out.crls.size() >= kMaxImportCrls)
        return fail(ErrorKind::Invalid, fmt::format("more than {} CRLs", kMaxImportCrls));
    out.crls.push_back(std::move(crl));
    return Ok{};
}

// The certificates and CRLs of a PKCS#7 SignedData ("P7B"); any other PKCS#7 type holds none.
Status collect_signed_data(PKCS7* p7, FileContents& out) {
    if (!PKCS7_type_is_signed(p7) || !p7->d.sign) return Ok{};
    STACK_OF(X509)* certs = p7->d.sign->cert;
    for (int i = 0; i < sk_X509_num(certs); ++i)
        if (auto st = add_certificate(out, ossl::share(sk_X509_value(certs, i))); !st) return st;
    STACK_OF(X509_CRL)* crls = p7->d.sign->crl;
    for (int i = 0; i < sk_X509_CRL_num(crls); ++i) {
        X509_CRL* crl = sk_X509_CRL_value(crls, i);
        X509_CRL_up_ref(crl);
        if (auto st = add_crl(out, Crl(crl)); !st) return st;
    }
    return Ok{};
}

// A DER file: PKCS#7, else one certificate, else one CRL.
Status collect_der(std::string_view bytes, FileContents& out) {
    auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
    long len = static_cast<long>(bytes.size());
    const unsigned char* p = der;
    if (Pkcs7 p7(d2i_PKCS7(nullptr, &p, len)); p7) return collect_signed_data(p7.get(), out);
    p = der;
    if (Cert cert(d2i_X509(nullptr, &p, len)); cert) return add_certificate(out, std::move(cert));
    p = der;
    if (Crl crl(d2i_X509_CRL(nullptr, &p, len)); crl) return add_crl(out, std::move(crl));
    return openssl_failure(ErrorKind::Invalid, "neither PEM, nor a DER certificate or CRL, nor PKCS#7");
}

Status collect_pem_block(const PemBlock& b, FileContents& out) {
    std::string_view name = b.name;
    const unsigned char* p = b.data;
    if (name == PEM_STRING_PKCS7 || name == PEM_STRING_PKCS7_SIGNED) {
        if (Pkcs7 p7(d2i_PKCS7(nullptr, &p, b.len)); p7) return collect_signed_data(p7.get(), out);
    } else if (name == PEM_STRING_X509_CRL) {
        if (Crl crl(d2i_X509_CRL(nullptr, &p, b.len)); crl) return add_crl(out, std::move(crl));
    } else if (name == PEM_STRING_X509 || name == PEM_STRING_X509_OLD) {
        if (Cert cert(d2i_X509(nullptr, &p, b.len)); cert) return add_certificate(out, std::move(cert));
    } else if (name == PEM_STRING_X509_TRUSTED) {
        if (Cert cert(d2i_X509_AUX(nullptr, &p, b.len)); cert) return add_certificate(out, std::move(cert));
    } else {
        return Ok{};  // keys and other blocks are not ours to import
    }
    return openssl_failure(ErrorKind::Invalid, fmt::format("PEM block {}", name));
}

Status collect_pem(std::string_view bytes, FileContents& out) {
    auto bio = ossl::memory_bio(bytes);
    if (!bio) return bio.error();
    for (;;) {
        PemBlock b;
        if (PEM_read_bio(bio->get(), &b.name, &b.header, &b.data, &b.len) != 1) break;
        if (auto st = collect_pem_block(b, out); !st) return st;
    }
    return Ok{};
}

Result<FileContents> contents_of(std::string_view bytes) {
    if (bytes.size() > kMaxImportBytes)
        return fail(ErrorKind::Invalid, fmt::format("larger than {} MiB", kMaxImportBytes / (1024 * 1024)));
    FileContents out;
    bool pem = bytes.find("-----BEGIN ") != std::string_view::npos;
    if (auto st = pem ? collect_pem(bytes, out) : collect_der(bytes, out); !st) return st.error();
    ERR_clear_error();  // the PEM loop ends on "no start line"; DER tries kinds in turn
    if (out.certificates.empty() && out.crls.empty())
        return fail(ErrorKind::Invalid, "no certificate and no CRL in the file");
    return out;
}

// ---- import: CA certificates into trust.pem ----

bool contains(const std::vector<Cert>& certs, X509* c) {
    return std::any_of(certs.begin(), certs.end(), [&](const Cert& o) { return X509_cmp(o.get(), c) == 0; });
}

// The PEM of the incoming CA certificates not among known yet; known then holds them too.
Result<std::string> new_anchors(std::vector<Cert>& incoming, std::vector<Cert>& known, TrustImport& import) {
    std::string added;
    for (auto& c : incoming) {
        if (X509_check_ca(c.get()) == 0) ++import.not_ca;
        else if (contains(known, c.get())) ++import.already_present;
        else {
            auto pem = ossl::cert_pem(c.get());
            if (!pem) return pem.error();
            added += *pem;
            ++import.added;
            known.push_back(std::move(c));
        }
    }
    ERR_clear_error();
    return added;
}

Status append_anchors(const fs::path& pki, std::string trust_text, const std::string& added) {
    if (added.empty()) return Ok{};
    if (!trust_text.empty() && trust_text.back() != '\n') trust_text += '\n';
    return files::write_atomic(pki / "trust.pem", trust_text + added);
}

// ---- import: CRLs as pki/imported-*.crl ----

bool signed_by(X509_CRL* crl, X509* ca) {
    return X509_check_ca(ca) != 0 && X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0 &&
           X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1;
}

// The CA among known that issued and signed the CRL; null if none did.
X509* signer_of(X509_CRL* crl, const std::vector<Cert>& known) {
    auto it = std::find_if(known.begin(), known.end(), [&](const Cert& c) { return signed_by(crl, c.get()); });
    ERR_clear_error();  // failed verifications queue their cause
    return it == known.end() ? nullptr : it->get();
}

// RFC 5280 5.2.3: of two CRLs of one issuer, the greater CRL number is the later; without a number
// on both, the later thisUpdate.
bool newer(X509_CRL* candidate, X509_CRL* current) {
    using Number = ossl::Asn1Integer;
    Number a(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(candidate, NID_crl_number, nullptr, nullptr)));
    Number b(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(current, NID_crl_number, nullptr, nullptr)));
    ERR_clear_error();
    if (a && b) return ASN1_INTEGER_cmp(a.get(), b.get()) > 0;
    return ASN1_TIME_compare(X509_CRL_get0_lastUpdate(candidate), X509_CRL_get0_lastUpdate(current)) > 0;
}

Result<fs::path> imported_crl_path(const fs::path& pki, X509_CRL* crl) {
    auto issuer = ossl::sha256_hex(X509_CRL_get_issuer(crl));
    if (!issuer) return issuer.error();
    return pki / fmt::format("imported-{}.crl", issuer->substr(0, 16));
}

// The CRL imported before at path; null when there is none.
Result<Crl> imported_crl(const fs::path& path) {
    auto text = files::read_text(path);
    if (!text && text.error().kind == ErrorKind::NotFound) return Crl();
    if (!text) return text.error();
    return ossl::parse_crl(*text, path.string());
}

// The test IGC's own CA certificates (pki/<stem>.crt, those present): their CRLs are write_crls'.
Result<std::vector<Cert>> own_cas(const fs::path& pki) {
    std::vector<Cert> out;
    for (std::string_view stem : kTestIgcCaStems) {
        fs::path crt = pki / fmt::format("{}.crt", stem);
        auto text = files::read_text(crt);
        if (!text && text.error().kind == ErrorKind::NotFound) continue;
        if (!text) return text.error();
        auto cert = ossl::parse_cert(*text, crt.string());
        if (!cert) return cert.error();
        out.push_back(std::move(cert).value());
    }
    return out;
}

enum class CrlFate { Added, Replaced, AlreadyPresent, Refused };

// Refused unless a CA of known signed it; left alone when it is the test IGC's own or not newer than
// the one of its issuer imported before; written otherwise.
Result<CrlFate> import_crl(const fs::path& pki, X509_CRL* crl, const std::vector<Cert>& known,
                           const std::vector<Cert>& own) {
    X509* signer = signer_of(crl, known);
    if (!signer) return CrlFate::Refused;
    if (contains(own, signer)) return CrlFate::AlreadyPresent;
    auto path = imported_crl_path(pki, crl);
    if (!path) return path.error();
    auto current = imported_crl(*path);
    if (!current) return current.error();
    bool replacing = static_cast<bool>(*current);
    if (replacing && !newer(crl, current->get())) return CrlFate::AlreadyPresent;
    auto pem = ossl::crl_pem(crl);
    if (!pem) return pem.error();
    if (auto st = files::write_atomic(*path, *pem); !st) return st.error();
    return replacing ? CrlFate::Replaced : CrlFate::Added;
}

void count(TrustImport& import, CrlFate fate) {
    switch (fate) {
        case CrlFate::Added: ++import.crls_added; break;
        case CrlFate::Replaced: ++import.crls_replaced; break;
        case CrlFate::AlreadyPresent: ++import.crls_already_present; break;
        case CrlFate::Refused: ++import.crls_refused; break;
    }
}

Status import_crls(const fs::path& pki, const std::vector<Crl>& crls, const std::vector<Cert>& known,
                   TrustImport& import) {
    auto own = own_cas(pki);
    if (!own) return own.error();
    for (const auto& crl : crls) {
        auto fate = import_crl(pki, crl.get(), known, *own);
        if (!fate) return fate.error();
        count(import, *fate);
    }
    return Ok{};
}

}  // namespace

std::string_view to_string(ChainStatus s) {
    switch (s) {
        case ChainStatus::Valid: return "valid";
        case ChainStatus::Expired: return "expired";
        case ChainStatus::NotYetValid: return "not-yet-valid";
        case ChainStatus::Revoked: return "revoked";
        case ChainStatus::UntrustedIssuer: return "untrusted-issuer";
        case ChainStatus::NoCrl: return "no-crl";
        case ChainStatus::CrlExpired: return "crl-expired";
        case ChainStatus::WrongPurpose: return "wrong-purpose";
        case ChainStatus::WeakKey: return "weak-key";
        case ChainStatus::Invalid: return "invalid";
    }
    return "?";
}

Result<std::string> trust_files_stamp(const fs::path& pki) {
    auto files = crl_files(pki);
    if (!files) return files.error();
    files->insert(files->begin(), pki / "trust.pem");
    std::string stamp;
    for (const auto& f : *files) {
        std::error_code ec;
        auto size = fs::file_size(f, ec);
        auto when = fs::last_write_time(f, ec);
        if (ec) return fail(ErrorKind::Io, fmt::format("{}: {}", f.string(), ec.message()));
        stamp += fmt::format("{} {} {}\n", f.filename().string(), size, when.time_since_epoch().count());
    }
    return stamp;
}

Result<TrustStore> TrustStore::load(const fs::path& pki) {
    std::shared_ptr<X509_STORE> store(X509_STORE_new(), X509_STORE_free);
    if (!store) return openssl_failure(ErrorKind::Io, "new X509 store");
    auto anchors = files::present(pki / "trust.pem");
    if (!anchors) return anchors.error();
    if (!*anchors) return fail(ErrorKind::NotFound, fmt::format("no {}", (pki / "trust.pem").string()));
    if (auto st = load_into(store.get(), pki / "trust.pem"); !st) return st.error();
    auto crls = crl_files(pki);
    if (!crls) return crls.error();
    for (const auto& f : *crls)
        if (auto st = load_into(store.get(), f); !st) return st.error();
    X509_VERIFY_PARAM* param = X509_STORE_get0_param(store.get());
    if (X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) != 1)
        return openssl_failure(ErrorKind::Io, "store flags");
    X509_VERIFY_PARAM_set_auth_level(param, 2);
    auto valid = std::make_shared<ValidChains>();
    valid->crl_horizon = crl_horizon(store.get());
    return TrustStore(std::move(store), std::move(valid));
}

ChainVerdict verify_chain(const TrustStore& trust, X509* leaf, STACK_OF(X509)* untrusted, CertificatePurpose purpose) {
    std::time_t now = std::time(nullptr);
    std::string key = chain_key(leaf, untrusted, purpose);
    ERR_clear_error();
    if (!key.empty() && trust.valid_chains().holds(key, now)) return {ChainStatus::Valid, ""};
    ossl::StoreCtx ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), trust.get(), leaf, untrusted) != 1 ||
        X509_STORE_CTX_set_purpose(ctx.get(), purpose_id(purpose)) != 1)
        return {ChainStatus::Invalid, "cannot set up the verification: " + ossl::take_openssl_error()};
    int ok = X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    if (ok == 1) {
        if (!key.empty()) trust.valid_chains().remember(key, valid_until(ctx.get(), now, trust.valid_chains().crl_horizon));
        return {ChainStatus::Valid, ""};
    }
    if (error == X509_V_OK) return {ChainStatus::Invalid, "verification failed without a reason"};
    X509* at_fault = X509_STORE_CTX_get_current_cert(ctx.get());
    return {status_of(error), fmt::format("{} (depth {}: {})", X509_verify_cert_error_string(error),
                                          X509_STORE_CTX_get_error_depth(ctx.get()),
                                          at_fault ? ossl::name_text(X509_get_subject_name(at_fault)) : "?")};
}

Result<ChainVerdict> verify_chain(const fs::path& pki, std::string_view pem_chain, CertificatePurpose purpose) {
    auto trust = TrustStore::load(pki);
    if (!trust) return trust.error();
    auto chain = ossl::parse_certs(pem_chain, "certificate chain");
    if (!chain) return chain.error();
    ossl::BorrowedCertStack untrusted(sk_X509_new_null());
    if (!untrusted) return openssl_failure(ErrorKind::Io, "certificate stack");
    for (std::size_t i = 1; i < chain->size(); ++i)
        if (!sk_X509_push(untrusted.get(), (*chain)[i].get())) return openssl_failure(ErrorKind::Io, "certificate stack");
    return verify_chain(*trust, chain->front().get(), untrusted.get(), purpose);
}

Result<TrustImport> add_trusted(const fs::path& pki, std::string_view file_bytes) {
    auto incoming = contents_of(file_bytes);
    if (!incoming) return incoming.error();
    auto lock = files::Lock::acquire(pki / ".lock");
    if (!lock) return lock.error();
    auto text = files::read_text(pki / "trust.pem");
    if (!text) return text.error();
    auto known = ossl::parse_certs(*text, (pki / "trust.pem").string(), kMaxTrustCertificates);
    if (!known) return known.error();
    TrustImport import;
    auto added = new_anchors(incoming->certificates, *known, import);
    if (!added) return added.error();
    if (import.added + import.already_present == 0 && incoming->crls.empty())
        return fail(ErrorKind::Invalid, "no CA certificate and no CRL in the file");
    if (auto st = append_anchors(pki, std::move(*text), *added); !st) return st.error();
    if (auto st = import_crls(pki, incoming->crls, *known, import); !st) return st.error();
    return import;
}

}  // namespace mss::crypto
