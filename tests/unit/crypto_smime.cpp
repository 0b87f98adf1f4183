// S/MIME sign, encrypt, decrypt, verify and open against a test IGC made in a temporary folder:
// every verdict (valid, bad-signature, content-altered, untrusted, expired, revoked, no-crl,
// signer-mismatch, wrong-usage, malformed, too-large, too-deep, not-signed, not-for-us), truncated
// and nested CMS. Trusts the fixture's IGC; tampering is done on the bytes, as an attacker would.
#include <doctest/doctest.h>
#include <openssl/cms.h>

#include <algorithm>
#include <ctime>

#include "core/base64.h"
#include "crypto/cms_certificates.h"
#include "crypto/smime.h"
#include "crypto/trust.h"
#include "tests/unit/crypto_fixture.h"

using namespace mss::crypto;
using namespace crypto_test;
namespace sm = mss::crypto::smime;

namespace {

const std::string kMessage =
    "From: Dr Jean Dupont <Jean.Dupont@test.mssante.fr>\r\n"
    "To: marie.martin@test.mssante.fr\r\n"
    "Subject: =?utf-8?q?Compte_rendu?=\r\n"
    "Message-ID: <cr-1@test.mssante.fr>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Bonjour Marie,\r\n"
    "le compte rendu est joint. Cordialement.\r\n";

sm::Credential credential(const IssuedCertificate& issued, bool with_key = true) {
    auto c = sm::load_credential(issued.certificate_pem, with_key ? issued.private_key_pem : "");
    REQUIRE_MESSAGE(c.ok(), c.error().message);
    return c.value();
}

TrustStore trust_of(const fs::path& pki) {
    auto t = TrustStore::load(pki);
    REQUIRE_MESSAGE(t.ok(), t.error().message);
    return t.value();
}

std::string signed_by(const IssuedCertificate& signer, const std::string& message = kMessage,
                      sm::SignatureForm form = sm::SignatureForm::Detached) {
    auto s = sm::sign(message, credential(signer), form);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    return s.value();
}

std::string encrypted_to(const std::vector<const IssuedCertificate*>& to, const std::string& message = kMessage,
                         sm::EncryptionPolicy policy = {}) {
    std::vector<sm::Credential> recipients;
    for (const auto* r : to) recipients.push_back(credential(*r, false));
    auto e = sm::encrypt(message, recipients, policy);
    REQUIRE_MESSAGE(e.ok(), e.error().message);
    return e.value();
}

sm::Verdict verdict_of(const std::string& message, const fs::path& pki, sm::VerifyOptions options = {}) {
    return sm::verify(message, trust_of(pki), options);
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

// The base64 lines of the smime.p7s part or of the smime.p7m body, up to the final delimiter if any.
std::pair<std::size_t, std::size_t> last_base64_block(const std::string& m) {
    std::size_t start = m.find("\r\n\r\n", m.find("filename=\"smime.p7")) + 4;
    std::size_t end = m.find("\r\n--", start);
    return {start, end == std::string::npos ? m.size() : end};
}

std::string der_of_block(const std::string& m) {
    auto [start, end] = last_base64_block(m);
    std::string b64;
    for (char c : m.substr(start, end - start))
        if (c != '\r' && c != '\n') b64 += c;
    auto der = mss::base64_decode(b64);
    REQUIRE(der);
    return *der;
}

std::string with_block(const std::string& m, const std::string& der) {
    auto [start, end] = last_base64_block(m);
    std::string b64 = mss::base64_encode(der), lines;
    for (std::size_t i = 0; i < b64.size(); i += 76) lines += b64.substr(i, 76) + "\r\n";
    return m.substr(0, start) + lines + m.substr(end);
}

std::string lf_only(const std::string& s) {
    std::string out;
    for (char c : s)
        if (c != '\r') out += c;
    return out;
}

void check_reason(const sm::Verdict& v, sm::Reason want) {
    CAPTURE(v.detail);
    CHECK(sm::to_string(v.reason) == sm::to_string(want));
    if (want != sm::Reason::None) {
        CHECK(v.entity.empty());
        CHECK(v.message.empty());
    }
}

}  // namespace

TEST_CASE("a signed message verifies, names its signer and gives back the signed entity") {
    const auto& s = shared_igc();
    std::string signed_message = signed_by(s.gp.signature);
    CHECK(signed_message.rfind("From: Dr Jean Dupont <Jean.Dupont@test.mssante.fr>\r\n", 0) == 0);
    CHECK(signed_message.find("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
                              "micalg=sha-256;") != std::string::npos);
    CHECK(lf_only(signed_message).size() + std::count(signed_message.begin(), signed_message.end(), '\n') ==
          signed_message.size());  // every line ends in CRLF
    auto v = verdict_of(signed_message, s.igc.pki);
    check_reason(v, sm::Reason::None);
    CHECK(v.signer.common_name == kGpIdNat);
    CHECK(v.signer.serial == s.gp.signature.serial_hex);
    CHECK(v.signer.address == "Jean.Dupont@test.mssante.fr");
    CHECK(v.signer.subject == "CN=810001045367,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR");
    CHECK(v.entity ==
          "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
          "Bonjour Marie,\r\nle compte rendu est joint. Cordialement.\r\n");
    CHECK(v.message.find("Subject: =?utf-8?q?Compte_rendu?=\r\n") != std::string::npos);
    CHECK(v.message.find("Bonjour Marie,") != std::string::npos);
    CHECK(v.message.find("pkcs7") == std::string::npos);
}

TEST_CASE("the signature offers AES only in its SMIMECapabilities, GCM first") {
    std::string der = der_of_block(signed_by(shared_igc().gp.signature));
    const std::string aes256_gcm("\x06\x09\x60\x86\x48\x01\x65\x03\x04\x01\x2e", 11);
    const std::string aes256_cbc("\x06\x09\x60\x86\x48\x01\x65\x03\x04\x01\x2a", 11);
    const std::string des_ede3("\x06\x08\x2a\x86\x48\x86\xf7\x0d\x03\x07", 10);
    const std::string rc2("\x06\x08\x2a\x86\x48\x86\xf7\x0d\x03\x02", 10);
    REQUIRE(der.find(aes256_gcm) != std::string::npos);
    CHECK(der.find(aes256_gcm) < der.find(aes256_cbc));
    CHECK(der.find(des_ede3) == std::string::npos);
    CHECK(der.find(rc2) == std::string::npos);
}

TEST_CASE("opaque signed-data verifies too, and so does a message whose line ends became LF in transit") {
    const auto& s = shared_igc();
    std::string opaque = signed_by(s.gp.signature, kMessage, sm::SignatureForm::Opaque);
    CHECK(opaque.find("application/pkcs7-mime; smime-type=signed-data") != std::string::npos);
    auto v = verdict_of(opaque, s.igc.pki);
    check_reason(v, sm::Reason::None);
    CHECK(v.entity.find("le compte rendu est joint") != std::string::npos);
    check_reason(verdict_of(lf_only(signed_by(s.gp.signature)), s.igc.pki), sm::Reason::None);
    check_reason(verdict_of(lf_only(opaque), s.igc.pki), sm::Reason::None);
    check_reason(verdict_of(signed_by(s.gp.signature, lf_only(kMessage)), s.igc.pki), sm::Reason::None);
}

TEST_CASE("content altered after signing, or a damaged signature, is caught") {
    const auto& s = shared_igc();
    std::string m = signed_by(s.gp.signature);
    check_reason(verdict_of(replace_once(m, "Bonjour Marie", "Bonjour Marc"), s.igc.pki), sm::Reason::ContentAltered);
    check_reason(verdict_of(replace_once(m, "charset=utf-8\r\nContent-Transfer", "charset=latin1\r\nContent-Transfer"),
                            s.igc.pki),
                 sm::Reason::ContentAltered);
    std::string der = der_of_block(m);
    der[der.size() - 5] = static_cast<char>(der[der.size() - 5] ^ 0x01);  // inside the signature value
    check_reason(verdict_of(with_block(m, der), s.igc.pki), sm::Reason::BadSignature);
    std::string opaque = signed_by(s.gp.signature, kMessage, sm::SignatureForm::Opaque);
    std::string opaque_der = der_of_block(opaque);
    auto at = opaque_der.find("Bonjour Marie");
    REQUIRE(at != std::string::npos);
    opaque_der[at] = 'b';
    check_reason(verdict_of(with_block(opaque, opaque_der), s.igc.pki), sm::Reason::ContentAltered);
}

TEST_CASE("the From address and the expected PS_IdNat must be the signer's") {
    const auto& s = shared_igc();
    std::string forged = replace_once(kMessage, "Jean.Dupont@", "paul.durand@");
    auto v = verdict_of(signed_by(s.gp.signature, forged), s.igc.pki);
    check_reason(v, sm::Reason::SignerMismatch);
    CHECK(v.signer.common_name == kGpIdNat);
    // Signed by the doctor, claiming to come from the GP.
    check_reason(verdict_of(signed_by(s.doctor.signature), s.igc.pki), sm::Reason::SignerMismatch);
    sm::VerifyOptions expect_gp{kGpIdNat, {}}, expect_doctor{kDoctorIdNat, {}};
    std::string m = signed_by(s.gp.signature);
    check_reason(verdict_of(m, s.igc.pki, expect_gp), sm::Reason::None);
    check_reason(verdict_of(m, s.igc.pki, expect_doctor), sm::Reason::SignerMismatch);
    check_reason(verdict_of(replace_once(m, "From: Dr Jean Dupont <Jean.Dupont@test.mssante.fr>",
                                         "From: a@test.mssante.fr, Jean.Dupont@test.mssante.fr"),
                            s.igc.pki),
                 sm::Reason::Malformed);
    check_reason(verdict_of(replace_once(m, "From: Dr Jean Dupont <Jean.Dupont@test.mssante.fr>\r\n", ""), s.igc.pki),
                 sm::Reason::Malformed);
}

TEST_CASE("expired, revoked, unknown-CA, CRL-less and wrong-usage signers are refused with their reason") {
    Igc igc;
    auto gp = igc.personal(kGpIdNat, kGp);
    std::time_t month_ago = std::time(nullptr) - 30 * 86400;
    auto expired = issue_organisation({igc.pki, "CABINET", "010000001", "cabinet", "jean.dupont@test.mssante.fr", 10,
                                       CertificateKind::Signature, month_ago});
    REQUIRE(expired.ok());
    check_reason(verdict_of(signed_by(*expired), igc.pki), sm::Reason::Expired);

    check_reason(verdict_of(signed_by(gp.authentication), igc.pki), sm::Reason::WrongUsage);

    std::string m = signed_by(gp.signature);
    check_reason(verdict_of(m, igc.pki), sm::Reason::None);
    REQUIRE(revoke(igc.pki, gp.signature.serial_hex, RevocationReason::KeyCompromise).ok());
    auto revoked = verdict_of(m, igc.pki);
    check_reason(revoked, sm::Reason::Revoked);
    CHECK(revoked.signer.serial == gp.signature.serial_hex);

    // The shared IGC's GP: same names, another root.
    check_reason(verdict_of(signed_by(shared_igc().gp.signature), igc.pki), sm::Reason::Untrusted);

    auto doctor = igc.personal(kDoctorIdNat, kDoctor);
    std::string from_doctor = replace_once(kMessage, "Dr Jean Dupont <Jean.Dupont@", "<marie.martin@");
    std::string d = signed_by(doctor.signature, from_doctor);
    check_reason(verdict_of(d, igc.pki), sm::Reason::None);
    fs::remove(igc.pki / "personnes.crl");
    check_reason(verdict_of(d, igc.pki), sm::Reason::NoCrl);
}

TEST_CASE("messages that are not signed, or whose S/MIME framing is doubtful, get no pass") {
    const auto& s = shared_igc();
    const fs::path& pki = s.igc.pki;
    check_reason(verdict_of(kMessage, pki), sm::Reason::NotSigned);
    check_reason(verdict_of(encrypted_to({&s.doctor.encryption}), pki), sm::Reason::NotSigned);
    std::string m = signed_by(s.gp.signature);
    std::string boundary = m.substr(m.find("boundary=\"") + 10);
    boundary = boundary.substr(0, boundary.find('"'));
    const std::string bad[] = {
        m.substr(0, m.size() * 6 / 10),                                          // cut in the signature
        m.substr(0, m.find("--" + boundary + "--")),                             // no close delimiter
        replace_once(m, "protocol=\"application/pkcs7-signature\"", "protocol=\"application/pgp-signature\""),
        replace_once(m, "micalg=sha-256;", "micalg=sha-256; boundary=\"other\";"),  // boundary given twice
        replace_once(m, "Content-Type: application/pkcs7-signature", "Content-Type: text/plain"),
        replace_once(m, "--" + boundary + "--", "--" + boundary + "\r\n\r\nthird part\r\n--" + boundary + "--"),
        replace_once(m, "Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: quoted-printable"),
        replace_once(m, "MIME-Version: 1.0\r\n", "MIME-Version: 1.0\r\nnot a header line\r\n"),
        with_block(m, der_of_block(m).substr(0, 300)),                           // truncated CMS
        with_block(m, der_of_block(m) + "trailing"),                             // octets after the CMS
        with_block(m, "\x30\x84\x7f\xff\xff\xff\x06\x09"),                       // enormous declared length
        with_block(m, std::string(4000, '\x30')),                                // nested SEQUENCE headers
        with_block(m, der_of_block(encrypted_to({&s.doctor.encryption}))),        // not signed-data
    };
    for (std::size_t i = 0; i < std::size(bad); ++i) {
        CAPTURE(i);
        check_reason(verdict_of(bad[i], pki), sm::Reason::Malformed);
    }
    std::string opaque = signed_by(s.gp.signature, kMessage, sm::SignatureForm::Opaque);
    check_reason(verdict_of(opaque.substr(0, opaque.size() / 2), pki), sm::Reason::Malformed);
    check_reason(verdict_of(replace_once(opaque, "smime-type=signed-data", "smime-type=compressed-data"), pki),
                 sm::Reason::Malformed);
}

TEST_CASE("limits: size, certificates carried, layers") {
    const auto& s = shared_igc();
    std::string m = signed_by(s.gp.signature);
    sm::VerifyOptions small;
    small.limits.max_input = m.size() - 1;
    check_reason(verdict_of(m, s.igc.pki, small), sm::Reason::TooLarge);
    sm::VerifyOptions one_cert;
    one_cert.limits.max_certificates = 1;  // the message carries the leaf and PERSONNES
    check_reason(verdict_of(m, s.igc.pki, one_cert), sm::Reason::TooLarge);
    std::vector<sm::Credential> many(3, credential(s.doctor.encryption, false));
    sm::Limits two;
    two.max_recipients = 2;
    auto too_many = sm::encrypt(kMessage, many, {}, two);
    REQUIRE_FALSE(too_many.ok());
    auto three = sm::encrypt(kMessage, many);
    REQUIRE(three.ok());
    auto refused = sm::decrypt(*three, credential(s.doctor.encryption), two);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == mss::ErrorKind::Invalid);
}

TEST_CASE("encryption to several recipients, with each policy, decrypts for each of them only") {
    const auto& s = shared_igc();
    const sm::EncryptionPolicy policies[] = {{sm::ContentCipher::Aes256Gcm, sm::KeyTransport::RsaOaep},
                                             {sm::ContentCipher::Aes256Gcm, sm::KeyTransport::RsaPkcs1v15},
                                             {sm::ContentCipher::Aes256Cbc, sm::KeyTransport::RsaOaep},
                                             {sm::ContentCipher::Aes256Cbc, sm::KeyTransport::RsaPkcs1v15}};
    for (const auto& policy : policies) {
        bool gcm = policy.cipher == sm::ContentCipher::Aes256Gcm;
        CAPTURE(gcm);
        std::string e = encrypted_to({&s.gp.encryption, &s.doctor.encryption}, kMessage, policy);
        CHECK(e.find(gcm ? "smime-type=authEnveloped-data" : "smime-type=enveloped-data") != std::string::npos);
        CHECK(e.find("Bonjour") == std::string::npos);
        CHECK(e.find("Subject: =?utf-8?q?Compte_rendu?=\r\n") != std::string::npos);
        auto doctor = sm::decrypt(e, credential(s.doctor.encryption));
        REQUIRE_MESSAGE(doctor.ok(), doctor.error().message);
        // RecipientInfos are a SET OF: DER orders them by encoding, not by our list.
        CHECK(doctor->recipient.find(s.doctor.encryption.serial_hex) != std::string::npos);
        CHECK(doctor->authenticated == gcm);
        CHECK(doctor->message.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
        CHECK(doctor->message.find("Bonjour Marie,\r\nle compte rendu est joint. Cordialement.\r\n") != std::string::npos);
        auto gp = sm::decrypt(e, credential(s.gp.encryption));
        REQUIRE(gp.ok());
        CHECK(gp->recipient_index + doctor->recipient_index == 1);
        CHECK(gp->recipient.find(s.gp.encryption.serial_hex) != std::string::npos);
        CHECK(gp->message == doctor->message);
        auto stranger = sm::decrypt(e, credential(s.doctor.signature));
        REQUIRE_FALSE(stranger.ok());
        CHECK(stranger.error().kind == mss::ErrorKind::NotFound);
    }
}

TEST_CASE("decrypt refuses tampered, truncated and non-encrypted input cleanly") {
    const auto& s = shared_igc();
    auto key = credential(s.doctor.encryption);
    for (auto cipher : {sm::ContentCipher::Aes256Gcm, sm::ContentCipher::Aes256Cbc}) {
        std::string e = encrypted_to({&s.doctor.encryption}, kMessage, {cipher, sm::KeyTransport::RsaOaep});
        std::string der = der_of_block(e);
        std::string flipped = der;
        flipped[der.size() - 20] = static_cast<char>(flipped[der.size() - 20] ^ 0x40);
        const std::string bad[] = {with_block(e, flipped), with_block(e, der.substr(0, der.size() - 30)),
                                   e.substr(0, e.size() / 2), kMessage, signed_by(s.gp.signature),
                                   replace_once(e, "Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: x")};
        for (std::size_t i = 0; i < std::size(bad); ++i) {
            CAPTURE(i);
            auto d = sm::decrypt(bad[i], key);
            if (i == 0 && cipher == sm::ContentCipher::Aes256Cbc && d.ok()) {
                // CBC has no integrity: a flipped ciphertext bit garbles the clear text or its padding.
                CHECK(d->message.find("Bonjour Marie,\r\nle compte rendu est joint. Cordialement.\r\n") ==
                      std::string::npos);
                continue;
            }
            REQUIRE_FALSE(d.ok());
            CHECK(d.error().kind == mss::ErrorKind::Invalid);
        }
    }
    sm::Credential no_key = credential(s.doctor.encryption, false);
    CHECK_FALSE(sm::decrypt(encrypted_to({&s.doctor.encryption}), no_key).ok());
}

TEST_CASE("open goes through sign-then-encrypt, and stops at the layer limit") {
    const auto& s = shared_igc();
    auto trust = trust_of(s.igc.pki);
    std::vector<sm::Credential> keys{credential(s.doctor.encryption)};
    std::string wrapped = encrypted_to({&s.doctor.encryption}, signed_by(s.gp.signature));
    auto opened = sm::open(wrapped, trust, keys);
    check_reason(opened.verdict, sm::Reason::None);
    REQUIRE(opened.layers.size() == 2);
    CHECK(opened.layers[0].kind == sm::Layer::Kind::Encrypted);
    CHECK(opened.layers[1].kind == sm::Layer::Kind::Signed);
    CHECK(opened.verdict.signer.common_name == kGpIdNat);
    CHECK(opened.message.find("Bonjour Marie,") != std::string::npos);
    CHECK(opened.message.find("pkcs7") == std::string::npos);

    // Triple wrap (RFC 2634): signed, encrypted, signed again.
    std::string triple = signed_by(s.gp.signature, wrapped);
    auto three = sm::open(triple, trust, keys);
    check_reason(three.verdict, sm::Reason::None);
    CHECK(three.layers.size() == 3);

    std::string deep = kMessage;
    for (int i = 0; i < 5; ++i) deep = signed_by(s.gp.signature, deep);
    auto too_deep = sm::open(deep, trust, keys);
    check_reason(too_deep.verdict, sm::Reason::TooDeep);
    CHECK(too_deep.layers.size() == 4);

    auto not_ours = sm::open(encrypted_to({&s.gp.encryption}, signed_by(s.gp.signature)), trust, keys);
    check_reason(not_ours.verdict, sm::Reason::NotForUs);
    auto clear = sm::open(kMessage, trust, keys);
    check_reason(clear.verdict, sm::Reason::NotSigned);
    CHECK(clear.message == kMessage);
    auto encrypted_only = sm::open(encrypted_to({&s.doctor.encryption}), trust, keys);
    check_reason(encrypted_only.verdict, sm::Reason::NotSigned);
    CHECK(encrypted_only.message.find("Bonjour Marie,") != std::string::npos);
    std::string altered_inside = encrypted_to({&s.doctor.encryption},
                                              replace_once(signed_by(s.gp.signature), "Bonjour Marie", "Bonjour Marc"));
    check_reason(sm::open(altered_inside, trust, keys).verdict, sm::Reason::ContentAltered);
}

TEST_CASE("load_credential refuses a key that is not the certificate's, and text without a certificate") {
    const auto& s = shared_igc();
    auto mismatch = sm::load_credential(s.gp.signature.certificate_pem, s.gp.encryption.private_key_pem);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().kind == mss::ErrorKind::Invalid);
    CHECK_FALSE(sm::load_credential("no certificate here").ok());
    auto chain = sm::load_credential(s.gp.signature.certificate_pem);
    REQUIRE(chain.ok());
    CHECK(chain->chain.size() == 1);
    CHECK_FALSE(chain->key);
    CHECK_FALSE(sm::sign(kMessage, *chain).ok());
}

TEST_CASE("the certificates of signed-data are taken out and parsed apart, DER or gpgsm's BER") {
    const auto& s = shared_igc();
    auto check_split = [](const std::string& der, std::size_t certificates) {
        auto split = mss::crypto::cms::split_certificates(der);
        REQUIRE(split);
        CHECK(split->certificates.size() == certificates);
        CHECK(split->rest.size() < der.size());
        const auto* p = reinterpret_cast<const unsigned char*>(split->rest.data());
        CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(split->rest.size()));
        REQUIRE(cms);
        CHECK(p == reinterpret_cast<const unsigned char*>(split->rest.data()) + split->rest.size());
        STACK_OF(X509)* left = CMS_get1_certs(cms);
        CHECK(left == nullptr);
        CHECK(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) == 1);
        CMS_ContentInfo_free(cms);
        for (auto cert : split->certificates) {
            auto parsed = mss::crypto::cms::parse_certificate(cert);
            REQUIRE(parsed.ok());
            auto again = mss::crypto::cms::parse_certificate(cert);
            REQUIRE(again.ok());
            CHECK(again->get() == parsed->get());  // the cached object
        }
    };
    check_split(der_of_block(signed_by(s.gp.signature)), 2);
    check_split(der_of_block(signed_by(s.gp.signature, kMessage, sm::SignatureForm::Opaque)), 2);
    std::string gpgsm = slurp(fs::path(__FILE__).parent_path().parent_path() / "fuzz/seeds/smime/gpgsm-signed.eml");
    REQUIRE_FALSE(gpgsm.empty());
    std::size_t from = gpgsm.find("\r\n\r\n", gpgsm.rfind("application/pkcs7-signature")) + 4;
    std::string b64;
    for (char c : gpgsm.substr(from, gpgsm.rfind("\r\n--gb--") - from))
        if (c != '\r' && c != '\n') b64 += c;
    std::string ber = mss::base64_decode(b64).value();
    CHECK(static_cast<unsigned char>(ber[1]) == 0x80);  // indefinite length, as gpgsm writes
    check_split(ber, 2);
    std::string der = der_of_block(signed_by(s.gp.signature));
    CHECK_FALSE(mss::crypto::cms::split_certificates(der_of_block(encrypted_to({&s.doctor.encryption}))));
    CHECK_FALSE(mss::crypto::cms::split_certificates(der.substr(0, der.size() - 1)));
    CHECK_FALSE(mss::crypto::cms::split_certificates(der + "x"));
    CHECK_FALSE(mss::crypto::cms::split_certificates(""));
    CHECK_FALSE(mss::crypto::cms::parse_certificate("not DER").ok());
}
