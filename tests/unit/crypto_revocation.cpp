// CPS-style issuing, the register of issued certificates, revocation, CRLs, chain verdicts and the
// import of other hierarchies (CA certificates into trust.pem, CRLs as pki/imported-*.crl). Trusts
// OpenSSL to read back what the code wrote; the openssl command, when present, is a second,
// independent judge of our CRLs.
#include <doctest/doctest.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "crypto/trust.h"
#include "tests/unit/crypto_fixture.h"

using namespace mss::crypto;
using namespace crypto_test;

namespace {

std::vector<std::string> emails_of(X509* c) {
    std::vector<std::string> out;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_EMAIL)
            out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.rfc822Name)),
                             static_cast<std::size_t>(ASN1_STRING_length(g->d.rfc822Name)));
        else if (g->type == GEN_DNS)
            out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                                               static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName))));
    }
    GENERAL_NAMES_free(names);
    return out;
}

std::string subject_line(X509* c) {
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof buf);
    return buf;
}

ChainVerdict verdict_of(const fs::path& pki, const std::string& pem, CertificatePurpose purpose) {
    auto v = verify_chain(pki, pem, purpose);
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    return v.value();
}

std::string serial_of(const std::string& pem) {
    Cert c = first_cert(pem);
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c.get()), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string s = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    return s;
}

bool has_openssl_command() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

std::string p7b_der(const std::vector<X509*>& certs, const std::vector<X509_CRL*>& crls = {}) {
    PKCS7* p7 = PKCS7_new();
    REQUIRE(PKCS7_set_type(p7, NID_pkcs7_signed) == 1);
    REQUIRE(PKCS7_content_new(p7, NID_pkcs7_data) == 1);
    for (X509* c : certs) REQUIRE(PKCS7_add_certificate(p7, c) == 1);
    for (X509_CRL* c : crls) REQUIRE(PKCS7_add_crl(p7, c) == 1);
    unsigned char* out = nullptr;
    int len = i2d_PKCS7(p7, &out);
    REQUIRE(len > 0);
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    PKCS7_free(p7);
    return der;
}

std::string p7b_pem(const std::string& der) {
    PKCS7* p7 = nullptr;
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(p7);
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PKCS7(bio, p7) == 1);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    PKCS7_free(p7);
    return pem;
}

std::string crl_der(const fs::path& crl_file) {
    Crl crl = crl_at(crl_file);
    unsigned char* out = nullptr;
    int len = i2d_X509_CRL(crl.get(), &out);
    REQUIRE(len > 0);
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return der;
}

// Where trust add keeps an imported CRL: imported-<16 hex digits of SHA-256 of the issuer's DER>.crl.
fs::path imported_path(const fs::path& pki, const std::string& crl_pem) {
    Crl crl = crl_of(crl_pem);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    REQUIRE(X509_NAME_digest(X509_CRL_get_issuer(crl.get()), EVP_sha256(), md, &len) == 1);
    char hex[17];
    for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return pki / ("imported-" + std::string(hex) + ".crl");
}

std::size_t imported_count(const fs::path& pki) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(pki)) n += e.path().filename().string().rfind("imported-", 0) == 0;
    return n;
}

// A CRL of the CA pki/<stem> without a CRL number, as some authorities publish them.
std::string unnumbered_crl(const fs::path& pki, const std::string& stem, std::time_t this_update) {
    Cert ca = first_cert(slurp(pki / (stem + ".crt")));
    std::string key_pem = slurp(pki / (stem + ".key"));
    std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())),
                                                 BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    Crl crl(X509_CRL_new(), X509_CRL_free);
    std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> last(ASN1_TIME_set(nullptr, this_update), ASN1_TIME_free),
        next(ASN1_TIME_set(nullptr, this_update + 7 * 86400), ASN1_TIME_free);
    REQUIRE((key && crl && last && next));
    REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
    REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get())) == 1);
    REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1);
    REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
    REQUIRE(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) > 0);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    REQUIRE(PEM_write_bio_X509_CRL(out.get(), crl.get()) == 1);
    char* data = nullptr;
    long len = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

TEST_CASE("a professional gets three CPS-style certificates, each with its own key") {
    const auto& s = shared_igc();
    const IssuedCertificate* parts[] = {&s.gp.authentication, &s.gp.signature, &s.gp.encryption};
    for (const auto* p : parts) {
        Cert leaf = first_cert(p->certificate_pem);
        CHECK(subject_line(leaf.get()) == "/C=FR/O=MSSD TEST OPERATOR/OU=IGC-SANTE TEST/CN=810001045367");
        char issuer[256];
        X509_NAME_oneline(X509_get_issuer_name(leaf.get()), issuer, sizeof issuer);
        CHECK(std::string(issuer).find("CN=AC IGC-SANTE TEST PERSONNES") != std::string::npos);
        CHECK(emails_of(leaf.get()) == std::vector<std::string>{kGp});
        CHECK(X509_check_ca(leaf.get()) == 0);
        CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(leaf.get())) == 2048);
        CHECK(X509_get_signature_nid(leaf.get()) == NID_sha256WithRSAEncryption);
        CHECK(p->serial_hex == serial_of(p->certificate_pem));
    }
    CHECK(s.gp.authentication.private_key_pem != s.gp.signature.private_key_pem);
    CHECK(s.gp.signature.private_key_pem != s.gp.encryption.private_key_pem);
    Cert auth = first_cert(s.gp.authentication.certificate_pem), sign = first_cert(s.gp.signature.certificate_pem),
         enc = first_cert(s.gp.encryption.certificate_pem);
    CHECK(X509_get_key_usage(auth.get()) == KU_DIGITAL_SIGNATURE);
    CHECK(X509_get_extended_key_usage(auth.get()) == XKU_SSL_CLIENT);
    CHECK(X509_get_key_usage(sign.get()) == (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
    CHECK(X509_get_extended_key_usage(sign.get()) == XKU_SMIME);
    CHECK(X509_get_key_usage(enc.get()) == KU_KEY_ENCIPHERMENT);
    CHECK(X509_get_extended_key_usage(enc.get()) == XKU_SMIME);
}

TEST_CASE("each CPS certificate chains for its own use only") {
    const auto& s = shared_igc();
    const fs::path& pki = s.igc.pki;
    CHECK(verdict_of(pki, s.gp.authentication.certificate_pem, CertificatePurpose::TlsClient).valid());
    CHECK(verdict_of(pki, s.gp.signature.certificate_pem, CertificatePurpose::SmimeSigning).valid());
    CHECK(verdict_of(pki, s.gp.encryption.certificate_pem, CertificatePurpose::SmimeEncryption).valid());
    auto wrong = verdict_of(pki, s.gp.authentication.certificate_pem, CertificatePurpose::SmimeSigning);
    CHECK(wrong.status == ChainStatus::WrongPurpose);
    CHECK(verdict_of(pki, s.gp.signature.certificate_pem, CertificatePurpose::TlsClient).status ==
          ChainStatus::WrongPurpose);
    CHECK(verdict_of(pki, s.gp.encryption.certificate_pem, CertificatePurpose::SmimeSigning).status ==
          ChainStatus::WrongPurpose);
}

TEST_CASE("issue_personal refuses a bad PS_IdNat or address and needs the PERSONNES CA") {
    const fs::path& pki = shared_igc().igc.pki;
    const PersonalRequest bad[] = {{pki, "", kGp},           {pki, "8100 01045367", kGp},
                                   {pki, "810001045367", "no-at-sign"}, {pki, std::string(21, '1'), kGp},
                                   {pki, "810001045367", kGp, 0}};
    for (const auto& r : bad) {
        CAPTURE(r.ps_idnat);
        auto issued = issue_personal(r);
        REQUIRE_FALSE(issued.ok());
        CHECK(issued.error().kind == mss::ErrorKind::Invalid);
    }
    TempDir empty;
    auto missing = issue_personal({empty.path, kGpIdNat, kGp});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == mss::ErrorKind::NotFound);
}

TEST_CASE("organisation certificates of every kind carry the profile of their use") {
    const fs::path& pki = shared_igc().igc.pki;
    struct Want {
        CertificateKind kind;
        uint32_t ku, xku;
        std::vector<std::string> san;
        CertificatePurpose purpose;
    };
    const Want wants[] = {
        {CertificateKind::Authentication, KU_DIGITAL_SIGNATURE, XKU_SSL_CLIENT, {"labo@test.mssante.fr"},
         CertificatePurpose::TlsClient},
        {CertificateKind::Signature, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, XKU_SMIME, {"labo@test.mssante.fr"},
         CertificatePurpose::SmimeSigning},
        {CertificateKind::Encryption, KU_KEY_ENCIPHERMENT, XKU_SMIME, {"labo@test.mssante.fr"},
         CertificatePurpose::SmimeEncryption},
        {CertificateKind::Server, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, XKU_SSL_SERVER, {"DNS:mx.labo.fr"},
         CertificatePurpose::TlsServer},
    };
    for (const auto& w : wants) {
        CAPTURE(to_string(w.kind));
        std::string cn = w.kind == CertificateKind::Server ? "mx.labo.fr" : "labo resultats";
        auto issued = issue_organisation({pki, "LABO", "010000001", cn, "labo@test.mssante.fr", 30, w.kind});
        REQUIRE_MESSAGE(issued.ok(), issued.error().message);
        Cert leaf = first_cert(issued->certificate_pem);
        CHECK(subject_line(leaf.get()) == "/C=FR/O=LABO/OU=010000001/CN=" + cn);
        CHECK(X509_get_key_usage(leaf.get()) == w.ku);
        CHECK(X509_get_extended_key_usage(leaf.get()) == w.xku);
        CHECK(emails_of(leaf.get()) == w.san);
        CHECK(verdict_of(pki, issued->certificate_pem, w.purpose).valid());
    }
    auto no_host = issue_organisation({pki, "LABO", "010000001", "not a host", "", 30, CertificateKind::Server});
    CHECK_FALSE(no_host.ok());
    auto no_address = issue_organisation({pki, "LABO", "010000001", "labo", "", 30, CertificateKind::Signature});
    CHECK_FALSE(no_address.ok());
}

TEST_CASE("every issued certificate is in the register with its PEM; the CRLs exist from the first issue") {
    Igc igc;
    for (auto stem : {"root", "personnes", "organisations"}) CHECK_FALSE(fs::exists(igc.pki / (std::string(stem) + ".crl")));
    auto gp = igc.personal(kGpIdNat, kGp);
    auto org = issue_organisation({igc.pki, "LABO", "010000001", "labo", "labo@test.mssante.fr"});
    REQUIRE(org.ok());
    auto records = list_issued(igc.pki);
    REQUIRE_MESSAGE(records.ok(), records.error().message);
    REQUIRE(records->size() == 4);
    const std::pair<const IssuedCertificate*, CertificateKind> expected[] = {
        {&gp.authentication, CertificateKind::Authentication},
        {&gp.signature, CertificateKind::Signature},
        {&gp.encryption, CertificateKind::Encryption},
        {&org.value(), CertificateKind::Authentication}};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& r = (*records)[i];
        CHECK(r.serial_hex == expected[i].first->serial_hex);
        CHECK(r.kind == expected[i].second);
        CHECK_FALSE(r.revoked);
        CHECK(r.issuer == (i < 3 ? "personnes" : "organisations"));
        CHECK(r.address == (i < 3 ? kGp : "labo@test.mssante.fr"));
        CHECK(r.not_after > std::time(nullptr) + 3 * 364 * 86400L);
        Cert stored = first_cert(slurp(igc.pki / "issued" / (r.serial_hex + ".pem")));
        CHECK(X509_cmp(stored.get(), first_cert(expected[i].first->certificate_pem).get()) == 0);
    }
    CHECK((*records)[0].subject == "CN=810001045367,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR");
    for (auto stem : {"root", "personnes", "organisations"}) CHECK(fs::exists(igc.pki / (std::string(stem) + ".crl")));
}

TEST_CASE("revoking by serial or by file lists the certificate in its CA's CRL with the reason") {
    Igc igc;
    auto gp = igc.personal(kGpIdNat, kGp);
    auto org = issue_organisation({igc.pki, "LABO", "010000001", "labo", "labo@test.mssante.fr"});
    REQUIRE(org.ok());
    CHECK(verdict_of(igc.pki, gp.signature.certificate_pem, CertificatePurpose::SmimeSigning).valid());
    long number_before = ASN1_INTEGER_get(static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(crl_at(igc.pki / "personnes.crl").get(), NID_crl_number, nullptr, nullptr)));

    auto r = revoke(igc.pki, gp.signature.serial_hex, RevocationReason::KeyCompromise);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(r->revoked->reason == RevocationReason::KeyCompromise);
    auto by_file = revoke(igc.pki, org->certificate_pem, RevocationReason::Superseded);
    REQUIRE_MESSAGE(by_file.ok(), by_file.error().message);

    Crl personnes = crl_at(igc.pki / "personnes.crl");
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(personnes.get());
    REQUIRE(sk_X509_REVOKED_num(revoked) == 1);
    X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, 0);
    Cert sign = first_cert(gp.signature.certificate_pem);
    CHECK(ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(entry), X509_get0_serialNumber(sign.get())) == 0);
    auto* reason = static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr));
    REQUIRE(reason);
    CHECK(ASN1_ENUMERATED_get(reason) == 1);
    ASN1_ENUMERATED_free(reason);
    CHECK(X509_CRL_get_version(personnes.get()) == X509_CRL_VERSION_2);
    int days = 0, secs = 0;
    REQUIRE(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(personnes.get()), X509_CRL_get0_nextUpdate(personnes.get())));
    CHECK(days == kCrlValidityDays);
    auto* number = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(personnes.get(), NID_crl_number, nullptr, nullptr));
    REQUIRE(number);
    CHECK(ASN1_INTEGER_get(number) > number_before);
    ASN1_INTEGER_free(number);
    Cert ca = first_cert(slurp(igc.pki / "personnes.crt"));
    CHECK(X509_CRL_verify(personnes.get(), X509_get0_pubkey(ca.get())) == 1);
    CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl_at(igc.pki / "organisations.crl").get())) == 1);
    CHECK(X509_CRL_get_REVOKED(crl_at(igc.pki / "root.crl").get()) == nullptr);  // none: the list is left out

    auto v = verdict_of(igc.pki, gp.signature.certificate_pem, CertificatePurpose::SmimeSigning);
    CHECK(v.status == ChainStatus::Revoked);
    CHECK(v.reason.find("810001045367") != std::string::npos);
    CHECK(verdict_of(igc.pki, org->certificate_pem, CertificatePurpose::TlsClient).status == ChainStatus::Revoked);
    CHECK(verdict_of(igc.pki, gp.authentication.certificate_pem, CertificatePurpose::TlsClient).valid());
    auto records = list_issued(igc.pki);
    REQUIRE(records.ok());
    CHECK(std::count_if(records->begin(), records->end(), [](const IssuedRecord& x) { return x.revoked.has_value(); }) == 2);
}

TEST_CASE("revoke refuses twice, an unknown serial, a look-alike certificate and a bad text") {
    Igc igc;
    auto gp = igc.personal(kGpIdNat, kGp);
    REQUIRE(revoke(igc.pki, gp.encryption.serial_hex, RevocationReason::Unspecified).ok());
    auto twice = revoke(igc.pki, gp.encryption.serial_hex, RevocationReason::KeyCompromise);
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error().kind == mss::ErrorKind::Exists);
    auto unknown = revoke(igc.pki, "1234ABCD", RevocationReason::Unspecified);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().kind == mss::ErrorKind::NotFound);
    auto garbage = revoke(igc.pki, "not-a-serial", RevocationReason::Unspecified);
    REQUIRE_FALSE(garbage.ok());
    CHECK(garbage.error().kind == mss::ErrorKind::Invalid);
    // A certificate from elsewhere is refused even when its serial is given in lower case with colons.
    const auto& other = shared_igc().gp.signature;
    auto foreign = revoke(igc.pki, other.certificate_pem, RevocationReason::Unspecified);
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().kind == mss::ErrorKind::NotFound);
    std::string colons;
    for (std::size_t i = 0; i < gp.signature.serial_hex.size(); i += 2)
        colons += (i ? ":" : "") + gp.signature.serial_hex.substr(i, 2);
    std::transform(colons.begin(), colons.end(), colons.begin(), ::tolower);
    CHECK(revoke(igc.pki, colons, RevocationReason::AffiliationChanged).ok());
    // The unspecified reason leaves the reasonCode extension out (RFC 5280 5.3.1).
    Crl crl = crl_at(igc.pki / "personnes.crl");
    int unspecified = 0;
    for (int i = 0; i < sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())); ++i)
        if (X509_REVOKED_get_ext_by_NID(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl.get()), i), NID_crl_reason, -1) < 0)
            ++unspecified;
    CHECK(unspecified == 1);
}

TEST_CASE("a damaged register is reported, never skipped") {
    Igc igc;
    igc.personal(kGpIdNat, kGp);
    fs::path index = igc.pki / "issued" / "index.txt";
    std::string good = slurp(index);
    for (const std::string& bad : {good + "garbage line\n", good.substr(0, good.size() - 1)}) {
        spit(index, bad);
        auto records = list_issued(igc.pki);
        REQUIRE_FALSE(records.ok());
        CHECK(records.error().kind == mss::ErrorKind::Io);
        auto more = issue_personal({igc.pki, kDoctorIdNat, kDoctor});
        CHECK_FALSE(more.ok());
    }
}

TEST_CASE("chain verdicts name expiry, unknown issuers and missing CRLs") {
    Igc igc;
    std::time_t month_ago = std::time(nullptr) - 30 * 86400;
    auto expired = issue_organisation(
        {igc.pki, "LABO", "010000001", "labo", "labo@test.mssante.fr", 10, CertificateKind::Signature, month_ago});
    REQUIRE(expired.ok());
    auto v = verdict_of(igc.pki, expired->certificate_pem, CertificatePurpose::SmimeSigning);
    CHECK(v.status == ChainStatus::Expired);
    CHECK(v.reason.find("expired") != std::string::npos);
    std::time_t next_month = std::time(nullptr) + 30 * 86400;
    auto future = issue_organisation(
        {igc.pki, "LABO", "010000001", "labo", "labo@test.mssante.fr", 10, CertificateKind::Signature, next_month});
    REQUIRE(future.ok());
    CHECK(verdict_of(igc.pki, future->certificate_pem, CertificatePurpose::SmimeSigning).status == ChainStatus::NotYetValid);

    auto foreign = verdict_of(igc.pki, shared_igc().gp.signature.certificate_pem, CertificatePurpose::SmimeSigning);
    CHECK(foreign.status == ChainStatus::UntrustedIssuer);

    auto gp = igc.personal(kGpIdNat, kGp);
    fs::remove(igc.pki / "personnes.crl");
    CHECK(verdict_of(igc.pki, gp.signature.certificate_pem, CertificatePurpose::SmimeSigning).status == ChainStatus::NoCrl);
    fs::remove(igc.pki / "trust.pem");
    auto no_trust = verify_chain(igc.pki, gp.signature.certificate_pem, CertificatePurpose::SmimeSigning);
    REQUIRE_FALSE(no_trust.ok());
    CHECK(no_trust.error().kind == mss::ErrorKind::NotFound);
}

TEST_CASE("write_crls renews nextUpdate; ensure_crls keeps existing CRLs") {
    Igc igc;
    REQUIRE(ensure_crls(igc.pki).ok());
    std::string first = slurp(igc.pki / "personnes.crl");
    REQUIRE(ensure_crls(igc.pki).ok());
    CHECK(slurp(igc.pki / "personnes.crl") == first);
    REQUIRE(write_crls(igc.pki).ok());
    CHECK(slurp(igc.pki / "personnes.crl") != first);
    if (!has_openssl_command()) return;
    std::string cmd = "openssl crl -noout -in '" + (igc.pki / "personnes.crl").string() + "' -CAfile '" +
                      (igc.pki / "trust.pem").string() + "' >/dev/null 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("trust add imports CA certificates from PEM and P7B (DER and PEM), once each") {
    Igc ours;
    Igc theirs("AUTRE OPERATEUR");
    auto doctor = theirs.personal(kDoctorIdNat, kDoctor);
    CHECK(verdict_of(ours.pki, doctor.signature.certificate_pem, CertificatePurpose::SmimeSigning).status ==
          ChainStatus::UntrustedIssuer);
    Cert root = first_cert(slurp(theirs.pki / "root.crt")), personnes = first_cert(slurp(theirs.pki / "personnes.crt"));
    Cert leaf = first_cert(doctor.signature.certificate_pem);
    std::string der = p7b_der({root.get(), personnes.get(), leaf.get()});

    auto added = add_trusted(ours.pki, der);
    REQUIRE_MESSAGE(added.ok(), added.error().message);
    CHECK(added->added == 2);
    CHECK(added->not_ca == 1);
    auto again = add_trusted(ours.pki, p7b_pem(der));
    REQUIRE_MESSAGE(again.ok(), again.error().message);
    CHECK(again->added == 0);
    CHECK(again->already_present == 2);
    auto pem = add_trusted(ours.pki, slurp(theirs.pki / "trust.pem"));
    REQUIRE(pem.ok());
    CHECK(pem->added == 1);  // their ORGANISATIONS
    CHECK(pem->already_present == 2);

    // Their certificates now chain; revocation needs their CRLs beside ours.
    CHECK(verdict_of(ours.pki, doctor.signature.certificate_pem, CertificatePurpose::SmimeSigning).status ==
          ChainStatus::NoCrl);
    for (auto stem : {"root", "personnes"})
        fs::copy_file(theirs.pki / (std::string(stem) + ".crl"), ours.pki / ("autre-" + std::string(stem) + ".crl"));
    CHECK(verdict_of(ours.pki, doctor.signature.certificate_pem, CertificatePurpose::SmimeSigning).valid());
}

TEST_CASE("trust add refuses files without a CA certificate") {
    Igc igc;
    std::string before = slurp(igc.pki / "trust.pem");
    const std::string bad[] = {shared_igc().gp.signature.certificate_pem.substr(
                                   0, shared_igc().gp.signature.certificate_pem.find("-----END CERTIFICATE-----") + 26),
                               "not a certificate at all", std::string("\x30\x82\x01\x00", 4),
                               "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
    for (const auto& b : bad) {
        auto r = add_trusted(igc.pki, b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == mss::ErrorKind::Invalid);
    }
    CHECK(slurp(igc.pki / "trust.pem") == before);
}

TEST_CASE("trust add imports another IGC's CRLs from PEM, DER and P7B, a newer one replacing an older one") {
    Igc ours;
    Igc theirs("AUTRE OPERATEUR");
    auto doctor = theirs.personal(kDoctorIdNat, kDoctor);
    const std::string& leaf = doctor.authentication.certificate_pem;
    auto chain = add_trusted(ours.pki, slurp(theirs.pki / "trust.pem"));
    REQUIRE_MESSAGE(chain.ok(), chain.error().message);
    CHECK(chain->added == 3);
    CHECK(chain->crls_added == 0);
    CHECK(verdict_of(ours.pki, leaf, CertificatePurpose::TlsClient).status == ChainStatus::NoCrl);

    // PEM: their chain and their three CRLs.
    std::string bundle = slurp(theirs.pki / "trust.pem");
    for (auto stem : {"root", "personnes", "organisations"}) bundle += slurp(theirs.pki / (std::string(stem) + ".crl"));
    auto pem = add_trusted(ours.pki, bundle);
    REQUIRE_MESSAGE(pem.ok(), pem.error().message);
    CHECK(pem->added == 0);
    CHECK(pem->already_present == 3);
    CHECK(pem->crls_added == 3);
    CHECK(pem->crls_replaced + pem->crls_already_present + pem->crls_refused == 0);
    for (auto stem : {"root", "personnes", "organisations"}) {
        fs::path theirs_crl = theirs.pki / (std::string(stem) + ".crl");
        CHECK(slurp(imported_path(ours.pki, slurp(theirs_crl))) == slurp(theirs_crl));
    }
    CHECK(imported_count(ours.pki) == 3);
    CHECK(verdict_of(ours.pki, leaf, CertificatePurpose::TlsClient).valid());
    auto again = add_trusted(ours.pki, bundle);
    REQUIRE(again.ok());
    CHECK(again->crls_already_present == 3);
    CHECK(again->crls_added + again->crls_replaced == 0);

    // They revoke the certificate: their fresh PERSONNES CRL alone, in DER, replaces the older one...
    std::string older_personnes = crl_der(theirs.pki / "personnes.crl");
    REQUIRE(revoke(theirs.pki, doctor.authentication.serial_hex, RevocationReason::KeyCompromise).ok());
    auto der = add_trusted(ours.pki, crl_der(theirs.pki / "personnes.crl"));
    REQUIRE_MESSAGE(der.ok(), der.error().message);
    CHECK(der->crls_replaced == 1);
    CHECK(der->added + der->already_present + der->crls_added + der->crls_already_present == 0);
    CHECK(verdict_of(ours.pki, leaf, CertificatePurpose::TlsClient).status == ChainStatus::Revoked);
    // ...a P7B of their chain and CRLs replaces the other two...
    Cert root = first_cert(slurp(theirs.pki / "root.crt")), personnes = first_cert(slurp(theirs.pki / "personnes.crt"));
    Crl crls[] = {crl_at(theirs.pki / "root.crl"), crl_at(theirs.pki / "personnes.crl"),
                  crl_at(theirs.pki / "organisations.crl")};
    auto p7b =
        add_trusted(ours.pki, p7b_der({root.get(), personnes.get()}, {crls[0].get(), crls[1].get(), crls[2].get()}));
    REQUIRE_MESSAGE(p7b.ok(), p7b.error().message);
    CHECK(p7b->already_present == 2);
    CHECK(p7b->crls_replaced == 2);
    CHECK(p7b->crls_already_present == 1);
    // ...and the older one, imported again, does not come back.
    auto older = add_trusted(ours.pki, older_personnes);
    REQUIRE(older.ok());
    CHECK(older->crls_already_present == 1);
    CHECK(older->crls_replaced == 0);
    CHECK(slurp(imported_path(ours.pki, slurp(theirs.pki / "personnes.crl"))) == slurp(theirs.pki / "personnes.crl"));
    CHECK(verdict_of(ours.pki, leaf, CertificatePurpose::TlsClient).status == ChainStatus::Revoked);
    CHECK(imported_count(ours.pki) == 3);
}

TEST_CASE("trust add refuses CRLs no trusted CA signed and leaves the test IGC's own CRLs alone") {
    Igc ours;
    Igc theirs("AUTRE OPERATEUR");
    REQUIRE(ensure_crls(ours.pki).ok());
    REQUIRE(ensure_crls(theirs.pki).ok());
    // Their CRL while their CAs are not trusted: refused, nothing written.
    auto unknown = add_trusted(ours.pki, slurp(theirs.pki / "root.crl"));
    REQUIRE_MESSAGE(unknown.ok(), unknown.error().message);
    CHECK(unknown->crls_refused == 1);
    CHECK(unknown->crls_added == 0);
    // A CRL with our root's very name, signed by another key (the shared IGC has the same names).
    auto lookalike = add_trusted(ours.pki, slurp(shared_igc().igc.pki / "root.crl"));
    REQUIRE(lookalike.ok());
    CHECK(lookalike->crls_refused == 1);
    CHECK(imported_count(ours.pki) == 0);

    // Our own CRLs in a P7B (PEM): already present, root.crl and personnes.crl untouched.
    std::string own_root = slurp(ours.pki / "root.crl"), own_personnes = slurp(ours.pki / "personnes.crl");
    Crl root_crl = crl_at(ours.pki / "root.crl"), personnes_crl = crl_at(ours.pki / "personnes.crl");
    auto own = add_trusted(ours.pki, p7b_pem(p7b_der({}, {root_crl.get(), personnes_crl.get()})));
    REQUIRE_MESSAGE(own.ok(), own.error().message);
    CHECK(own->crls_already_present == 2);
    CHECK(own->crls_added + own->crls_replaced + own->crls_refused == 0);
    CHECK(slurp(ours.pki / "root.crl") == own_root);
    CHECK(slurp(ours.pki / "personnes.crl") == own_personnes);
    CHECK(imported_count(ours.pki) == 0);

    // A CRL whose CA comes in the same file is kept.
    auto same_file = add_trusted(ours.pki, slurp(theirs.pki / "trust.pem") + slurp(theirs.pki / "root.crl"));
    REQUIRE_MESSAGE(same_file.ok(), same_file.error().message);
    CHECK(same_file->added == 3);
    CHECK(same_file->crls_added == 1);
    CHECK(fs::exists(imported_path(ours.pki, slurp(theirs.pki / "root.crl"))));
}

TEST_CASE("trust add orders CRLs without a number by thisUpdate") {
    Igc ours;
    Igc theirs("AUTRE OPERATEUR");
    REQUIRE(add_trusted(ours.pki, slurp(theirs.pki / "trust.pem")).ok());
    std::time_t now = std::time(nullptr);
    std::string earlier = unnumbered_crl(theirs.pki, "organisations", now - 3600),
                later = unnumbered_crl(theirs.pki, "organisations", now - 60);
    auto first = add_trusted(ours.pki, earlier);
    REQUIRE_MESSAGE(first.ok(), first.error().message);
    CHECK(first->crls_added == 1);
    auto newer = add_trusted(ours.pki, later);
    REQUIRE(newer.ok());
    CHECK(newer->crls_replaced == 1);
    auto stale = add_trusted(ours.pki, earlier);
    REQUIRE(stale.ok());
    CHECK(stale->crls_already_present == 1);
    CHECK(slurp(imported_path(ours.pki, later)) == later);
}

TEST_CASE("trust add refuses a malformed CRL, more than 64 CRLs and files over 64 MiB") {
    Igc igc;
    std::string one = slurp(shared_igc().igc.pki / "root.crl"), many;
    for (int i = 0; i < 65; ++i) many += one;
    const std::string bad[] = {"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", many,
                               std::string(64 * 1024 * 1024 + 1, 'A')};
    for (const auto& b : bad) {
        auto r = add_trusted(igc.pki, b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == mss::ErrorKind::Invalid);
    }
    CHECK(imported_count(igc.pki) == 0);
}

TEST_CASE("a remembered valid verdict answers only the same question, and only in the same store") {
    Igc igc;
    auto gp = igc.personal(kGpIdNat, kGp);
    auto trust = TrustStore::load(igc.pki);
    REQUIRE(trust.ok());
    Cert leaf = first_cert(gp.authentication.certificate_pem);
    Cert intermediate = first_cert(slurp(igc.pki / "personnes.crt"));
    STACK_OF(X509)* offered = sk_X509_new_null();
    sk_X509_push(offered, intermediate.get());
    for (int i = 0; i < 2; ++i)
        CHECK(verify_chain(*trust, leaf.get(), offered, CertificatePurpose::TlsClient).valid());
    CHECK(verify_chain(*trust, leaf.get(), offered, CertificatePurpose::SmimeSigning).status == ChainStatus::WrongPurpose);
    REQUIRE(revoke(igc.pki, gp.authentication.serial_hex, RevocationReason::KeyCompromise).ok());
    // The loaded store keeps the CRLs it was loaded with; a fresh load sees the revocation.
    CHECK(verify_chain(*trust, leaf.get(), offered, CertificatePurpose::TlsClient).valid());
    auto reloaded = TrustStore::load(igc.pki);
    REQUIRE(reloaded.ok());
    CHECK(verify_chain(*reloaded, leaf.get(), offered, CertificatePurpose::TlsClient).status == ChainStatus::Revoked);
    CHECK(verify_chain(*reloaded, leaf.get(), nullptr, CertificatePurpose::TlsClient).status == ChainStatus::Revoked);
    sk_X509_free(offered);
}
