// mssd.toml's [tls] table: the default certificate, a certificate per SNI name ([tls.domains."host"]),
// the old tls.trust key, and the words client certificate verdicts are logged with. Trusts nothing:
// each case writes its own file in a temporary directory.
#include <doctest/doctest.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/config.h"
#include "core/tls.h"
#include "core/x509_reason.h"

namespace fs = std::filesystem;

namespace {

struct DataDir {
    fs::path path;
    DataDir() {
        char tmpl[] = "/tmp/mss-tls-config-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~DataDir() { fs::remove_all(path); }
    mss::Result<mss::Config> load(const std::string& tls_tables) {
        std::ofstream(path / "mssd.toml") << "domains = [\"a.fr\"]\n" << tls_tables;
        return mss::load_config(path);
    }
};

}  // namespace

TEST_CASE("[tls] defaults to pki/server.crt and no names of its own") {
    DataDir d;
    auto c = d.load("");
    REQUIRE(c);
    CHECK(c->tls.certificate == d.path / "pki/server.crt");
    CHECK(c->tls.key == d.path / "pki/server.key");
    CHECK(c->tls.domains.empty());
}

TEST_CASE("[tls.domains] gives each host name its certificate, names lower-cased, paths resolved") {
    DataDir d;
    auto c = d.load("[tls.domains.\"Mail.B.fr\"]\ncertificate = \"pki/b/cert.pem\"\nkey = \"/etc/b/key.pem\"\n"
                    "[tls.domains.\"imap.c.fr\"]\ncertificate = \"c.pem\"\nkey = \"c.key\"\n");
    REQUIRE(c);
    REQUIRE(c->tls.domains.size() == 2);
    CHECK(c->tls.domains.at("mail.b.fr").certificate == d.path / "pki/b/cert.pem");
    CHECK(c->tls.domains.at("mail.b.fr").key == fs::path("/etc/b/key.pem"));
    CHECK(c->tls.domains.at("imap.c.fr").key == d.path / "c.key");
}

TEST_CASE("[tls.domains] refuses incomplete tables, unknown keys, odd names and a name given twice") {
    DataDir d;
    const char* bad[] = {
        "[tls.domains.\"b.fr\"]\ncertificate = \"b.pem\"\n",
        "[tls.domains.\"b.fr\"]\ncertificate = \"b.pem\"\nkey = \"b.key\"\nchain = \"x\"\n",
        "[tls.domains.\"b fr\"]\ncertificate = \"b.pem\"\nkey = \"b.key\"\n",
        "[tls.domains.\".b.fr\"]\ncertificate = \"b.pem\"\nkey = \"b.key\"\n",
        "[tls]\ndomains = \"b.fr\"\n",
        "[tls.domains.\"b.fr\"]\ncertificate = \"b.pem\"\nkey = \"b.key\"\n"
        "[tls.domains.\"B.fr\"]\ncertificate = \"b.pem\"\nkey = \"b.key\"\n",
    };
    for (const char* text : bad) {
        auto c = d.load(text);
        CHECK_MESSAGE(!c, text);
        if (!c) CHECK(c.error().message.find("tls") != std::string::npos);
    }
}

TEST_CASE("tls.trust is accepted only when it names pki/trust.pem, which is what is used") {
    DataDir d;
    CHECK(d.load("[tls]\ntrust = \"pki/trust.pem\"\n"));
    CHECK(d.load("[tls]\ntrust = \"" + (d.path / "pki/./trust.pem").string() + "\"\n"));
    auto other = d.load("[tls]\ntrust = \"other.pem\"\n");
    REQUIRE(!other);
    CHECK(other.error().message.find("pki/trust.pem") != std::string::npos);
}

TEST_CASE("client certificate verdicts are named as crypto::ChainStatus names them") {
    using mss::x509::verify_reason;
    CHECK(verify_reason(X509_V_OK) == "valid");
    CHECK(verify_reason(X509_V_ERR_CERT_HAS_EXPIRED) == "expired");
    CHECK(verify_reason(X509_V_ERR_CERT_REVOKED) == "revoked");
    CHECK(verify_reason(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) == "untrusted-issuer");
    CHECK(verify_reason(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) == "untrusted-issuer");
    CHECK(verify_reason(X509_V_ERR_UNABLE_TO_GET_CRL) == "no-crl");
    CHECK(verify_reason(X509_V_ERR_CRL_HAS_EXPIRED) == "crl-expired");
    CHECK(verify_reason(X509_V_ERR_INVALID_PURPOSE) == "wrong-purpose");
    CHECK(verify_reason(X509_V_ERR_CERT_SIGNATURE_FAILURE) == "invalid");
}

TEST_CASE("[smime]: per-domain policies over the default, unknown keys and bad values refused") {
    DataDir d;
    auto c = d.load("[smime]\nunsigned = \"quarantine\"\n[smime.domains.\"B.fr\"]\ninvalid = \"reject\"\n");
    REQUIRE(c);
    CHECK(c->smime.policy_for("a.fr").unsigned_mail == mss::SmimeAction::Quarantine);
    CHECK(c->smime.policy_for("b.fr").unsigned_mail == mss::SmimeAction::Quarantine);
    CHECK(c->smime.policy_for("b.fr").invalid == mss::SmimeAction::Reject);
    CHECK(c->smime.vault_key == d.path / "vault.key");
    CHECK(d.load("[smime]\noops = 1\n").error().message.find("unknown key 'smime.oops'") != std::string::npos);
    CHECK(d.load("[smime.domains.\"b.fr\"]\nvault_key = \"k\"\n").error().message.find("unknown key") != std::string::npos);
    CHECK(d.load("[smime]\ninvalid = \"drop\"\n").error().message.find("smime.invalid must be") != std::string::npos);
}
