// The test IGC's register of issued certificates (pki/issued/) and the CRLs signed from it. Every
// read-modify-write holds pki/.lock; files are replaced atomically. Trusts the pki/ folder's
// owner, but parses the index strictly: a line it cannot read is an error, never skipped.
#include "crypto/revocation.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "core/text.h"
#include "crypto/files.h"
#include "crypto/ossl.h"

namespace mss::crypto {
namespace {

namespace fs = std::filesystem;
using ossl::openssl_failure;
using Revoked = std::unique_ptr<X509_REVOKED, ossl::Deleter<X509_REVOKED, X509_REVOKED_free>>;
using Enumerated = std::unique_ptr<ASN1_ENUMERATED, ossl::Deleter<ASN1_ENUMERATED, ASN1_ENUMERATED_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, ossl::Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr std::size_t kMaxSerialHex = 40;  // RFC 5280: at most 20 octets

fs::path issued_dir(const fs::path& pki) { return pki / "issued"; }
fs::path index_path(const fs::path& pki) { return issued_dir(pki) / "index.txt"; }
fs::path pem_path(const fs::path& pki, const std::string& serial) { return issued_dir(pki) / (serial + ".pem"); }
fs::path crl_path(const fs::path& pki, std::string_view stem) { return pki / (std::string(stem) + ".crl"); }

Result<files::Lock> lock_register(const fs::path& pki) {
    if (auto st = files::make_private_dir(issued_dir(pki)); !st) return st.error();
    return files::Lock::acquire(pki / ".lock");
}

// ---- the index's text ----

std::string time_text(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

std::optional<int> digits(std::string_view s) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<std::time_t> parse_time(std::string_view s) {
    if (s.size() != 15 || s.back() != 'Z') return std::nullopt;
    std::tm tm{};
    auto year = digits(s.substr(0, 4)), mon = digits(s.substr(4, 2)), day = digits(s.substr(6, 2)),
         hour = digits(s.substr(8, 2)), min = digits(s.substr(10, 2)), sec = digits(s.substr(12, 2));
    if (!year || !mon || !day || !hour || !min || !sec || *mon < 1 || *mon > 12 || *day < 1 || *day > 31 ||
        *hour > 23 || *min > 59 || *sec > 60)
        return std::nullopt;
    tm.tm_year = *year - 1900, tm.tm_mon = *mon - 1, tm.tm_mday = *day;
    tm.tm_hour = *hour, tm.tm_min = *min, tm.tm_sec = *sec;
    return ::timegm(&tm);
}

// Upper-case hex without leading zeros; colons (as openssl x509 -serial prints) are dropped.
std::optional<std::string> normalise_serial(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        if (out.empty() && c == '0') continue;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (text.empty() || out.size() > kMaxSerialHex) return std::nullopt;
    return out.empty() ? "0" : out;
}

bool is_ca_stem(std::string_view s) { return s == "personnes" || s == "organisations"; }

std::string field_or_dash(std::string_view s) { return s.empty() ? "-" : std::string(s); }

std::string index_line(const IssuedRecord& r) {
    return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r.serial_hex, r.issuer, to_string(r.kind),
                       r.revoked ? "R" : "V", time_text(r.not_after), r.revoked ? time_text(r.revoked->at) : "-",
                       r.revoked ? to_string(r.revoked->reason) : "-", field_or_dash(r.address), r.subject);
}

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        auto tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) return out;
        start = tab + 1;
    }
}

std::optional<Revocation> parse_revocation(std::string_view status, std::string_view at, std::string_view reason,
                                           bool& ok) {
    ok = false;
    if (status == "V") {
        ok = at == "-" && reason == "-";
        return std::nullopt;
    }
    auto when = parse_time(at);
    auto why = revocation_reason_from(reason);
    ok = status == "R" && when && why;
    if (!ok) return std::nullopt;
    return Revocation{*when, *why};
}

std::optional<IssuedRecord> parse_line(std::string_view line) {
    auto f = split_tabs(line);
    if (f.size() != 9) return std::nullopt;
    auto serial = normalise_serial(f[0]);
    auto kind = certificate_kind_from(f[2]);
    auto not_after = parse_time(f[4]);
    bool revocation_ok = false;
    auto revoked = parse_revocation(f[3], f[5], f[6], revocation_ok);
    if (!serial || *serial != f[0] || !is_ca_stem(f[1]) || !kind || !not_after || !revocation_ok || f[8].empty())
        return std::nullopt;
    return IssuedRecord{*serial, std::string(f[1]), *kind, f[7] == "-" ? "" : std::string(f[7]), std::string(f[8]),
                        *not_after, revoked};
}

Result<std::vector<IssuedRecord>> read_index(const fs::path& pki) {
    std::vector<IssuedRecord> out;
    auto present = files::present(index_path(pki));
    if (!present) return present.error();
    if (!*present) return out;
    auto text = files::read_text(index_path(pki));
    if (!text) return text.error();
    std::string_view rest = *text;
    for (int n = 1; !rest.empty(); ++n) {
        auto nl = rest.find('\n');
        if (nl == std::string_view::npos)
            return fail(ErrorKind::Io, fmt::format("{}: line {} is cut short", index_path(pki).string(), n));
        auto record = parse_line(rest.substr(0, nl));
        if (!record) return fail(ErrorKind::Io, fmt::format("{}: line {} is malformed", index_path(pki).string(), n));
        out.push_back(std::move(*record));
        rest.remove_prefix(nl + 1);
    }
    return out;
}

Status write_index(const fs::path& pki, const std::vector<IssuedRecord>& records) {
    std::string text;
    for (const auto& r : records) text += index_line(r);
    return files::write_atomic(index_path(pki), text);
}

// ---- CRLs ----

struct Ca {
    ossl::Key key;
    ossl::Cert cert;
};

Result<Ca> load_ca(const fs::path& pki, std::string_view stem) {
    auto key_text = files::read_text(pki / (std::string(stem) + ".key"));
    if (!key_text) return key_text.error();
    auto key = ossl::parse_key(*key_text, stem);
    if (!key) return key.error();
    auto cert_text = files::read_text(pki / (std::string(stem) + ".crt"));
    if (!cert_text) return cert_text.error();
    auto cert = ossl::parse_cert(*cert_text, stem);
    if (!cert) return cert.error();
    return Ca{std::move(key).value(), std::move(cert).value()};
}

Result<ossl::Asn1Integer> serial_integer(const std::string& hex) {
    BIGNUM* raw = nullptr;
    if (BN_hex2bn(&raw, hex.c_str()) == 0) return openssl_failure(ErrorKind::Io, "serial " + hex);
    ossl::Bignum bn(raw);
    ossl::Asn1Integer serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!serial) return openssl_failure(ErrorKind::Io, "serial " + hex);
    return serial;
}

// RFC 5280 5.3.1: the reasonCode extension is absent rather than "unspecified".
Status add_reason(X509_REVOKED* entry, RevocationReason reason) {
    if (reason == RevocationReason::Unspecified) return Ok{};
    Enumerated code(ASN1_ENUMERATED_new());
    if (!code || !ASN1_ENUMERATED_set(code.get(), static_cast<long>(reason)) ||
        X509_REVOKED_add1_ext_i2d(entry, NID_crl_reason, code.get(), 0, 0) != 1)
        return openssl_failure(ErrorKind::Io, "CRL reason code");
    return Ok{};
}

Status add_revoked(X509_CRL* crl, const IssuedRecord& r) {
    Revoked entry(X509_REVOKED_new());
    auto serial = serial_integer(r.serial_hex);
    if (!serial) return serial.error();
    ossl::Asn1Time date(ASN1_TIME_set(nullptr, r.revoked->at));
    if (!entry || !date || !X509_REVOKED_set_serialNumber(entry.get(), serial->get()) ||
        !X509_REVOKED_set_revocationDate(entry.get(), date.get()))
        return openssl_failure(ErrorKind::Io, "CRL entry");
    if (auto st = add_reason(entry.get(), r.revoked->reason); !st) return st;
    if (!X509_CRL_add0_revoked(crl, entry.get())) return openssl_failure(ErrorKind::Io, "CRL entry");
    entry.release();
    return Ok{};
}

Status add_crl_extensions(X509_CRL* crl, X509* issuer, long number) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl, 0);
    Extension aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    ossl::Asn1Integer crl_number(ASN1_INTEGER_new());
    if (!aki || !X509_CRL_add_ext(crl, aki.get(), -1) || !crl_number ||
        !ASN1_INTEGER_set(crl_number.get(), number) || X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number.get(), 0, 0) != 1)
        return openssl_failure(ErrorKind::Io, "CRL extensions");
    return Ok{};
}

Status set_crl_header(X509_CRL* crl, X509* issuer, std::time_t now) {
    ossl::Asn1Time last(ASN1_TIME_set(nullptr, now)), next(ASN1_TIME_adj(nullptr, now, kCrlValidityDays, 0));
    if (!last || !next || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) || !X509_CRL_set1_lastUpdate(crl, last.get()) ||
        !X509_CRL_set1_nextUpdate(crl, next.get()))
        return openssl_failure(ErrorKind::Io, "CRL header");
    return Ok{};
}

Result<std::string> signed_crl(const Ca& ca, std::string_view stem, const std::vector<IssuedRecord>& records,
                               long number, std::time_t now) {
    ossl::Crl crl(X509_CRL_new());
    if (!crl) return openssl_failure(ErrorKind::Io, "new CRL");
    if (auto st = set_crl_header(crl.get(), ca.cert.get(), now); !st) return st.error();
    for (const auto& r : records)
        if (r.issuer == stem && r.revoked)
            if (auto st = add_revoked(crl.get(), r); !st) return st.error();
    X509_CRL_sort(crl.get());
    if (auto st = add_crl_extensions(crl.get(), ca.cert.get(), number); !st) return st.error();
    if (X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) <= 0) return openssl_failure(ErrorKind::Io, "signing a CRL");
    return ossl::crl_pem(crl.get());
}

// The CRL number for this round (pki/crlnumber holds the next one), shared by the three CAs.
Result<long> take_crl_number(const fs::path& pki) {
    fs::path path = pki / "crlnumber";
    long number = 1;
    auto text = files::read_text(path, 64);
    if (text) {
        std::string_view t = *text;
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), number);
        if (ec != std::errc() || end != t.data() + t.size() || number < 1)
            return fail(ErrorKind::Io, fmt::format("{} does not hold a CRL number", path.string()));
    } else if (text.error().kind != ErrorKind::NotFound) {
        return text.error();
    }
    if (auto st = files::write_atomic(path, fmt::format("{}\n", number + 1)); !st) return st.error();
    return number;
}

Status write_crls_locked(const fs::path& pki, const std::vector<IssuedRecord>& records) {
    auto number = take_crl_number(pki);
    if (!number) return number.error();
    std::time_t now = std::time(nullptr);
    for (std::string_view stem : kTestIgcCaStems) {
        auto ca = load_ca(pki, stem);
        if (!ca) return ca.error();
        auto pem = signed_crl(*ca, stem, records, *number, now);
        if (!pem) return pem.error();
        if (auto st = files::write_atomic(crl_path(pki, stem), *pem); !st) return st;
    }
    return Ok{};
}

Result<bool> all_crls_present(const fs::path& pki) {
    for (std::string_view stem : kTestIgcCaStems) {
        auto here = files::present(crl_path(pki, stem));
        if (!here || !*here) return here;
    }
    return true;
}

Status ensure_crls_locked(const fs::path& pki, const std::vector<IssuedRecord>& records) {
    auto all = all_crls_present(pki);
    if (!all) return all.error();
    return *all ? Status(Ok{}) : write_crls_locked(pki, records);
}

// ---- revocation ----

struct Target {
    std::string serial;
    std::string der;  // empty when given by serial
};

Result<Target> target_of(std::string_view serial_or_pem) {
    if (serial_or_pem.find("-----BEGIN") == std::string_view::npos) {
        auto serial = normalise_serial(serial_or_pem);
        if (!serial) return fail(ErrorKind::Invalid, fmt::format("'{}' is neither a serial number nor a PEM certificate",
                                                                 serial_or_pem));
        return Target{*serial, ""};
    }
    auto cert = ossl::parse_cert(serial_or_pem, "certificate to revoke");
    if (!cert) return cert.error();
    auto der = ossl::cert_der(cert->get());
    if (!der) return der.error();
    return Target{ossl::serial_hex(X509_get0_serialNumber(cert->get())), *der};
}

// A certificate given as a file must be the very one registered, not another with the same serial.
Status check_same_certificate(const fs::path& pki, const Target& t) {
    if (t.der.empty()) return Ok{};
    auto stored = files::read_text(pem_path(pki, t.serial));
    if (!stored) return stored.error();
    auto cert = ossl::parse_cert(*stored, pem_path(pki, t.serial).string());
    if (!cert) return cert.error();
    auto der = ossl::cert_der(cert->get());
    if (!der) return der.error();
    if (*der != t.der)
        return fail(ErrorKind::NotFound, fmt::format("certificate {} was not issued by this IGC", t.serial));
    return Ok{};
}

}  // namespace

std::string_view to_string(RevocationReason reason) {
    switch (reason) {
        case RevocationReason::Unspecified: return "unspecified";
        case RevocationReason::KeyCompromise: return "keyCompromise";
        case RevocationReason::CaCompromise: return "cACompromise";
        case RevocationReason::AffiliationChanged: return "affiliationChanged";
        case RevocationReason::Superseded: return "superseded";
        case RevocationReason::CessationOfOperation: return "cessationOfOperation";
        case RevocationReason::PrivilegeWithdrawn: return "privilegeWithdrawn";
        case RevocationReason::AaCompromise: return "aACompromise";
    }
    return "?";
}

std::optional<RevocationReason> revocation_reason_from(std::string_view text) {
    using R = RevocationReason;
    for (R r : {R::Unspecified, R::KeyCompromise, R::CaCompromise, R::AffiliationChanged, R::Superseded,
                R::CessationOfOperation, R::PrivilegeWithdrawn, R::AaCompromise})
        if (to_string(r) == text) return r;
    return std::nullopt;
}

Status record_issued(const fs::path& pki, X509* leaf, std::string_view issuer_stem, CertificateKind kind,
                     std::string_view address) {
    if (!is_ca_stem(issuer_stem)) return fail(ErrorKind::Invalid, fmt::format("'{}' is not an issuing CA", issuer_stem));
    std::tm not_after{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &not_after) != 1)
        return openssl_failure(ErrorKind::Invalid, "certificate notAfter");
    auto pem = ossl::cert_pem(leaf);
    if (!pem) return pem.error();
    auto lock = lock_register(pki);
    if (!lock) return lock.error();
    auto records = read_index(pki);
    if (!records) return records.error();
    IssuedRecord r{ossl::serial_hex(X509_get0_serialNumber(leaf)), std::string(issuer_stem), kind,
                   std::string(address), ossl::name_text(X509_get_subject_name(leaf)), ::timegm(&not_after), {}};
    if (std::any_of(records->begin(), records->end(), [&](const IssuedRecord& o) { return o.serial_hex == r.serial_hex; }))
        return fail(ErrorKind::Exists, fmt::format("serial {} is already registered", r.serial_hex));
    if (auto st = files::write_atomic(pem_path(pki, r.serial_hex), *pem); !st) return st;
    records->push_back(std::move(r));
    if (auto st = write_index(pki, *records); !st) return st;
    return ensure_crls_locked(pki, *records);
}

Result<std::vector<IssuedRecord>> list_issued(const fs::path& pki) {
    auto lock = lock_register(pki);
    if (!lock) return lock.error();
    return read_index(pki);
}

Result<IssuedRecord> revoke(const fs::path& pki, std::string_view serial_or_pem, RevocationReason reason) {
    auto target = target_of(serial_or_pem);
    if (!target) return target.error();
    auto lock = lock_register(pki);
    if (!lock) return lock.error();
    auto records = read_index(pki);
    if (!records) return records.error();
    auto it = std::find_if(records->begin(), records->end(),
                           [&](const IssuedRecord& r) { return r.serial_hex == target->serial; });
    if (it == records->end())
        return fail(ErrorKind::NotFound, fmt::format("no certificate with serial {} was issued here", target->serial));
    if (it->revoked)
        return fail(ErrorKind::Exists, fmt::format("certificate {} is already revoked ({})", it->serial_hex,
                                                   to_string(it->revoked->reason)));
    if (auto st = check_same_certificate(pki, *target); !st) return st.error();
    it->revoked = Revocation{std::time(nullptr), reason};
    IssuedRecord done = *it;
    if (auto st = write_index(pki, *records); !st) return st.error();
    if (auto st = write_crls_locked(pki, *records); !st) return st.error();
    return done;
}

Status write_crls(const fs::path& pki) {
    auto lock = lock_register(pki);
    if (!lock) return lock.error();
    auto records = read_index(pki);
    if (!records) return records.error();
    return write_crls_locked(pki, *records);
}

Status ensure_crls(const fs::path& pki) {
    auto lock = lock_register(pki);
    if (!lock) return lock.error();
    auto records = read_index(pki);
    if (!records) return records.error();
    return ensure_crls_locked(pki, *records);
}

}  // namespace mss::crypto
