// The test IGC: files and permissions, idempotence and repair, certificate profiles, chains checked by
// OpenSSL's X509_verify_cert and by the openssl command (an independent verifier), and input refusals.
// Trusts OpenSSL's parsing and verification; everything under test is read back from disk or PEM.
#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/pki.h"
#include "temp_dir.h"

using namespace mss::crypto;
namespace fs = std::filesystem;

namespace {

using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

const std::string kOperator = "MSSD TEST OPERATOR";
const std::string kDomain = "cab.mssante.fr";
const std::vector<std::string> kFiles = {"root.crt",          "root.key",  "personnes.crt", "personnes.key",
                                         "organisations.crt", "organisations.key", "trust.pem", "server.crt",
                                         "server.key"};

using unit_test::TempDir;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::vector<Cert> certs_in(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::vector<Cert> out;
    while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c, X509_free);
    ERR_clear_error();
    return out;
}

Cert cert_at(const fs::path& p) {
    auto all = certs_in(slurp(p));
    REQUIRE(!all.empty());
    return std::move(all.front());
}

Key key_in(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    REQUIRE(key);
    return key;
}

std::string der(X509* c) {
    unsigned char* out = nullptr;
    int len = i2d_X509(c, &out);
    REQUIRE(len > 0);
    std::string s(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return s;
}

std::string entry(const X509_NAME* name, int nid) {
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0) return "<none>";
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    REQUIRE(len >= 0);
    std::string s(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return s;
}

// "C=.. O=.. OU=.. CN=.." in that order, the way IGC-Santé's names read.
std::string subject_of(X509* c) {
    const X509_NAME* n = X509_get_subject_name(c);
    return "C=" + entry(n, NID_countryName) + " O=" + entry(n, NID_organizationName) +
           " OU=" + entry(n, NID_organizationalUnitName) + " CN=" + entry(n, NID_commonName);
}

std::string issuer_cn(X509* c) { return entry(X509_get_issuer_name(c), NID_commonName); }

bool critical(X509* c, int nid) {
    int i = X509_get_ext_by_NID(c, nid, -1);
    return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(c, i)) == 1;
}

long validity_days(X509* c) {
    int days = 0, secs = 0;
    REQUIRE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c), X509_get0_notAfter(c)) == 1);
    return days;
}

// The subjectAltName entries as "DNS:x", "IP:n bytes", "email:x".
std::vector<std::string> alt_names(X509* c) {
    std::vector<std::string> out;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
        auto text = [](const ASN1_STRING* s) {
            return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                               static_cast<std::size_t>(ASN1_STRING_length(s)));
        };
        if (g->type == GEN_DNS) out.push_back("DNS:" + text(g->d.dNSName));
        else if (g->type == GEN_EMAIL) out.push_back("email:" + text(g->d.rfc822Name));
        else if (g->type == GEN_IPADD) out.push_back("IP:" + std::to_string(ASN1_STRING_length(g->d.iPAddress)) + " bytes");
        else out.push_back("other");
    }
    GENERAL_NAMES_free(names);
    return out;
}

// X509_verify_cert of the first certificate of leaf_pem against the CAs of trust_file, with the
// leaf's other certificates as untrusted intermediates; returns the verify error (X509_V_OK).
int verify(const std::string& leaf_pem, const fs::path& trust_file, int purpose) {
    auto chain = certs_in(leaf_pem);
    REQUIRE(!chain.empty());
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
    REQUIRE(X509_STORE_load_file(store.get(), trust_file.c_str()) == 1);
    std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> untrusted(sk_X509_new_null(),
                                                                         [](STACK_OF(X509)* s) { sk_X509_free(s); });
    for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) == 1);
    REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), purpose) == 1);
    int ok = X509_verify_cert(ctx.get());
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return ok == 1 ? X509_V_OK : (err == X509_V_OK ? -1 : err);
}

bool has_openssl_command() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

// Runs `openssl verify` with the given arguments; true when it accepts the chain.
bool openssl_verifies(const std::string& args) {
    return std::system(("openssl verify " + args + " >/dev/null 2>&1").c_str()) == 0;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// One IGC made once for the tests that only read it (RSA key generation is the slow part).
const fs::path& shared_pki() {
    static TempDir dir;
    static const fs::path pki = [] {
        fs::path p = dir.path / "data" / "pki";
        auto st = ensure_test_igc({p, kOperator, kDomain});
        REQUIRE_MESSAGE(st.ok(), st.error().message);
        return p;
    }();
    return pki;
}

IssuedCertificate shared_auth_cli() {
    static const IssuedCertificate issued = [] {
        auto r = issue_org_auth_cli({shared_pki(), "LABO DE BIOLOGIE Y", "010000001", "labo-y resultats",
                                     "labo-y@cab.mssante.fr", 30});
        REQUIRE_MESSAGE(r.ok(), r.error().message);
        return r.value();
    }();
    return issued;
}

std::map<std::string, std::string> contents(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& f : kFiles) out[f] = slurp(dir / f);
    return out;
}

}  // namespace

TEST_CASE("ensure_test_igc makes the directory 0700 and every file 0600, keys in PKCS#8") {
    const fs::path& pki = shared_pki();
    CHECK(mode_of(pki) == 0700);
    for (const auto& f : kFiles) {
        REQUIRE_MESSAGE(fs::exists(pki / f), f);
        CHECK_MESSAGE(mode_of(pki / f) == 0600, f);
    }
    for (auto f : {"root.key", "personnes.key", "organisations.key", "server.key"}) {
        std::string pem = slurp(pki / f);
        CHECK_MESSAGE(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0, f);
        CHECK(EVP_PKEY_get_bits(key_in(pem).get()) == 2048);
    }
    // Other tests may already have issued from this IGC: its register and CRLs are expected then.
    const std::vector<std::string> register_files = {"issued", ".lock", "crlnumber", "root.crl", "personnes.crl",
                                                     "organisations.crl"};
    std::vector<std::string> leftovers;
    for (const auto& e : fs::directory_iterator(pki)) {
        std::string name = e.path().filename().string();
        if (std::find(kFiles.begin(), kFiles.end(), name) == kFiles.end() &&
            std::find(register_files.begin(), register_files.end(), name) == register_files.end())
            leftovers.push_back(name);
        else CHECK_MESSAGE(mode_of(e.path()) == (e.is_directory() ? 0700u : 0600u), name);
    }
    CHECK(leftovers.empty());
}

TEST_CASE("each certificate matches its key; trust.pem and server.crt hold the expected chain") {
    const fs::path& pki = shared_pki();
    for (auto stem : {"root", "personnes", "organisations", "server"})
        CHECK_MESSAGE(X509_check_private_key(cert_at(pki / (std::string(stem) + ".crt")).get(),
                                             key_in(slurp(pki / (std::string(stem) + ".key"))).get()) == 1,
                      stem);
    auto trust = certs_in(slurp(pki / "trust.pem"));
    REQUIRE(trust.size() == 3);
    CHECK(der(trust[0].get()) == der(cert_at(pki / "root.crt").get()));
    CHECK(der(trust[1].get()) == der(cert_at(pki / "personnes.crt").get()));
    CHECK(der(trust[2].get()) == der(cert_at(pki / "organisations.crt").get()));
    auto server = certs_in(slurp(pki / "server.crt"));
    REQUIRE(server.size() == 2);
    CHECK(der(server[1].get()) == der(cert_at(pki / "organisations.crt").get()));
}

TEST_CASE("the root and the intermediates carry IGC-Santé's names and CA profile") {
    const fs::path& pki = shared_pki();
    Cert root = cert_at(pki / "root.crt");
    CHECK(subject_of(root.get()) == "C=FR O=" + kOperator + " OU=IGC-SANTE TEST CN=AC RACINE IGC-SANTE TEST");
    CHECK(X509_check_issued(root.get(), root.get()) == X509_V_OK);
    CHECK(X509_get_pathlen(root.get()) == -1);
    CHECK(validity_days(root.get()) >= 20 * 365);
    CHECK(validity_days(root.get()) <= 20 * 366);
    const std::pair<const char*, const char*> intermediates[] = {{"personnes.crt", "AC IGC-SANTE TEST PERSONNES"},
                                                                 {"organisations.crt", "AC IGC-SANTE TEST ORGANISATIONS"}};
    for (auto [file, cn] : intermediates) {
        Cert c = cert_at(pki / file);
        CHECK(subject_of(c.get()) == "C=FR O=" + kOperator + " OU=IGC-SANTE TEST CN=" + cn);
        CHECK(X509_check_issued(root.get(), c.get()) == X509_V_OK);
        CHECK(X509_verify(c.get(), X509_get0_pubkey(root.get())) == 1);
        CHECK(X509_get_pathlen(c.get()) == 0);
        CHECK(validity_days(c.get()) >= 10 * 365);
        CHECK(validity_days(c.get()) <= 10 * 366);
        CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(c.get()), X509_get0_subject_key_id(root.get())) == 0);
    }
    for (auto file : {"root.crt", "personnes.crt", "organisations.crt"}) {
        CAPTURE(file);
        Cert c = cert_at(pki / file);
        CHECK(X509_check_ca(c.get()) == 1);
        CHECK(critical(c.get(), NID_basic_constraints));
        CHECK(critical(c.get(), NID_key_usage));
        CHECK(X509_get_key_usage(c.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
        CHECK(X509_get0_subject_key_id(c.get()) != nullptr);
        CHECK(X509_get0_authority_key_id(c.get()) != nullptr);
        CHECK(X509_get_signature_nid(c.get()) == NID_sha256WithRSAEncryption);
        CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(c.get())) == 2048);
    }
}

TEST_CASE("serial numbers are 16 random bytes, positive, all different") {
    const fs::path& pki = shared_pki();
    std::vector<std::string> serials;
    for (auto file : {"root.crt", "personnes.crt", "organisations.crt", "server.crt"}) {
        Cert c = cert_at(pki / file);
        std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(c.get()), nullptr),
                                                       BN_free);
        REQUIRE(bn);
        CHECK_FALSE(BN_is_negative(bn.get()));
        CHECK(BN_num_bytes(bn.get()) == 16);
        char* hex = BN_bn2hex(bn.get());
        serials.emplace_back(hex);
        OPENSSL_free(hex);
    }
    std::sort(serials.begin(), serials.end());
    CHECK(std::unique(serials.begin(), serials.end()) == serials.end());
}

TEST_CASE("the server certificate names the domain, localhost and the loopback addresses") {
    const fs::path& pki = shared_pki();
    Cert server = cert_at(pki / "server.crt");
    CHECK(subject_of(server.get()) == "C=FR O=" + kOperator + " OU=IGC-SANTE TEST CN=" + kDomain);
    CHECK(issuer_cn(server.get()) == "AC IGC-SANTE TEST ORGANISATIONS");
    CHECK(alt_names(server.get()) ==
          std::vector<std::string>{"DNS:" + kDomain, "DNS:localhost", "IP:4 bytes", "IP:16 bytes"});
    CHECK(X509_check_host(server.get(), kDomain.c_str(), 0, 0, nullptr) == 1);
    CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(server.get(), "other.mssante.fr", 0, 0, nullptr) == 0);
    CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
    CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
    CHECK(X509_check_ip_asc(server.get(), "127.0.0.2", 0) == 0);
    CHECK(X509_check_ca(server.get()) == 0);
    CHECK(X509_get_key_usage(server.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
    CHECK(X509_get_extended_key_usage(server.get()) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
    CHECK(X509_get_signature_nid(server.get()) == NID_sha256WithRSAEncryption);
    CHECK(validity_days(server.get()) >= 2 * 365);
    CHECK(validity_days(server.get()) <= 2 * 366);
}

TEST_CASE("server and AUTH_CLI certificates chain to trust.pem through X509_verify_cert") {
    const fs::path& pki = shared_pki();
    CHECK(verify(slurp(pki / "server.crt"), pki / "trust.pem", X509_PURPOSE_SSL_SERVER) == X509_V_OK);
    CHECK(verify(slurp(pki / "server.crt"), pki / "trust.pem", X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
    CHECK(verify(shared_auth_cli().certificate_pem, pki / "trust.pem", X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
    CHECK(verify(shared_auth_cli().certificate_pem, pki / "trust.pem", X509_PURPOSE_SSL_SERVER) ==
          X509_V_ERR_INVALID_PURPOSE);
    // With the root alone as anchor, the leaf's own copy of the intermediate completes the chain.
    TempDir d;
    spit(d.path / "root-only.pem", slurp(pki / "root.crt"));
    CHECK(verify(shared_auth_cli().certificate_pem, d.path / "root-only.pem", X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
}

TEST_CASE("a hierarchy made elsewhere with the very same names does not vouch for ours") {
    TempDir other;
    auto st = ensure_test_igc({other.path / "pki", kOperator, kDomain});
    REQUIRE_MESSAGE(st.ok(), st.error().message);
    fs::path foreign = other.path / "pki" / "trust.pem";
    CHECK(verify(slurp(shared_pki() / "server.crt"), foreign, X509_PURPOSE_SSL_SERVER) != X509_V_OK);
    CHECK(verify(shared_auth_cli().certificate_pem, foreign, X509_PURPOSE_SSL_CLIENT) != X509_V_OK);
    CHECK(verify(slurp(other.path / "pki" / "server.crt"), shared_pki() / "trust.pem", X509_PURPOSE_SSL_SERVER) !=
          X509_V_OK);
    CHECK(slurp(other.path / "pki" / "root.key") != slurp(shared_pki() / "root.key"));
}

TEST_CASE("the openssl command, an independent verifier, accepts our chains and refuses a foreign one") {
    if (!has_openssl_command()) {
        WARN_MESSAGE(false, "openssl command not on PATH: interop check skipped");
        return;
    }
    const fs::path& pki = shared_pki();
    TempDir d;
    spit(d.path / "auth_cli.pem", shared_auth_cli().certificate_pem);
    std::string intermediate = "-untrusted " + q(pki / "organisations.crt");
    CHECK(openssl_verifies("-CAfile " + q(pki / "trust.pem") + " " + intermediate + " " + q(d.path / "auth_cli.pem")));
    CHECK(openssl_verifies("-purpose sslclient -CAfile " + q(pki / "root.crt") + " " + intermediate + " " +
                           q(d.path / "auth_cli.pem")));
    CHECK(openssl_verifies("-purpose sslserver -CAfile " + q(pki / "trust.pem") + " " + intermediate + " " +
                           q(pki / "server.crt")));
    CHECK_FALSE(openssl_verifies("-purpose sslserver -CAfile " + q(pki / "trust.pem") + " " + intermediate + " " +
                                 q(d.path / "auth_cli.pem")));
    auto st = ensure_test_igc({d.path / "other", kOperator, kDomain});
    REQUIRE(st.ok());
    CHECK_FALSE(openssl_verifies("-CAfile " + q(d.path / "other" / "trust.pem") + " -untrusted " +
                                 q(d.path / "other" / "organisations.crt") + " " + q(d.path / "auth_cli.pem")));
}

TEST_CASE("a second call keeps every file byte for byte") {
    TempDir d;
    fs::path pki = d.path / "pki";
    REQUIRE(ensure_test_igc({pki, kOperator, kDomain}).ok());
    auto first = contents(pki);
    auto st = ensure_test_igc({pki, "ANOTHER OPERATOR", "other.mssante.fr"});
    REQUIRE_MESSAGE(st.ok(), st.error().message);
    CHECK(contents(pki) == first);
}

TEST_CASE("missing files are made again from the existing root and keys") {
    TempDir d;
    fs::path pki = d.path / "pki";
    REQUIRE(ensure_test_igc({pki, kOperator, kDomain}).ok());
    auto before = contents(pki);
    for (auto f : {"personnes.crt", "personnes.key", "organisations.crt", "trust.pem", "server.crt", "server.key"})
        fs::remove(pki / f);
    auto st = ensure_test_igc({pki, kOperator, kDomain});
    REQUIRE_MESSAGE(st.ok(), st.error().message);
    auto after = contents(pki);
    CHECK(after["root.crt"] == before["root.crt"]);
    CHECK(after["root.key"] == before["root.key"]);
    CHECK(after["organisations.key"] == before["organisations.key"]);
    CHECK(after["personnes.key"] != before["personnes.key"]);
    CHECK(after["organisations.crt"] != before["organisations.crt"]);
    Cert root = cert_at(pki / "root.crt");
    for (auto f : {"personnes.crt", "organisations.crt"}) {
        CAPTURE(f);
        Cert c = cert_at(pki / f);
        CHECK(X509_verify(c.get(), X509_get0_pubkey(root.get())) == 1);
        CHECK(mode_of(pki / f) == 0600);
    }
    CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert_at(pki / "organisations.crt").get()),
                      key_in(before["organisations.key"]).get()) == 1);
    CHECK(certs_in(after["trust.pem"]).size() == 3);
    CHECK(verify(after["server.crt"], pki / "trust.pem", X509_PURPOSE_SSL_SERVER) == X509_V_OK);
}

TEST_CASE("a certificate whose key is gone, or a key that does not match, is reported, not replaced") {
    TempDir d;
    fs::path pki = d.path / "pki";
    REQUIRE(ensure_test_igc({pki, kOperator, kDomain}).ok());
    std::string root = slurp(pki / "root.crt");
    fs::remove(pki / "root.key");
    auto st = ensure_test_igc({pki, kOperator, kDomain});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().kind == mss::ErrorKind::Invalid);
    CHECK(st.error().message.find("root.key") != std::string::npos);
    CHECK(slurp(pki / "root.crt") == root);
    CHECK_FALSE(fs::exists(pki / "root.key"));

    TempDir e;
    fs::path mixed = e.path / "pki";
    REQUIRE(ensure_test_igc({mixed, kOperator, kDomain}).ok());
    fs::copy_file(shared_pki() / "server.key", mixed / "server.key", fs::copy_options::overwrite_existing);
    auto mismatch = ensure_test_igc({mixed, kOperator, kDomain});
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().message.find("server.crt") != std::string::npos);
}

TEST_CASE("an existing directory keeps its mode; a file in the way is an I/O error") {
    TempDir d;
    fs::path pki = d.path / "pki";
    fs::create_directory(pki);
    ::chmod(pki.c_str(), 0750);
    REQUIRE(ensure_test_igc({pki, kOperator, kDomain}).ok());
    CHECK(mode_of(pki) == 0750);
    spit(d.path / "file", "x");
    auto st = ensure_test_igc({d.path / "file", kOperator, kDomain});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().kind == mss::ErrorKind::Io);
}

TEST_CASE("ensure_test_igc refuses an empty operator and a malformed domain, creating nothing") {
    TempDir d;
    fs::path pki = d.path / "pki";
    const TestIgcRequest bad[] = {{pki, "", kDomain},
                                  {pki, kOperator, ""},
                                  {pki, kOperator, "cab mssante.fr"},
                                  {pki, kOperator, "cab.mssante.fr,DNS:evil.example"},
                                  {pki, kOperator, ".cab.mssante.fr"},
                                  {"", kOperator, kDomain}};
    for (const auto& r : bad) {
        CAPTURE(r.domain);
        auto st = ensure_test_igc(r);
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().kind == mss::ErrorKind::Invalid);
    }
    CHECK_FALSE(fs::exists(pki));
}

TEST_CASE("an AUTH_CLI certificate carries the organisation's identity and client use only") {
    IssuedCertificate issued = shared_auth_cli();
    auto chain = certs_in(issued.certificate_pem);
    REQUIRE(chain.size() == 2);
    X509* leaf = chain[0].get();
    CHECK(subject_of(leaf) == "C=FR O=LABO DE BIOLOGIE Y OU=010000001 CN=labo-y resultats");
    CHECK(issuer_cn(leaf) == "AC IGC-SANTE TEST ORGANISATIONS");
    CHECK(der(chain[1].get()) == der(cert_at(shared_pki() / "organisations.crt").get()));
    CHECK(alt_names(leaf) == std::vector<std::string>{"email:labo-y@cab.mssante.fr"});
    CHECK(X509_check_email(leaf, "labo-y@cab.mssante.fr", 0, 0) == 1);
    CHECK(X509_get_extended_key_usage(leaf) == XKU_SSL_CLIENT);
    CHECK(X509_get_key_usage(leaf) == KU_DIGITAL_SIGNATURE);
    CHECK(X509_check_ca(leaf) == 0);
    CHECK(validity_days(leaf) == 30);
    CHECK(issued.private_key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    CHECK(X509_check_private_key(leaf, key_in(issued.private_key_pem).get()) == 1);
}

TEST_CASE("certificate_sha256 and the issued fingerprint equal X509_digest of the leaf") {
    IssuedCertificate issued = shared_auth_cli();
    Cert leaf = std::move(certs_in(issued.certificate_pem).front());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    REQUIRE(X509_digest(leaf.get(), EVP_sha256(), md, &len) == 1);
    REQUIRE(len == 32);
    std::string expected;
    for (unsigned i = 0; i < len; ++i) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", md[i]);
        expected += two;
    }
    CHECK(issued.sha256_hex == expected);
    auto digest = certificate_sha256(issued.certificate_pem);
    REQUIRE(digest.ok());
    CHECK(*digest == expected);
    CHECK(*certificate_sha256("text before the PEM block\n" + issued.certificate_pem) == expected);
    CHECK(*certificate_sha256(slurp(shared_pki() / "server.crt")) != expected);
}

TEST_CASE("certificate_sha256 refuses text holding no certificate") {
    std::string pem = shared_auth_cli().certificate_pem;
    const std::string bad[] = {"", "not a certificate", shared_auth_cli().private_key_pem, pem.substr(0, pem.size() / 4),
                               "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
    for (const auto& b : bad) {
        auto r = certificate_sha256(b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == mss::ErrorKind::Invalid);
    }
}

TEST_CASE("issue_org_auth_cli refuses incomplete or malformed requests") {
    const fs::path& pki = shared_pki();
    OrgAuthCliRequest good{pki, "LABO", "010000001", "labo results", "labo@cab.mssante.fr", 365};
    std::vector<OrgAuthCliRequest> bad(15, good);
    bad[0].organisation = "";
    bad[1].common_name = "";
    bad[2].finess = "";
    bad[3].finess = "01000000";
    bad[4].finess = "0100000012";
    bad[5].finess = "01000000!";
    bad[6].address = "";
    bad[7].address = "labo.cab.mssante.fr";
    bad[8].address = "labo@x@cab.mssante.fr";
    bad[9].address = "@cab.mssante.fr";
    bad[10].address = "labo@";
    bad[11].address = "labo x@cab.mssante.fr";
    bad[12].days = 0;
    bad[13].days = -5;
    bad[14].common_name = std::string(65, 'x');  // longer than X.520's 64 characters
    for (const auto& r : bad) {
        CAPTURE(r.finess);
        CAPTURE(r.address);
        auto issued = issue_org_auth_cli(r);
        REQUIRE_FALSE(issued.ok());
        CHECK(issued.error().kind == mss::ErrorKind::Invalid);
    }
    TempDir empty;
    good.pki_dir = empty.path;
    auto missing = issue_org_auth_cli(good);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == mss::ErrorKind::NotFound);
}

TEST_CASE("a comma in the address stays inside one e-mail name and adds no DNS name") {
    auto issued = issue_org_auth_cli({shared_pki(), "LABO", "01000000A", "labo", "labo@x.fr,DNS:evil.example", 10});
    REQUIRE_MESSAGE(issued.ok(), issued.error().message);
    Cert leaf = std::move(certs_in(issued->certificate_pem).front());
    CHECK(alt_names(leaf.get()) == std::vector<std::string>{"email:labo@x.fr,DNS:evil.example"});
}
