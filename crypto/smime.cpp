// S/MIME 4.0 with OpenSSL's CMS API: sign, encrypt, decrypt, verify and open whole messages. Trusts
// the keys and TrustStore it is given; trusts nothing in a message: MIME framing goes through
// smime_entity (strict), CMS through OpenSSL's DER parser with our counts on signers, certificates
// and recipients, and a verdict is valid only once every check below has passed.
#include "crypto/smime.h"

#include <fmt/format.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <climits>

#include "core/base64.h"
#include "core/text.h"
#include "crypto/cms_certificates.h"
#include "crypto/ossl.h"
#include "crypto/smime_entity.h"

namespace mss::crypto::smime {
namespace {

namespace ent = entity;
using ossl::openssl_failure;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, ossl::Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

constexpr const char* kMimeVersion = "MIME-Version: 1.0\r\n";

Error invalid(std::string message) { return fail(ErrorKind::Invalid, std::move(message)); }

std::shared_ptr<X509> shared(ossl::Cert c) { return {c.release(), X509_free}; }

// ---- CMS in and out ----

Result<std::string> der_of(CMS_ContentInfo* cms) {
    unsigned char* out = nullptr;
    int len = i2d_CMS_ContentInfo(cms, &out);
    if (len <= 0) return openssl_failure(ErrorKind::Io, "encoding CMS");
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return der;
}

// The whole of der must be one ContentInfo: trailing octets are a doubt, hence malformed.
Result<ossl::Cms> parse_cms(std::string_view der) {
    if (der.empty() || der.size() > LONG_MAX) return invalid("no CMS structure");
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const auto* end = p + der.size();
    ossl::Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
    if (!cms) return openssl_failure(ErrorKind::Invalid, "malformed CMS");
    if (p != end) return invalid(fmt::format("{} octets after the CMS structure", end - p));
    return cms;
}

Result<ossl::Cms> cms_of_body(const ent::Entity& e) {
    auto der = ent::decoded_body(e);
    if (!der) return der.error();
    return parse_cms(*der);
}

int cms_type(CMS_ContentInfo* cms) { return OBJ_obj2nid(CMS_get0_type(cms)); }

Result<ossl::CertStack> chain_stack(const Credential& c) {
    ossl::CertStack stack(sk_X509_new_null());
    if (!stack) return openssl_failure(ErrorKind::Io, "certificate stack");
    for (const auto& cert : c.chain) {
        if (!sk_X509_push(stack.get(), cert.get())) return openssl_failure(ErrorKind::Io, "certificate stack");
        X509_up_ref(cert.get());
    }
    return stack;
}

Result<std::string> random_boundary() {
    std::array<unsigned char, 12> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return openssl_failure(ErrorKind::Io, "random");
    std::string out = "=_mssd_";
    for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
    return out;
}

// ---- producing ----

// RFC 8551 2.5.2 SMIMECapabilities: what we decrypt, preferred first. OpenSSL's default list would
// offer 3DES, DES and RC2-40 to whoever answers, and not AES-GCM. The same for every signature: its
// DER is made once.
void free_algorithms(STACK_OF(X509_ALGOR)* a) { sk_X509_ALGOR_pop_free(a, X509_ALGOR_free); }

std::string capabilities_der() {
    using Algorithms = std::unique_ptr<STACK_OF(X509_ALGOR), ossl::Deleter<STACK_OF(X509_ALGOR), free_algorithms>>;
    STACK_OF(X509_ALGOR)* raw = nullptr;
    for (int nid : {NID_aes_256_gcm, NID_aes_128_gcm, NID_aes_256_cbc, NID_aes_128_cbc})
        if (CMS_add_simple_smimecap(&raw, nid, -1) != 1) break;
    Algorithms algorithms(raw);
    unsigned char* der = nullptr;
    int len = algorithms && sk_X509_ALGOR_num(raw) == 4
                  ? ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(raw), &der, ASN1_ITEM_rptr(X509_ALGORS))
                  : -1;
    std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)) : "";
    OPENSSL_free(der);
    ERR_clear_error();
    return out;
}

Status add_capabilities(CMS_SignerInfo* si) {
    static const std::string der = capabilities_der();
    if (der.empty() || CMS_signed_add1_attr_by_NID(si, NID_SMIMECapabilities, V_ASN1_SEQUENCE, der.data(),
                                                   static_cast<int>(der.size())) != 1)
        return openssl_failure(ErrorKind::Io, "SMIMECapabilities");
    return Ok{};
}

Result<ossl::Cms> signed_cms(std::string_view entity, const Credential& signer, bool detached) {
    if (!signer.certificate || !signer.key) return invalid("signing needs the signer's certificate and private key");
    const unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | (detached ? CMS_DETACHED : 0u);
    auto chain = chain_stack(signer);
    if (!chain) return chain.error();
    ossl::Cms cms(CMS_sign(nullptr, nullptr, chain->get(), nullptr, flags));
    CMS_SignerInfo* si = nullptr;
    if (!cms || CMS_set_detached(cms.get(), detached ? 1 : 0) != 1 ||
        !(si = CMS_add1_signer(cms.get(), signer.certificate.get(), signer.key.get(), EVP_sha256(), flags)))
        return openssl_failure(ErrorKind::Invalid, "CMS signer");
    if (auto st = add_capabilities(si); !st) return st.error();
    auto in = ossl::memory_bio(entity);
    if (!in) return in.error();
    if (CMS_final(cms.get(), in->get(), nullptr, flags) != 1) return openssl_failure(ErrorKind::Io, "CMS signature");
    return cms;
}

// The pieces of a message, appended once into a string of the right size.
std::string concatenated(std::initializer_list<std::string_view> pieces) {
    std::size_t size = 0;
    for (auto p : pieces) size += p.size();
    std::string out;
    out.reserve(size);
    for (auto p : pieces) out += p;
    return out;
}

std::string detached_layout(const ent::Entity& e, std::string_view entity, std::string_view der,
                            const std::string& boundary) {
    return concatenated({ent::outer_fields(e), kMimeVersion,
                         "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n"
                         "\tboundary=\"",
                         boundary, "\"\r\n\r\nThis is an S/MIME signed message.\r\n\r\n--", boundary, "\r\n", entity,
                         "\r\n--", boundary,
                         "\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
                         "Content-Transfer-Encoding: base64\r\n"
                         "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
                         "Content-Description: S/MIME Cryptographic Signature\r\n\r\n",
                         base64_lines(der), "\r\n--", boundary, "--\r\n"});
}

std::string pkcs7_mime_layout(const ent::Entity& e, std::string_view smime_type, std::string_view der) {
    return concatenated({ent::outer_fields(e), kMimeVersion, "Content-Type: application/pkcs7-mime; smime-type=",
                         smime_type,
                         "; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n"
                         "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n",
                         base64_lines(der)});
}

Status add_recipient(CMS_ContentInfo* cms, X509* cert, KeyTransport transport) {
    EVP_PKEY* pub = X509_get0_pubkey(cert);
    if (!pub || !EVP_PKEY_is_a(pub, "RSA"))
        return invalid(fmt::format("recipient {} has no RSA key", ossl::name_text(X509_get_subject_name(cert))));
    CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms, cert, CMS_KEY_PARAM);
    if (!ri) return openssl_failure(ErrorKind::Invalid, "CMS recipient");
    if (transport == KeyTransport::RsaPkcs1v15) return Ok{};
    EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
    if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0)
        return openssl_failure(ErrorKind::Io, "RSA-OAEP parameters");
    return Ok{};
}

Result<ossl::Cms> enveloped_cms(std::string_view entity, const std::vector<Credential>& recipients,
                                const EncryptionPolicy& policy) {
    const EVP_CIPHER* cipher = policy.cipher == ContentCipher::Aes256Gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
    const unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_KEY_PARAM;
    ossl::Cms cms(CMS_encrypt(nullptr, nullptr, cipher, flags));
    if (!cms) return openssl_failure(ErrorKind::Io, "CMS envelope");
    for (const auto& r : recipients) {
        if (!r.certificate) return invalid("a recipient without a certificate");
        if (auto st = add_recipient(cms.get(), r.certificate.get(), policy.transport); !st) return st.error();
    }
    auto in = ossl::memory_bio(entity);
    if (!in) return in.error();
    if (CMS_final(cms.get(), in->get(), nullptr, flags) != 1) return openssl_failure(ErrorKind::Io, "CMS encryption");
    return cms;
}

// ---- reading a message's S/MIME shape ----

enum class Shape { Plain, Signed, Encrypted, Other };

struct Parsed {
    ent::Entity entity;
    ent::ContentType type;
};

Result<Parsed> parse_message(std::string_view message, const Limits& limits) {
    auto e = ent::split(message, limits.max_header_fields);
    if (!e) return e.error();
    auto type = ent::content_type_of(*e);
    if (!type) return type.error();
    return Parsed{std::move(*e), std::move(*type)};
}

bool is_pkcs7_mime(const ent::ContentType& t) {
    return t.is("application/pkcs7-mime") || t.is("application/x-pkcs7-mime");
}

bool is_pkcs7_signature(const ent::ContentType& t) {
    return t.is("application/pkcs7-signature") || t.is("application/x-pkcs7-signature");
}

std::string smime_type(const ent::ContentType& t) { return ascii_lower(t.param("smime-type").value_or("")); }

Shape shape_of_cms_type(int nid) {
    switch (nid) {
        case NID_pkcs7_signed: return Shape::Signed;
        case NID_pkcs7_enveloped:
        case NID_id_smime_ct_authEnvelopedData: return Shape::Encrypted;
        default: return Shape::Other;
    }
}

// The shape announced by the headers; application/pkcs7-mime without smime-type is looked into.
Result<Shape> shape_of(const Parsed& p) {
    if (p.type.is("multipart/signed")) return Shape::Signed;
    if (!is_pkcs7_mime(p.type)) return Shape::Plain;
    std::string st = smime_type(p.type);
    if (st == "signed-data") return Shape::Signed;
    if (st == "enveloped-data" || st == "authenveloped-data") return Shape::Encrypted;
    if (st == "certs-only") return Shape::Plain;
    if (!st.empty()) return Shape::Other;
    auto cms = cms_of_body(p.entity);
    if (!cms) return cms.error();
    return shape_of_cms_type(cms_type(cms->get()));
}

// The clear header fields with a decrypted or verified entity: one message again. An entity that
// carries header fields of its own (a whole message was signed or encrypted, as openssl cms does,
// RFC 8551 3.1) is believed over the clear copy of the same fields.
std::string rejoin(const ent::Entity& outer, std::string_view entity) {
    std::string inner = ent::canonical_crlf(entity);
    auto parsed = ent::split(inner, Limits{}.max_header_fields);
    if (!parsed) return ent::outer_fields(outer) + kMimeVersion + inner;
    auto version = ent::single_field(*parsed, "MIME-Version");
    bool has_version = !version || *version;  // given twice counts as given
    return ent::outer_fields(outer, *parsed) + (has_version ? "" : kMimeVersion) + inner;
}

// ---- verification ----

Verdict verdict(Reason reason, std::string detail) {
    Verdict v;
    v.reason = reason;
    v.detail = std::move(detail);
    return v;
}

struct SignedInput {
    ossl::Cms cms;
    std::string content;  // multipart/signed: the first part, canonical; empty for opaque signed-data
    bool detached = false;
    std::size_t carried = 0;  // certificates in the message (parsed only when within the limit)
};

bool has_certificate(CMS_ContentInfo* cms, X509* cert) {
    ossl::CertStack present(CMS_get1_certs(cms));
    for (int i = 0; present && i < sk_X509_num(present.get()); ++i)
        if (X509_cmp(sk_X509_value(present.get(), i), cert) == 0) return true;
    return false;
}

// Signed-data from its DER, its certificates parsed apart (cms_certificates.h) unless they are
// more than the limit, which check_structure then reports.
Result<SignedInput> signed_input(std::string_view der, std::string content, bool detached, const Limits& limits) {
    auto split = cms::split_certificates(der);
    auto cms = parse_cms(split ? std::string_view(split->rest) : der);
    if (!cms) return cms.error();
    SignedInput in{std::move(*cms), std::move(content), detached, 0};
    if (!split) {
        ossl::CertStack carried(CMS_get1_certs(in.cms.get()));
        in.carried = carried ? static_cast<std::size_t>(sk_X509_num(carried.get())) : 0;
        ERR_clear_error();
        return in;
    }
    in.carried = split->certificates.size();
    if (in.carried > static_cast<std::size_t>(limits.max_certificates)) return in;
    for (std::string_view cert_der : split->certificates) {
        auto cert = cms::parse_certificate(cert_der);
        if (!cert) return cert.error();
        if (!has_certificate(in.cms.get(), cert->get()) && CMS_add1_cert(in.cms.get(), cert->get()) != 1)
            return openssl_failure(ErrorKind::Invalid, "certificate of the CMS");
    }
    return in;
}

Result<SignedInput> detached_input(const Parsed& p, const Limits& limits) {
    std::string protocol = ascii_lower(p.type.param("protocol").value_or(""));
    if (protocol != "application/pkcs7-signature" && protocol != "application/x-pkcs7-signature")
        return invalid(fmt::format("multipart/signed with protocol '{}'", protocol));
    auto boundary = p.type.param("boundary");
    if (!boundary) return invalid("multipart/signed without a boundary");
    auto parts = ent::split_signed(p.entity.body, *boundary);
    if (!parts) return parts.error();
    auto sig = ent::split(parts->signature, limits.max_header_fields);
    if (!sig) return sig.error();
    auto sig_type = ent::content_type_of(*sig);
    if (!sig_type) return sig_type.error();
    if (!is_pkcs7_signature(*sig_type)) return invalid("the second part of multipart/signed is not a signature");
    auto der = ent::decoded_body(*sig);
    if (!der) return der.error();
    return signed_input(*der, ent::canonical_crlf(parts->content), true, limits);
}

Result<SignedInput> opaque_input(const Parsed& p, const Limits& limits) {
    auto der = ent::decoded_body(p.entity);
    if (!der) return der.error();
    return signed_input(*der, "", false, limits);
}

// The structure expected of signed-data, before any signature is looked at.
std::optional<Verdict> check_structure(const SignedInput& in, const Limits& limits) {
    CMS_ContentInfo* cms = in.cms.get();
    if (cms_type(cms) != NID_pkcs7_signed) return verdict(Reason::Malformed, "not CMS signed-data");
    if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data)
        return verdict(Reason::Malformed, "signed content is not id-data");
    if ((CMS_is_detached(cms) == 1) != in.detached)
        return verdict(Reason::Malformed, in.detached ? "multipart/signed carrying its content in the CMS too"
                                                      : "signed-data without its content");
    int signers = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms));
    if (signers <= 0) return verdict(Reason::Malformed, "no SignerInfo");
    if (signers > limits.max_signers)
        return verdict(Reason::TooLarge, fmt::format("{} signers, at most {}", signers, limits.max_signers));
    if (in.carried > static_cast<std::size_t>(limits.max_certificates))
        return verdict(Reason::TooLarge, fmt::format("{} certificates, at most {}", in.carried, limits.max_certificates));
    return std::nullopt;
}

bool is_strong_digest(int nid) { return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512; }

// Signature over the signed attributes of every signer, with the certificates the message carries.
std::optional<Verdict> check_signatures(CMS_ContentInfo* cms) {
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
    CMS_set1_signers_certs(cms, nullptr, 0);
    ERR_clear_error();
    for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
        CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
        X509* signer = nullptr;
        X509_ALGOR* digest = nullptr;
        CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digest, nullptr);
        if (!signer) return verdict(Reason::Untrusted, "the signer's certificate is not in the message");
        if (!digest || !is_strong_digest(OBJ_obj2nid(digest->algorithm)))
            return verdict(Reason::WeakAlgorithm, "digest algorithm other than SHA-256/384/512");
        if (CMS_signed_get_attr_count(si) >= 0 && CMS_SignerInfo_verify(si) <= 0)
            return verdict(Reason::BadSignature, "signature does not verify: " + ossl::take_openssl_error());
    }
    return std::nullopt;
}

bool every_signer_has_attributes(CMS_ContentInfo* cms) {
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
    for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i)
        if (CMS_signed_get_attr_count(sk_CMS_SignerInfo_value(infos, i)) < 0) return false;
    return true;
}

// The detached content for CMS_verify, behind a buffer BIO: OpenSSL 3.0's CMS_verify copies a bare
// memory BIO into a temporary one that it leaks when CMS_dataInit fails (an unknown digest OID in
// digestAlgorithms, found by fuzz_smime); with another BIO type it reads ours directly.
Result<ossl::Bio> detached_content_bio(std::string_view content) {
    auto mem = ossl::memory_bio(content);
    if (!mem) return invalid("empty signed content");
    ossl::Bio buffered(BIO_new(BIO_f_buffer()));
    if (!buffered) return openssl_failure(ErrorKind::Io, "buffer BIO");
    BIO_push(buffered.get(), mem->release());
    return buffered;
}

// The content's digest against each signer's messageDigest; fills entity with the signed content.
std::optional<Verdict> check_content(SignedInput& in, std::string& entity) {
    auto out = ossl::empty_bio();
    if (!out) return verdict(Reason::Malformed, out.error().message);
    ossl::Bio content;
    if (in.detached) {
        auto bio = detached_content_bio(in.content);
        if (!bio) return verdict(Reason::Malformed, bio.error().message);
        content = std::move(*bio);
    }
    const unsigned flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NO_ATTR_VERIFY;
    if (CMS_verify(in.cms.get(), nullptr, nullptr, content.get(), out->get(), flags) != 1) {
        Reason r = every_signer_has_attributes(in.cms.get()) ? Reason::ContentAltered : Reason::BadSignature;
        return verdict(r, "content does not match the signature: " + ossl::take_openssl_error());
    }
    if (in.detached) {
        entity = std::move(in.content);
        return std::nullopt;
    }
    auto text = ossl::bio_text(out->get());
    if (!text) return verdict(Reason::Malformed, text.error().message);
    entity = std::move(*text);
    return std::nullopt;
}

Reason reason_of(ChainStatus s) {
    switch (s) {
        case ChainStatus::Valid: return Reason::None;
        case ChainStatus::Expired:
        case ChainStatus::NotYetValid: return Reason::Expired;
        case ChainStatus::Revoked: return Reason::Revoked;
        case ChainStatus::NoCrl:
        case ChainStatus::CrlExpired: return Reason::NoCrl;
        case ChainStatus::WrongPurpose: return Reason::WrongUsage;
        case ChainStatus::WeakKey: return Reason::WeakAlgorithm;
        case ChainStatus::UntrustedIssuer:
        case ChainStatus::Invalid: return Reason::Untrusted;
    }
    return Reason::Untrusted;
}

std::vector<X509*> signer_certificates(CMS_ContentInfo* cms) {
    std::vector<X509*> out;
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
    for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
        X509* signer = nullptr;
        CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(infos, i), nullptr, &signer, nullptr, nullptr);
        out.push_back(signer);
    }
    return out;
}

std::optional<Verdict> check_chains(CMS_ContentInfo* cms, const TrustStore& trust) {
    ossl::CertStack carried(CMS_get1_certs(cms));
    ERR_clear_error();
    for (X509* signer : signer_certificates(cms)) {
        ChainVerdict chain = verify_chain(trust, signer, carried.get(), CertificatePurpose::SmimeSigning);
        if (!chain.valid()) return verdict(reason_of(chain.status), std::string(to_string(chain.status)) + ": " + chain.reason);
    }
    return std::nullopt;
}

bool names_address(X509* cert, std::string_view address) {
    GeneralNames names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    ERR_clear_error();
    std::string wanted = ascii_lower(address);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
        if (g->type != GEN_EMAIL) continue;
        std::string_view email(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.rfc822Name)),
                               static_cast<std::size_t>(ASN1_STRING_length(g->d.rfc822Name)));
        if (ascii_lower(email) == wanted) return true;
    }
    return false;
}

SignerIdentity identity_of(X509* cert, std::string address) {
    return {ossl::name_text(X509_get_subject_name(cert)), ossl::serial_hex(X509_get0_serialNumber(cert)),
            std::move(address), ossl::name_entry(X509_get_subject_name(cert), NID_commonName),
            ossl::name_text(X509_get_issuer_name(cert))};
}

// The From addresses the signature must answer for: the clear one and, when the signed entity carries
// header fields of its own (a whole message signed), its From too, since rejoin() shows that one.
Result<std::vector<std::string>> from_addresses(const ent::Entity& outer, std::string_view entity) {
    std::vector<std::string> out;
    std::string storage;
    auto inner = ent::split(ent::canonical_view(entity, storage), Limits{}.max_header_fields);
    if (!inner) return inner.error();
    const ent::Entity* both[] = {&outer, &inner.value()};
    for (const ent::Entity* e : both) {
        auto from = ent::single_field(*e, "From");
        if (!from) return from.error();
        if (!*from) continue;
        auto address = ent::single_address(**from);
        if (!address) return address.error();
        out.push_back(std::move(*address));
    }
    if (out.empty()) return invalid("no From field");
    return out;
}

std::string mismatch(X509* signer, const std::vector<std::string>& addresses, const VerifyOptions& options) {
    for (const auto& a : addresses)
        if (!names_address(signer, a)) return fmt::format("the signer's certificate does not name {}", a);
    std::string cn = ossl::name_entry(X509_get_subject_name(signer), NID_commonName);
    if (options.expected_ps_idnat && cn != *options.expected_ps_idnat)
        return fmt::format("signer CN {} is not the expected PS_IdNat {}", cn, *options.expected_ps_idnat);
    return "";
}

// The signer bound to every From address (and to the expected PS_IdNat, when given).
Result<SignerIdentity> bound_signer(CMS_ContentInfo* cms, const ent::Entity& outer, std::string_view entity,
                                    const VerifyOptions& options, Reason& why) {
    why = Reason::Malformed;
    auto addresses = from_addresses(outer, entity);
    if (!addresses) return addresses.error();
    why = Reason::SignerMismatch;
    std::string seen;
    for (X509* signer : signer_certificates(cms)) {
        seen = mismatch(signer, *addresses, options);
        if (seen.empty()) return identity_of(signer, addresses->front());
    }
    return invalid(seen);
}

Verdict check_signed(const Parsed& p, SignedInput in, const TrustStore& trust, const VerifyOptions& options) {
    if (auto v = check_structure(in, options.limits)) return *v;
    if (auto v = check_signatures(in.cms.get())) return *v;
    std::string entity;
    if (auto v = check_content(in, entity)) return *v;
    SignerIdentity first = identity_of(signer_certificates(in.cms.get()).front(), "");
    if (auto v = check_chains(in.cms.get(), trust)) {
        v->signer = first;
        return *v;
    }
    Reason why = Reason::Malformed;
    auto signer = bound_signer(in.cms.get(), p.entity, entity, options, why);
    if (!signer) {
        Verdict v = verdict(why, signer.error().message);
        v.signer = first;
        return v;
    }
    Verdict v = verdict(Reason::None, "");
    v.signer = std::move(*signer);
    v.message = rejoin(p.entity, entity);
    v.entity = std::move(entity);
    return v;
}

// ---- decryption ----

std::string recipient_text(CMS_RecipientInfo* ri) {
    ASN1_OCTET_STRING* keyid = nullptr;
    X509_NAME* issuer = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &serial) != 1) {
        ERR_clear_error();
        return "?";
    }
    if (issuer && serial) return fmt::format("issuer {} serial {}", ossl::name_text(issuer), ossl::serial_hex(serial));
    std::string hex;
    for (int i = 0; keyid && i < ASN1_STRING_length(keyid); ++i) hex += fmt::format("{:02x}", ASN1_STRING_get0_data(keyid)[i]);
    return "subjectKeyIdentifier " + hex;
}

// The KeyTransRecipientInfo naming cert, or -1.
int matching_recipient(STACK_OF(CMS_RecipientInfo)* infos, X509* cert) {
    for (int i = 0; i < sk_CMS_RecipientInfo_num(infos); ++i) {
        CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
        if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS && CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0)
            return i;
    }
    ERR_clear_error();
    return -1;
}

Result<ossl::Cms> enveloped_input(const Parsed& p) {
    std::string st = smime_type(p.type);
    if (!is_pkcs7_mime(p.type) || (!st.empty() && st != "enveloped-data" && st != "authenveloped-data"))
        return invalid("not an encrypted S/MIME message");
    auto cms = cms_of_body(p.entity);
    if (!cms) return cms.error();
    int nid = cms_type(cms->get());
    if ((nid != NID_pkcs7_enveloped && nid != NID_id_smime_ct_authEnvelopedData) ||
        (st == "enveloped-data" && nid != NID_pkcs7_enveloped) ||
        (st == "authenveloped-data" && nid != NID_id_smime_ct_authEnvelopedData))
        return invalid("the CMS type does not match smime-type");
    return cms;
}

// Same failure whatever went wrong once the RecipientInfo matched (RSA or content), as OpenSSL does
// against Bleichenbacher-style oracles.
Result<std::string> decrypted_content(CMS_ContentInfo* cms, const Credential& recipient) {
    auto out = ossl::empty_bio();
    if (!out) return out.error();
    if (CMS_decrypt(cms, recipient.key.get(), recipient.certificate.get(), nullptr, out->get(), CMS_BINARY) != 1) {
        ERR_clear_error();
        return invalid("decryption failed");
    }
    return ossl::bio_text(out->get());
}

// ---- open ----

struct LayerStep {
    std::string message;
    Layer layer;
};

std::optional<LayerStep> open_encrypted(const std::string& message, const std::vector<Credential>& keys,
                                        const Limits& limits, Verdict& failure) {
    for (const auto& key : keys) {
        auto d = decrypt(message, key, limits);
        if (d) return LayerStep{std::move(d->message), {Layer::Kind::Encrypted, d->recipient}};
        if (d.error().kind != ErrorKind::NotFound) {
            failure = verdict(Reason::Malformed, d.error().message);
            return std::nullopt;
        }
    }
    failure = verdict(Reason::NotForUs, "no RecipientInfo for any of our keys");
    return std::nullopt;
}

}  // namespace

std::string_view to_string(Reason r) {
    switch (r) {
        case Reason::None: return "valid";
        case Reason::Malformed: return "malformed";
        case Reason::TooLarge: return "too-large";
        case Reason::TooDeep: return "too-deep";
        case Reason::NotSigned: return "not-signed";
        case Reason::BadSignature: return "bad-signature";
        case Reason::ContentAltered: return "content-altered";
        case Reason::Untrusted: return "untrusted";
        case Reason::Expired: return "expired";
        case Reason::Revoked: return "revoked";
        case Reason::NoCrl: return "no-crl";
        case Reason::WrongUsage: return "wrong-usage";
        case Reason::WeakAlgorithm: return "weak-algorithm";
        case Reason::SignerMismatch: return "signer-mismatch";
        case Reason::NotForUs: return "not-for-us";
    }
    return "?";
}

Result<Credential> load_credential(std::string_view cert_pem, std::string_view key_pem) {
    auto certs = ossl::parse_certs(cert_pem, "certificate");
    if (!certs) return certs.error();
    Credential c;
    c.certificate = shared(std::move(certs->front()));
    for (std::size_t i = 1; i < certs->size(); ++i) c.chain.push_back(shared(std::move((*certs)[i])));
    if (key_pem.empty()) return c;
    auto key = ossl::parse_key(key_pem, "private key");
    if (!key) return key.error();
    if (X509_check_private_key(c.certificate.get(), key->get()) != 1)
        return openssl_failure(ErrorKind::Invalid, "the private key does not match the certificate");
    c.key = std::shared_ptr<EVP_PKEY>(key->release(), EVP_PKEY_free);
    return c;
}

Result<std::string> sign(std::string_view message, const Credential& signer, SignatureForm form) {
    std::string storage;
    auto e = ent::split(ent::canonical_view(message, storage), Limits{}.max_header_fields);
    if (!e) return e.error();
    std::string entity = ent::mime_entity(*e);
    bool detached = form == SignatureForm::Detached;
    auto cms = signed_cms(entity, signer, detached);
    if (!cms) return cms.error();
    auto der = der_of(cms->get());
    if (!der) return der.error();
    if (!detached) return pkcs7_mime_layout(*e, "signed-data", *der);
    auto boundary = random_boundary();
    if (!boundary) return boundary.error();
    if (entity.find(*boundary) != std::string::npos) return fail(ErrorKind::Io, "boundary found in the content");
    return detached_layout(*e, entity, *der, *boundary);
}

Result<std::string> encrypt(std::string_view message, const std::vector<Credential>& recipients,
                            const EncryptionPolicy& policy, const Limits& limits) {
    if (recipients.empty()) return invalid("no recipient");
    if (recipients.size() > static_cast<std::size_t>(limits.max_recipients))
        return invalid(fmt::format("{} recipients, at most {}", recipients.size(), limits.max_recipients));
    std::string storage;
    auto e = ent::split(ent::canonical_view(message, storage), limits.max_header_fields);
    if (!e) return e.error();
    auto cms = enveloped_cms(ent::mime_entity(*e), recipients, policy);
    if (!cms) return cms.error();
    auto der = der_of(cms->get());
    if (!der) return der.error();
    bool gcm = policy.cipher == ContentCipher::Aes256Gcm;
    return pkcs7_mime_layout(*e, gcm ? "authEnveloped-data" : "enveloped-data", *der);
}

Result<Decrypted> decrypt(std::string_view message, const Credential& recipient, const Limits& limits) {
    if (!recipient.certificate || !recipient.key) return invalid("decryption needs the recipient's certificate and key");
    if (message.size() > limits.max_input)
        return invalid(fmt::format("message of {} octets, at most {}", message.size(), limits.max_input));
    auto p = parse_message(message, limits);
    if (!p) return p.error();
    auto cms = enveloped_input(*p);
    if (!cms) return cms.error();
    STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms->get());
    int count = sk_CMS_RecipientInfo_num(infos);
    if (count <= 0) return invalid("no RecipientInfo");
    if (count > limits.max_recipients)
        return invalid(fmt::format("{} recipients, at most {}", count, limits.max_recipients));
    int index = matching_recipient(infos, recipient.certificate.get());
    if (index < 0)
        return fail(ErrorKind::NotFound, fmt::format("not encrypted for {}",
                                                     ossl::name_text(X509_get_subject_name(recipient.certificate.get()))));
    std::string who = recipient_text(sk_CMS_RecipientInfo_value(infos, index));
    bool authenticated = cms_type(cms->get()) == NID_id_smime_ct_authEnvelopedData;
    auto content = decrypted_content(cms->get(), recipient);
    if (!content) return content.error();
    return Decrypted{rejoin(p->entity, *content), index, who, authenticated};
}

Verdict verify(std::string_view message, const TrustStore& trust, const VerifyOptions& options) {
    if (message.size() > options.limits.max_input)
        return verdict(Reason::TooLarge, fmt::format("message of {} octets, at most {}", message.size(),
                                                     options.limits.max_input));
    auto p = parse_message(message, options.limits);
    if (!p) return verdict(Reason::Malformed, p.error().message);
    auto shape = shape_of(*p);
    if (!shape) return verdict(Reason::Malformed, shape.error().message);
    if (*shape == Shape::Encrypted) return verdict(Reason::NotSigned, "encrypted, not signed: decrypt it first");
    if (*shape == Shape::Other) return verdict(Reason::Malformed, "unsupported S/MIME type");
    if (*shape == Shape::Plain) return verdict(Reason::NotSigned, "no S/MIME signature");
    auto in = p->type.is("multipart/signed") ? detached_input(*p, options.limits) : opaque_input(*p, options.limits);
    if (!in) return verdict(Reason::Malformed, in.error().message);
    Verdict v = check_signed(*p, std::move(*in), trust, options);
    ERR_clear_error();
    return v;
}

Protection protection_of(std::string_view message, const Limits& limits) {
    if (message.size() > limits.max_input) return Protection::Unreadable;
    auto p = parse_message(message, limits);
    auto shape = p ? shape_of(*p) : Result<Shape>(p.error());
    ERR_clear_error();
    if (!shape) return Protection::Unreadable;
    switch (*shape) {
        case Shape::Plain: return Protection::Clear;
        case Shape::Signed: return Protection::Signed;
        case Shape::Encrypted: return Protection::Encrypted;
        case Shape::Other: return Protection::Unreadable;
    }
    return Protection::Unreadable;
}

Opened open(std::string_view message, const TrustStore& trust, const std::vector<Credential>& keys,
            const VerifyOptions& options) {
    Opened out;
    out.message = message;
    std::optional<Verdict> signature;
    for (int depth = 0;; ++depth) {
        if (out.message.size() > options.limits.max_input) {
            out.verdict = verdict(Reason::TooLarge, "layer over the size limit");
            return out;
        }
        auto p = parse_message(out.message, options.limits);
        auto shape = p ? shape_of(*p) : Result<Shape>(p.error());
        if (!shape || *shape == Shape::Other) {
            out.verdict = verdict(Reason::Malformed, shape ? "unsupported S/MIME type" : shape.error().message);
            return out;
        }
        if (*shape == Shape::Plain) break;
        if (depth == options.limits.max_depth) {
            out.verdict = verdict(Reason::TooDeep, fmt::format("more than {} S/MIME layers", options.limits.max_depth));
            return out;
        }
        if (*shape == Shape::Encrypted) {
            auto step = open_encrypted(out.message, keys, options.limits, out.verdict);
            if (!step) return out;
            out.layers.push_back(std::move(step->layer));
            out.message = std::move(step->message);
            continue;
        }
        Verdict v = verify(out.message, trust, options);
        out.layers.push_back({Layer::Kind::Signed, v.signer.subject});
        if (!v.valid()) {
            out.verdict = std::move(v);
            return out;
        }
        out.message = v.message;
        signature = std::move(v);
    }
    out.verdict = signature ? std::move(*signature) : verdict(Reason::NotSigned, "no S/MIME signature");
    return out;
}

}  // namespace mss::crypto::smime
