// mssd.toml's [dmp] table: which authorities name professionals. Without it, this instance's own
// pki/personnes.crt alone (or none when absent); entries are subject DNs or PEM files of CAs, a
// file that cannot be read refuses the configuration.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/config.h"
#include "temp_dir.h"

namespace {

// A self-signed CA certificate whose subject is kUnitSubject (made once with openssl req -x509).
const char* kUnitCa = R"(-----BEGIN CERTIFICATE-----
MIIBzzCCAXWgAwIBAgIUdAXr5BdTMlG+daRkFHCLKCiqmbIwCgYIKoZIzj0EAwIw
PTELMAkGA1UEBhMCRlIxEjAQBgNVBAoMCVVOSVQgVEVTVDEaMBgGA1UEAwwRQUMg
VU5JVCBQRVJTT05ORVMwHhcNMjYxMjA2MTMyODIwWhcNMzYxMjAzMTMyODIwWjA9
MQswCQYDVQQGEwJGUjESMBAGA1UECgwJVU5JVCBURVNUMRowGAYDVQQDDBFBQyBV
TklUIFBFUlNPTk5FUzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJwVHPEdQzMc
X64lvaRwQt1uhnw4ATy1ybYBzFFdJuSUsUuqyQp3rnt/6EZByBQaaBVhdHuqSrOj
BVu8iOU6GX+jUzBRMB0GA1UdDgQWBBTY4VSM45N/u5XFsY+amBfFq3dKzjAfBgNV
HSMEGDAWgBTY4VSM45N/u5XFsY+amBfFq3dKzjAPBgNVHRMBAf8EBTADAQH/MAoG
CCqGSM49BAMCA0gAMEUCICTqG+rfa6VUw08F84BUBRY+ZLzB81SlXLRWqAKIm+Ii
AiEAgXTAmOxAKosL6MXzJ++2SBUmlshwaHWHZIkPwtwEN6E=
-----END CERTIFICATE-----
)";
const std::string kUnitSubject = "CN=AC UNIT PERSONNES,O=UNIT TEST,C=FR";

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& dmp) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n" << dmp;
    return mss::load_config(d.path);
}

void write_ca(const std::filesystem::path& file) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << kUnitCa;
}

}  // namespace

TEST_CASE("[dmp] absent: this instance's PERSONNES authority, or none") {
    unit_test::TempDir d;
    auto none = load(d, "");
    REQUIRE(none);
    CHECK(none->dmp.professional_cas.empty());
    write_ca(d.path / "pki" / "personnes.crt");
    auto own = load(d, "");
    REQUIRE(own);
    CHECK(own->dmp.professional_cas == std::vector<std::string>{kUnitSubject});
}

TEST_CASE("[dmp] professional_cas: subject DNs and CA files, relative to the data directory") {
    unit_test::TempDir d;
    write_ca(d.path / "cas" / "other.pem");
    auto c = load(d, "[dmp]\nprofessional_cas = [\"CN=AC X PERSONNES,O=X,C=FR\", \"cas/other.pem\"]\n");
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->dmp.professional_cas == std::vector<std::string>{"CN=AC X PERSONNES,O=X,C=FR", kUnitSubject});
    // an empty list: no certificate names a professional (bearer tokens only)
    auto empty = load(d, "[dmp]\nprofessional_cas = []\n");
    REQUIRE(empty);
    CHECK(empty->dmp.professional_cas.empty());
}

TEST_CASE("[dmp] refused: a missing or empty file, a wrong type, an unknown key") {
    unit_test::TempDir d;
    std::ofstream(d.path / "empty.pem") << "no certificate here\n";
    for (const char* bad : {"[dmp]\nprofessional_cas = [\"nowhere.pem\"]\n",
                            "[dmp]\nprofessional_cas = [\"empty.pem\"]\n",
                            "[dmp]\nprofessional_cas = \"CN=X\"\n",
                            "[dmp]\nprofessional_cas = [\"\"]\n",
                            "[dmp]\nprofessional_cas = [3]\n",
                            "[dmp]\nprofesional_cas = []\n"}) {
        CAPTURE(bad);
        CHECK_FALSE(load(d, bad));
    }
}

TEST_CASE("[dmp] filing_remote: an https URL of a PDSm server, or the embedded DMP when absent") {
    unit_test::TempDir d;
    auto embedded = load(d, "[dmp]\nprofessional_cas = []\n");
    REQUIRE(embedded);
    CHECK(embedded->dmp.filing_remote.empty());
    auto remote = load(d, "[dmp]\nfiling_remote = \"https://dmp.example.fr:8443/dmp/fhir\"\n");
    REQUIRE_MESSAGE(remote, (remote ? "" : remote.error().message));
    CHECK(remote->dmp.filing_remote == "https://dmp.example.fr:8443/dmp/fhir");
    for (const char* bad : {"[dmp]\nfiling_remote = \"http://dmp.example.fr/dmp/fhir\"\n", "[dmp]\nfiling_remote = 3\n"}) {
        CAPTURE(bad);
        CHECK_FALSE(load(d, bad));
    }
}
