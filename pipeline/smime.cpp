// The S/MIME step: sign and encrypt on submission, decrypt, verify and apply the recipient's policy
// on delivery. Every copy filed carries our Authentication-Results; theirs are removed first.
#include "pipeline/smime.h"

#include <fmt/format.h>

#include "core/log.h"
#include "crypto/smime.h"
#include "crypto/smime_entity.h"
#include "pipeline/trace.h"

namespace mss::pipeline {
namespace {

namespace smime = crypto::smime;
using smime::Protection;
using smime::Reason;

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return std::string(at == std::string_view::npos ? address : address.substr(at + 1));
}

// The address's certificate for usage, with its private key when with_key (nullopt when the server
// has no such certificate, or holds no key for it).
Result<std::optional<smime::Credential>> credential_of(const SmimeServices& s, std::string_view address,
                                                       store::SmimeUsage usage, bool with_key) {
    auto found = s.store.smime_certificate(address, usage);
    if (!found) return found.error();
    if (!*found || (with_key && !(*found)->sealed_key)) return std::optional<smime::Credential>();
    std::string key_pem;
    if (with_key) {
        auto key = s.vault.unseal(*(*found)->sealed_key, store::sealing_label((*found)->address, usage));
        if (!key) return key.error();
        key_pem = std::move(*key);
    }
    auto credential = smime::load_credential((*found)->certificate_pem, key_pem);
    if (!credential) return credential.error();
    return std::optional<smime::Credential>(std::move(*credential));
}

struct Policy {
    SmimeAction unsigned_mail, invalid;
    bool cbc;
};

Policy policy_of(const SmimeServices& s, std::string_view address, const store::SmimeSettings& settings) {
    const SmimePolicy& domain = s.config.smime.policy_for(domain_of(address));
    Policy p{domain.unsigned_mail, domain.invalid, domain.cbc};
    if (settings.unsigned_action) p.unsigned_mail = smime_action_from(*settings.unsigned_action).value_or(p.unsigned_mail);
    if (settings.invalid_action) p.invalid = smime_action_from(*settings.invalid_action).value_or(p.invalid);
    if (settings.cipher) p.cbc = *settings.cipher == "aes-256-cbc";
    return p;
}

// RFC 7281 section 3's results for a verdict that is not a pass.
std::string_view result_of(Reason reason) {
    switch (reason) {
        case Reason::None: return "pass";
        case Reason::NotSigned: return "none";
        case Reason::NoCrl: return "temperror";
        case Reason::Malformed:
        case Reason::TooLarge:
        case Reason::TooDeep: return "permerror";
        default: return "fail";
    }
}

// RFC 5248's X.7.x for refusing a message whose signature did not verify (or that was not signed).
Refusal refusal_for(Reason reason, std::string_view recipient) {
    switch (reason) {
        case Reason::NotSigned:
            return {550, "5.7.1", fmt::format("<{}> accepts only S/MIME-signed mail", recipient)};
        case Reason::NoCrl:
            return {451, "4.7.5", "Signer's revocation status cannot be checked now, try again later"};
        case Reason::WeakAlgorithm:
            return {550, "5.7.6", "S/MIME signature uses an algorithm we do not accept"};
        case Reason::BadSignature:
        case Reason::ContentAltered:
        case Reason::Malformed:
        case Reason::TooLarge:
        case Reason::TooDeep:
            return {550, "5.7.7", fmt::format("S/MIME signature failed: {}", smime::to_string(reason))};
        default:
            return {550, "5.7.5", fmt::format("S/MIME signature not accepted: {}", smime::to_string(reason))};
    }
}

// The From field's address, for the directory's PS_IdNat of its holder; "" when unclear.
std::string from_address(std::string_view message) {
    auto e = smime::entity::split(message, smime::Limits{}.max_header_fields);
    if (!e) return "";
    auto from = smime::entity::single_field(*e, "From");
    if (!from || !*from) return "";
    auto address = smime::entity::single_address(**from);
    return address ? *address : "";
}

smime::VerifyOptions verify_options(const SmimeServices& s, std::string_view message) {
    smime::VerifyOptions options;
    std::string from = from_address(message);
    if (from.empty()) return options;
    if (auto account = s.store.find_account(from); account && account->ps_idnat) options.expected_ps_idnat = account->ps_idnat;
    return options;
}

SmimeResult result_only(std::string result, std::string comment) {
    SmimeResult r;
    r.result = std::move(result);
    r.comment = std::move(comment);
    return r;
}

struct Received {
    Filing filing;
    std::optional<Refusal> refusal;
};

Received file_with(const SmimeServices& s, const SmimeResult& r, std::string message, std::string verdict) {
    return {Filing{authentication_results(s.config.hostname, r), std::move(message), false, std::move(verdict)},
            std::nullopt};
}

// The recipient's policy applied to a message that is unsigned (reason NotSigned) or not valid.
Received judged(const SmimeServices& s, const Policy& policy, std::string_view recipient, SmimeResult result,
                Reason reason, std::string message) {
    std::string verdict = fmt::format("{}({})", result.result, smime::to_string(reason));
    SmimeAction action = reason == Reason::NotSigned ? policy.unsigned_mail : policy.invalid;
    if (action == SmimeAction::Reject) return {Filing{"", "", false, verdict}, refusal_for(reason, recipient)};
    Received out = file_with(s, result, std::move(message), verdict);
    out.filing.quarantine = action == SmimeAction::Quarantine;
    return out;
}

Received verified(const SmimeServices& s, const Policy& policy, std::string_view recipient, std::string message,
                  std::string_view opened) {
    smime::Verdict v = smime::verify(message, *s.trust, verify_options(s, message));
    SmimeResult r{std::string(result_of(v.reason)), "", v.signer.address, v.signer.serial, v.signer.issuer};
    r.comment = v.valid() ? fmt::format("signed by {}{}", v.signer.common_name, opened)
                          : fmt::format("{}: {}{}", smime::to_string(v.reason), v.detail, opened);
    if (v.valid()) return file_with(s, r, std::move(message), "pass");
    return judged(s, policy, recipient, std::move(r), v.reason, std::move(message));
}

// One recipient's copy (of the given outer protection): opened with the recipient's key when the
// server holds it, then judged.
Result<Received> receive(const SmimeServices& s, std::string message, Protection protection, std::string_view recipient,
                         const store::SmimeSettings& settings) {
    Policy policy = policy_of(s, recipient, settings);
    std::string opened;
    if (protection == Protection::Encrypted) {
        if (settings.custody == store::KeyCustody::Client)
            return file_with(s, result_only("neutral", "encrypted end to end: only the recipient's card opens it"), std::move(message),
                             "encrypted end to end");
        auto key = credential_of(s, recipient, store::SmimeUsage::Encryption, true);
        if (!key) return key.error();
        if (!*key)
            return file_with(s, result_only("neutral", "encrypted; the server holds no key for this mailbox"), std::move(message),
                             "encrypted, no key held");
        auto clear = smime::decrypt(message, **key);
        if (!clear) {
            Reason reason = clear.error().kind == ErrorKind::NotFound ? Reason::NotForUs : Reason::Malformed;
            SmimeResult r = result_only("fail", fmt::format("cannot decrypt: {}", clear.error().message));
            if (reason == Reason::Malformed) r.result = "permerror";
            return judged(s, policy, recipient, std::move(r), reason, std::move(message));
        }
        message = std::move(clear->message);
        opened = fmt::format("; decrypted by {}", s.config.hostname);
        protection = smime::protection_of(message);
    }
    switch (protection) {
        case Protection::Clear:
            return judged(s, policy, recipient, result_only("none", "not signed" + opened), Reason::NotSigned, std::move(message));
        case Protection::Unreadable:
            return judged(s, policy, recipient, result_only("permerror", "S/MIME structure not readable" + opened), Reason::Malformed,
                          std::move(message));
        case Protection::Encrypted:
            return file_with(s, result_only("neutral", "encrypted again inside" + opened), std::move(message), "encrypted twice");
        case Protection::Signed: break;
    }
    return verified(s, policy, recipient, std::move(message), opened);
}

// Every recipient's settings, read once for the whole message.
Result<std::vector<store::SmimeSettings>> settings_of(const SmimeServices& s, const std::vector<std::string>& recipients) {
    std::vector<store::SmimeSettings> out;
    for (const auto& r : recipients) {
        auto settings = s.store.smime_settings(r);
        if (!settings) return settings.error();
        out.push_back(std::move(*settings));
    }
    return out;
}

// Submission: the sender's signature when the server holds its key and the client did no S/MIME
// (protection says what the message is, and becomes Signed when it is signed here).
Result<std::string> signed_by_server(const SmimeServices& s, const std::string& sender, std::string message,
                                     Protection& protection, SmimeOutcome& out) {
    auto settings = s.store.smime_settings(sender);
    if (!settings) return settings.error();
    if (settings->custody != store::KeyCustody::Server || protection != Protection::Clear) return message;
    auto signer = credential_of(s, sender, store::SmimeUsage::Signing, true);
    if (!signer) return signer.error();
    if (!*signer) return message;
    auto signed_message = smime::sign(message, **signer);
    if (!signed_message) return signed_message.error();
    out.signed_by = sender;
    protection = Protection::Signed;
    return std::move(*signed_message);
}

// The message encrypted to `certificates` and to the sender's own encryption certificate (for its
// Sent copy), when the sender has one. `cbc`: an older client among the recipients, so what every
// S/MIME client opens (RFC 8551 2.3, 2.7).
Result<std::string> sealed_with_sender(const SmimeServices& s, const std::string& sender, const std::string& message,
                                       std::vector<smime::Credential> certificates, bool cbc) {
    auto own = credential_of(s, sender, store::SmimeUsage::Encryption, false);
    if (!own) return own.error();
    if (*own) certificates.push_back(std::move(**own));
    smime::EncryptionPolicy policy;
    if (cbc) policy = {smime::ContentCipher::Aes256Cbc, smime::KeyTransport::RsaPkcs1v15};
    return smime::encrypt(message, certificates, policy);
}

// Submission: the message encrypted to the recipients who keep their own keys (and have a
// certificate) and to the sender, for its Sent copy; nullopt when no such recipient.
Result<std::optional<std::string>> encrypted_for_holders(const SmimeServices& s, const Envelope& e,
                                                         const std::vector<store::SmimeSettings>& settings,
                                                         const std::string& message, Protection protection,
                                                         std::vector<bool>& holders) {
    if (protection == Protection::Encrypted) return std::optional<std::string>();
    std::vector<smime::Credential> certificates;
    bool cbc = false;
    for (std::size_t i = 0; i < e.recipients.size(); ++i) {
        if (settings[i].custody != store::KeyCustody::Client) continue;
        auto certificate = credential_of(s, e.recipients[i], store::SmimeUsage::Encryption, false);
        if (!certificate) return certificate.error();
        if (!*certificate) continue;
        holders[i] = true;
        certificates.push_back(std::move(**certificate));
        cbc = cbc || policy_of(s, e.recipients[i], settings[i]).cbc;
    }
    if (certificates.empty()) return std::optional<std::string>();
    auto encrypted = sealed_with_sender(s, *e.submitter, message, std::move(certificates), cbc);
    if (!encrypted) return encrypted.error();
    return std::optional<std::string>(std::move(*encrypted));
}

// Submission: the outbound copy encrypted to the remote recipients whose encryption certificate we
// know, and to the sender's own (as for local recipients). A certificate we cannot use is logged and
// its recipient gets the signed copy: a remote recipient never blocks the message.
Status encrypt_for_remote(const SmimeServices& s, const Envelope& e, const std::string& message, Protection protection,
                          SmimeOutcome& out) {
    if (protection == Protection::Encrypted || e.remote.empty()) return Ok{};
    std::vector<smime::Credential> certificates;
    bool cbc = false;
    for (const auto& recipient : e.remote) {
        auto certificate = credential_of(s, recipient, store::SmimeUsage::Encryption, false);
        if (!certificate) {
            log::warn("smime", "encryption certificate of <{}> not usable, sending signed only: {}", recipient,
                      certificate.error().message);
            continue;
        }
        if (!*certificate) continue;
        out.encrypted_for.push_back(recipient);
        certificates.push_back(std::move(**certificate));
        cbc = cbc || s.config.smime.policy_for(domain_of(recipient)).cbc;
    }
    if (certificates.empty()) return Ok{};
    auto encrypted = sealed_with_sender(s, *e.submitter, message, std::move(certificates), cbc);
    if (!encrypted) return encrypted.error();
    out.outbound_encrypted = std::move(*encrypted);
    return Ok{};
}

}  // namespace

Result<SmimeOutcome> process(const SmimeServices& s, Envelope e) {
    SmimeOutcome out;
    std::string message = without_our_results(std::move(e.message), s.config.hostname);
    Protection protection = smime::protection_of(message);
    auto settings = settings_of(s, e.recipients);
    if (!settings) return settings.error();
    std::vector<bool> holders(e.recipients.size(), false);
    std::optional<std::string> encrypted;
    if (e.submitter) {
        auto signed_message = signed_by_server(s, *e.submitter, std::move(message), protection, out);
        if (!signed_message) return signed_message.error();
        message = std::move(*signed_message);
        auto sealed = encrypted_for_holders(s, e, *settings, message, protection, holders);
        if (!sealed) return sealed.error();
        encrypted = std::move(*sealed);
    }
    if (e.outbound) out.outbound = message;
    if (e.submitter && e.outbound)
        if (auto sealed = encrypt_for_remote(s, e, message, protection, out); !sealed) return sealed.error();
    for (std::size_t i = 0; i < e.recipients.size(); ++i) {
        bool last = i + 1 == e.recipients.size();  // the last plain copy takes the message itself
        auto received = holders[i] ? receive(s, *encrypted, Protection::Encrypted, e.recipients[i], (*settings)[i])
                                   : receive(s, last ? std::move(message) : message, protection, e.recipients[i],
                                             (*settings)[i]);
        if (!received) return received.error();
        if (received->refusal && !out.refusal) out.refusal = std::move(received->refusal);
        out.filings.push_back(std::move(received->filing));
    }
    return out;
}

}  // namespace mss::pipeline
