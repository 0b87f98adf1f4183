// S/MIME 4.0 (RFC 8551) over whole RFC 5322 messages, bytes in and bytes out, with OpenSSL's CMS
// API: sign (multipart/signed, detached SHA-256), encrypt (authEnveloped-data AES-256-GCM, or
// enveloped-data AES-256-CBC for older clients), decrypt, verify, and open (every layer in turn).
// Trusts nothing in a message: sizes, layers, recipients and signers are bounded, and any doubt
// while parsing gives an "invalid: malformed" verdict, never a pass.
#pragma once
#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/trust.h"

namespace mss::crypto::smime {

struct Limits {
    std::size_t max_input = 32 * 1024 * 1024;  // octets of a message given to decrypt/verify/open
    int max_depth = 4;                          // S/MIME layers open() goes through
    int max_recipients = 100;                   // RecipientInfos of an enveloped message
    int max_signers = 4;                        // SignerInfos of a signed message
    int max_certificates = 32;                  // certificates carried in a signed message
    std::size_t max_header_fields = 1000;
};

// A certificate with the intermediates to send with it, and its private key when we hold it.
struct Credential {
    std::shared_ptr<X509> certificate;
    std::vector<std::shared_ptr<X509>> chain;  // intermediates, leaf excluded
    std::shared_ptr<EVP_PKEY> key;             // null for a recipient's certificate
};
// cert_pem: the leaf then its intermediates; key_pem empty for a certificate only. The key must
// match the certificate.
Result<Credential> load_credential(std::string_view cert_pem, std::string_view key_pem = {});

// ---- producing ----

enum class SignatureForm {
    Detached,  // multipart/signed (RFC 8551 3.5.3): readable without S/MIME support
    Opaque,    // application/pkcs7-mime; smime-type=signed-data (3.5.2)
};
// The message's Content-* fields and body become the signed MIME entity (canonical CRLF); its other
// header fields stay outside, unsigned. The signer's certificate and chain are included.
Result<std::string> sign(std::string_view message, const Credential& signer, SignatureForm form = SignatureForm::Detached);

enum class ContentCipher {
    Aes256Gcm,  // authEnveloped-data (RFC 5083/5084): S/MIME 4.0's MUST
    Aes256Cbc,  // enveloped-data: for clients without authEnveloped-data support
};
enum class KeyTransport {
    RsaOaep,      // RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017, RFC 4055)
    RsaPkcs1v15,  // RSAES-PKCS1-v1_5: for clients without OAEP
};
// Defaults: AES-256-GCM and RSAES-OAEP. OAEP because PKCS#1 v1.5 encryption gives recipients a
// Bleichenbacher padding oracle to guard against (RFC 8551 2.3 makes OAEP SHOULD+, v1.5 a MUST only
// for receiving); v1.5 and CBC stay available for clients without OAEP or authEnveloped-data (gpgsm
// 2.2 has neither). Decryption accepts all four and fails alike whatever part went wrong.
struct EncryptionPolicy {
    ContentCipher cipher = ContentCipher::Aes256Gcm;
    KeyTransport transport = KeyTransport::RsaOaep;
};
// One KeyTransRecipientInfo (issuerAndSerialNumber) per recipient; the Content-* fields and body
// are encrypted, the other header fields stay in clear.
Result<std::string> encrypt(std::string_view message, const std::vector<Credential>& recipients,
                            const EncryptionPolicy& policy = {}, const Limits& limits = {});

// ---- consuming ----

struct Decrypted {
    std::string message;     // the clear header fields with the decrypted entity
    int recipient_index;     // which RecipientInfo matched, from 0
    std::string recipient;   // its issuer and serial, as text
    bool authenticated;      // authEnveloped-data (GCM tag checked)
};
// NotFound when no RecipientInfo names this certificate; Invalid when malformed, over the limits or
// when decryption fails; Denied never.
Result<Decrypted> decrypt(std::string_view message, const Credential& recipient, const Limits& limits = {});

enum class Reason {
    None,            // valid
    Malformed,       // not parseable as S/MIME, or any doubt while parsing
    TooLarge,        // over Limits (size, signers, certificates)
    TooDeep,         // more layers than Limits::max_depth
    NotSigned,       // no signature layer at all
    BadSignature,    // the signature does not verify with the signer's key
    ContentAltered,  // the signature is sound but the content's digest differs
    Untrusted,       // no chain to our anchors, or the signer's certificate is missing
    Expired,         // a certificate of the chain is expired or not yet valid
    Revoked,
    NoCrl,           // revocation could not be checked (CRL missing or stale)
    WrongUsage,      // the certificate may not sign e-mail (keyUsage / extendedKeyUsage)
    WeakAlgorithm,   // digest other than SHA-256/384/512, or weak key
    SignerMismatch,  // the certificate does not name the From address (or the expected PS_IdNat)
    NotForUs,        // open(): an encrypted layer none of our keys opens
};
std::string_view to_string(Reason reason);  // "bad-signature", "content-altered"...

struct SignerIdentity {
    std::string subject;   // RFC 2253
    std::string serial;    // upper-case hex
    std::string address;   // the subjectAltName rfc822Name that matched From
    std::string common_name;
    std::string issuer;    // RFC 2253
};

struct Verdict {
    Reason reason = Reason::Malformed;
    std::string detail;       // why, in words
    SignerIdentity signer;    // filled when the signature itself was checked
    std::string entity;       // valid only: the signed MIME entity, exactly as verified
    std::string message;      // valid only: the outer header fields with that entity
    bool valid() const { return reason == Reason::None; }
};

struct VerifyOptions {
    std::optional<std::string> expected_ps_idnat;  // the signer's subject CN must equal it
    Limits limits;
};
// One signature layer: multipart/signed or application/pkcs7-mime; smime-type=signed-data.
Verdict verify(std::string_view message, const TrustStore& trust, const VerifyOptions& options = {});

// The outermost layer, from the header fields (and the CMS content type when smime-type is absent).
// Unreadable: header fields or Content-Type that cannot be parsed without guessing, an S/MIME type
// we do not handle, or over the size limit.
enum class Protection { Clear, Signed, Encrypted, Unreadable };
Protection protection_of(std::string_view message, const Limits& limits = {});

struct Layer {
    enum class Kind { Signed, Encrypted } kind;
    std::string detail;  // signer subject, or which recipient matched
};
struct Opened {
    Verdict verdict;            // valid when every signature layer is and there is at least one
    std::vector<Layer> layers;  // outermost first
    std::string message;        // the innermost message reached (also on failure, for display)
};
// Decrypts and verifies layer after layer (e.g. signed inside encrypted), at most max_depth layers.
Opened open(std::string_view message, const TrustStore& trust, const std::vector<Credential>& keys,
            const VerifyOptions& options = {});

}  // namespace mss::crypto::smime
