// Shared by the crypto unit tests: temporary folders and one test IGC with two health professionals'
// CPS-style certificates, made once per test binary (RSA key generation is the slow part).
// Trusts the code under test only for making the IGC; what tests check is read back independently.
#pragma once
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/pki.h"
#include "crypto/revocation.h"
#include "temp_dir.h"

namespace crypto_test {

namespace fs = std::filesystem;

using unit_test::TempDir;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Crl = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;

inline Cert first_cert(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    Cert c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    REQUIRE(c);
    return c;
}

inline Crl crl_of(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    Crl c(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr), X509_CRL_free);
    REQUIRE(c);
    return c;
}

inline Crl crl_at(const fs::path& p) { return crl_of(slurp(p)); }

constexpr const char* kDomain = "test.mssante.fr";
constexpr const char* kGp = "jean.dupont@test.mssante.fr";          // PS_IdNat 810001045367
constexpr const char* kDoctor = "marie.martin@test.mssante.fr";     // PS_IdNat 810002567773
constexpr const char* kGpIdNat = "810001045367";
constexpr const char* kDoctorIdNat = "810002567773";

// A fresh test IGC in its own folder.
struct Igc {
    TempDir dir;
    fs::path pki;
    explicit Igc(const char* operator_name = "MSSD TEST OPERATOR") : pki(dir.path / "pki") {
        auto st = mss::crypto::ensure_test_igc({pki, operator_name, kDomain});
        REQUIRE_MESSAGE(st.ok(), st.error().message);
    }
    mss::crypto::PersonalCertificates personal(const std::string& ps_idnat, const std::string& address) const {
        auto r = mss::crypto::issue_personal({pki, ps_idnat, address});
        REQUIRE_MESSAGE(r.ok(), r.error().message);
        return r.value();
    }
};

// One IGC with the GP's and the doctor's certificates, for tests that do not revoke.
struct SharedIgc {
    Igc igc;
    mss::crypto::PersonalCertificates gp, doctor;
    SharedIgc() : gp(igc.personal(kGpIdNat, kGp)), doctor(igc.personal(kDoctorIdNat, kDoctor)) {}
};

inline const SharedIgc& shared_igc() {
    static SharedIgc s;
    return s;
}

}  // namespace crypto_test
