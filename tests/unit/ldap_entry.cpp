// The published form of a directory mailbox (inetOrgPerson), the base entry, the certificates in
// both forms, and the bulk LDIF: liste rouge entries never written.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <sstream>

#include "directory/directory.h"
#include "ldap/certificate.h"
#include "ldap/entry.h"
#include "ldap/ldif.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::ldap;

namespace {

directory::MailboxEntry helene() {
    directory::MailboxEntry m;
    m.address = "helene.lefevre@chu-x.mssante.fr";
    m.ps_idnat = "810000000012";
    m.family = "LEFÈVRE";
    m.given = "Hélène";
    m.profession = "Médecin";
    m.specialty = "Cardiologie";
    m.structure_name = "CHU X";
    m.postcode = "75013";
    m.city = "PARIS";
    m.fingerprint = 1;
    return m;
}

std::vector<std::string> values(const LdapEntry& e, std::string_view type) {
    std::vector<std::string> out;
    for (const auto& a : e.attributes)
        if (a.type == type) out.push_back(a.value);
    return out;
}

// A self-signed P-256 certificate, PEM.
std::string self_signed(const char* cn) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    X509_free(x);
    EVP_PKEY_free(key);
    return pem;
}

std::string der_of_pem(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    unsigned char* out = nullptr;
    int n = i2d_X509(x, &out);
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    X509_free(x);
    BIO_free(bio);
    return der;
}

}  // namespace

TEST_CASE("a professional's mailbox: inetOrgPerson named by its mail, every field it has") {
    auto e = mailbox_entry(helene(), "ou=mssante,dc=example,dc=org", nullptr);
    CHECK(e.dn == "mail=helene.lefevre@chu-x.mssante.fr,ou=mssante,dc=example,dc=org");
    CHECK(values(e, "objectClass") == std::vector<std::string>{"top", "person", "organizationalPerson", "inetOrgPerson"});
    CHECK(values(e, "mail") == std::vector<std::string>{"helene.lefevre@chu-x.mssante.fr"});
    CHECK(values(e, "cn") == std::vector<std::string>{"Hélène LEFÈVRE"});
    CHECK(values(e, "sn") == std::vector<std::string>{"LEFÈVRE"});
    CHECK(values(e, "givenName") == std::vector<std::string>{"Hélène"});
    CHECK(values(e, "displayName") == std::vector<std::string>{"Hélène LEFÈVRE"});
    CHECK(values(e, "title") == std::vector<std::string>{"Médecin"});
    CHECK(values(e, "businessCategory") == std::vector<std::string>{"Cardiologie"});
    CHECK(values(e, "o") == std::vector<std::string>{"CHU X"});
    CHECK(values(e, "postalCode") == std::vector<std::string>{"75013"});
    CHECK(values(e, "l") == std::vector<std::string>{"PARIS"});
    CHECK(values(e, "employeeNumber") == std::vector<std::string>{"810000000012"});
    CHECK(values(e, "employeeType") == std::vector<std::string>{"PER"});
    CHECK(values(e, "ou").empty());  // no service: no empty value
    CHECK(values(e, "userCertificate;binary").empty());
    for (const auto& a : e.attributes) {
        CHECK_FALSE(a.value.empty());
        bool managed = a.type == "objectClass";
        for (auto t : published_types()) managed |= a.type == t;
        CHECK(managed);  // a modify replaces every attribute the entry may carry
    }
}

TEST_CASE("an organisational mailbox: cn from the service, sn from cn (person requires both)") {
    directory::MailboxEntry m;
    m.address = "cardiologie@chu-x.mssante.fr";
    m.type = directory::MailboxType::Org;
    m.service = "Cardiologie";
    m.structure_name = "CHU X";
    auto e = mailbox_entry(m, "o=t", nullptr);
    CHECK(values(e, "cn") == std::vector<std::string>{"Cardiologie"});
    CHECK(values(e, "sn") == std::vector<std::string>{"Cardiologie"});
    CHECK(values(e, "ou") == std::vector<std::string>{"Cardiologie"});
    m.service.clear();
    m.structure_name.clear();
    CHECK(values(mailbox_entry(m, "o=t", nullptr), "cn") == std::vector<std::string>{"cardiologie@chu-x.mssante.fr"});
}

TEST_CASE("an address with DN specials is escaped in the DN, kept as it is in mail") {
    auto m = helene();
    m.address = "a+b=c,d@x.fr";
    auto e = mailbox_entry(m, "o=t", nullptr);
    CHECK(e.dn == "mail=a\\+b\\=c\\,d@x.fr,o=t");
    CHECK(values(e, "mail") == std::vector<std::string>{"a+b=c,d@x.fr"});
}

TEST_CASE("base entries for ou=, o= and dc= base DNs; others refused") {
    auto ou = base_entry("ou=mssante,dc=example,dc=org");
    REQUIRE(ou.ok());
    CHECK(ou->dn == "ou=mssante,dc=example,dc=org");
    CHECK(values(*ou, "objectClass") == std::vector<std::string>{"top", "organizationalUnit"});
    CHECK(values(*ou, "ou") == std::vector<std::string>{"mssante"});
    auto o = base_entry("O=Sant\\C3\\A9");
    REQUIRE(o.ok());
    CHECK(values(*o, "o") == std::vector<std::string>{"Santé"});
    auto dc = base_entry("dc=example,dc=org");
    REQUIRE(dc.ok());
    CHECK(values(*dc, "dc") == std::vector<std::string>{"example"});
    CHECK_FALSE(base_entry("cn=admin,dc=org").ok());
    CHECK_FALSE(base_entry("ou=a+cn=b,dc=org").ok());
    CHECK_FALSE(base_entry("not a dn").ok());
    CHECK_FALSE(base_entry("").ok());
}

TEST_CASE("a certificate is published as DER and as a certs-only PKCS#7 holding the chain") {
    std::string leaf = self_signed("leaf"), ca = self_signed("ca");
    auto published = published_certificate(leaf + ca);
    REQUIRE(published);
    CHECK(published->der == der_of_pem(leaf));
    auto* p = reinterpret_cast<const unsigned char*>(published->smime_pkcs7.data());
    PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(published->smime_pkcs7.size()));
    REQUIRE(p7);
    REQUIRE(PKCS7_type_is_signed(p7));
    auto* certs = p7->d.sign->cert;
    REQUIRE(sk_X509_num(certs) == 2);
    unsigned char* out = nullptr;
    int n = i2d_X509(sk_X509_value(certs, 0), &out);
    CHECK(std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n)) == published->der);
    OPENSSL_free(out);
    CHECK(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info) == 0);
    PKCS7_free(p7);
    auto e = mailbox_entry(helene(), "o=t", &*published);
    CHECK(values(e, "userCertificate;binary") == std::vector<std::string>{published->der});
    CHECK(values(e, "userSMIMECertificate") == std::vector<std::string>{published->smime_pkcs7});
    CHECK_FALSE(published_certificate("no certificate here"));
    CHECK_FALSE(published_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
}

TEST_CASE("the bulk LDIF: the base entry, every mailbox but the liste rouge ones, certificates where held") {
    unit_test::TempDir tmp;
    auto dir = std::move(directory::open_sqlite_directory(tmp.path / "directory.db")).value();
    auto session = std::move(dir->begin_import(directory::ExtractionKind::Correspondance)).value();
    auto red = helene();
    red.address = "secret@chu-x.mssante.fr";
    red.family = "ROUGE";
    red.liste_rouge = true;
    auto other = helene();
    other.address = "other@chu-x.mssante.fr";
    for (const auto& m : {helene(), red, other}) REQUIRE(session->add(m).value());
    REQUIRE(session->commit("t.txt", 3, 0).ok());
    auto published = published_certificate(self_signed("helene"));
    REQUIRE(published);
    Certificates certificates{{"helene.lefevre@chu-x.mssante.fr", *published}};
    std::ostringstream out;
    auto report = export_ldif(*dir, certificates, "ou=mssante,dc=example,dc=org", out);
    REQUIRE(report.ok());
    CHECK(report->entries == 2);
    CHECK(report->liste_rouge == 1);
    CHECK(report->certificates == 1);
    CHECK(report->changes_up_to == 3);
    std::string ldif = out.str();
    CHECK(ldif.starts_with("dn: ou=mssante,dc=example,dc=org\nobjectClass: top\nobjectClass: organizationalUnit\n"
                           "ou: mssante\n\ndn: mail=helene.lefevre@chu-x.mssante.fr,ou=mssante,dc=example,dc=org\n"));
    CHECK(ldif.find("dn: mail=other@chu-x.mssante.fr,") != std::string::npos);
    CHECK(ldif.find("secret@") == std::string::npos);
    CHECK(ldif.find("ROUGE") == std::string::npos);
    CHECK(ldif.find("userCertificate;binary:: ") != std::string::npos);
    CHECK(ldif.find("cn:: ") != std::string::npos);  // UTF-8 names go as base64
    CHECK(ldif.ends_with("\n\n"));
}
