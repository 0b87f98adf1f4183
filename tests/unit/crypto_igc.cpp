// Passwords (scrypt) and the test IGC: hashes verify and refuse, the hierarchy is made once, and
// what it issues chains to the trust file, checked by OpenSSL's API and by the openssl command.
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/password.h"
#include "crypto/pki.h"

using namespace mss::crypto;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/mssd-igc-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

X509* first_cert(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return c;
}

bool chains_to(const std::string& leaf_pem, const fs::path& trust) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_load_file(store, trust.c_str());
    X509* leaf = first_cert(leaf_pem);
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, nullptr);
    bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_free(leaf);
    X509_STORE_free(store);
    return ok;
}
}  // namespace

TEST_CASE("scrypt hashes verify, differ by salt, refuse wrong and malformed input") {
    auto h = hash_password("correct horse", 10);
    REQUIRE(h.ok());
    CHECK(h->rfind("$scrypt$ln=10,r=8,p=1$", 0) == 0);
    CHECK(verify_password("correct horse", *h));
    CHECK_FALSE(verify_password("correct horsE", *h));
    CHECK(*hash_password("correct horse", 10) != *h);
    for (std::string bad : {std::string(), std::string("$scrypt$"), h->substr(0, h->size() - 4),
                            std::string("$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"),
                            std::string("$bcrypt$ln=10,r=8,p=1$x$y"), *h + "$"})
        CHECK_FALSE_MESSAGE(verify_password("correct horse", bad), bad);
    CHECK_FALSE(hash_password("x", 3).ok());
}

TEST_CASE("the test IGC is made once, with private keys and the chain in place") {
    TempDir d;
    fs::path pki = d.path / "pki";
    REQUIRE(ensure_test_igc({pki, "MSSD TEST", "cab.mssante.fr"}).ok());
    for (auto f : {"root.crt", "root.key", "personnes.crt", "personnes.key", "organisations.crt", "organisations.key",
                   "trust.pem", "server.crt", "server.key"})
        CHECK_MESSAGE(fs::exists(pki / f), f);
    struct stat st {};
    REQUIRE(::stat((pki / "server.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::string root = slurp(pki / "root.crt");
    REQUIRE(ensure_test_igc({pki, "MSSD TEST", "cab.mssante.fr"}).ok());
    CHECK(slurp(pki / "root.crt") == root);
    CHECK(chains_to(slurp(pki / "server.crt"), pki / "trust.pem"));
    X509* server = first_cert(slurp(pki / "server.crt"));
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(server), NID_commonName, cn, sizeof cn);
    CHECK(std::string(cn) == "cab.mssante.fr");
    CHECK(X509_check_host(server, "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_ip_asc(server, "127.0.0.1", 0) == 1);
    X509_free(server);
}

TEST_CASE("an organisation's AUTH_CLI certificate chains, carries its identity, and openssl agrees") {
    TempDir d;
    fs::path pki = d.path / "pki";
    REQUIRE(ensure_test_igc({pki, "MSSD TEST", "cab.mssante.fr"}).ok());
    auto issued = issue_org_auth_cli({pki, "LABO Y", "010000001", "labo-y results", "labo@cab.mssante.fr"});
    REQUIRE(issued.ok());
    CHECK(chains_to(issued->certificate_pem, pki / "trust.pem"));
    CHECK(*certificate_sha256(issued->certificate_pem) == issued->sha256_hex);
    X509* leaf = first_cert(issued->certificate_pem);
    CHECK((X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) != 0);
    CHECK(X509_check_email(leaf, "labo@cab.mssante.fr", 0, 0) == 1);
    X509_free(leaf);
    std::ofstream(d.path / "leaf.pem") << issued->certificate_pem;
    std::string cmd = "openssl verify -purpose sslclient -CAfile " + (pki / "trust.pem").string() + " " +
                      (d.path / "leaf.pem").string() + " >/dev/null 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);

    TempDir other;
    REQUIRE(ensure_test_igc({other.path / "pki", "SOMEONE ELSE", "x.fr"}).ok());
    CHECK_FALSE(chains_to(issued->certificate_pem, other.path / "pki" / "trust.pem"));
    CHECK_FALSE(issue_org_auth_cli({pki, "LABO", "12", "cn", "labo@cab.mssante.fr"}).ok());
    CHECK_FALSE(certificate_sha256("not a certificate").ok());
}
