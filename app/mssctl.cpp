// mssctl: the operator's tool for a data directory: init, accounts and organisational members,
// stored mail, the test IGC, S/MIME and the national directory. Wiring only: checks arguments, calls the modules, prints results.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/mssctl_dmp.h"
#include "app/mssctl_relay.h"
#include "app/mssctl_ldap.h"
#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "crypto/key_vault.h"
#include "crypto/password.h"
#include "crypto/pki.h"
#include "crypto/revocation.h"
#include "crypto/smime.h"
#include "crypto/trust.h"
#include "app/mssctl_fhir.h"
#include "directory/directory.h"
#include "directory/export.h"
#include "directory/import.h"
#include "directory/ps_idnat.h"
#include "mime/message.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace mss;

namespace {

struct Failure {
    std::string message;
};

template <class T>
T need(Result<T> r, std::string_view what = {}) {
    if (!r) throw Failure{what.empty() ? r.error().message : fmt::format("{}: {}", what, r.error().message)};
    return std::move(r).value();
}

Config load(const fs::path& data) { return need(load_config(data), "configuration"); }

std::unique_ptr<store::Store> open_store(const Config& c) {
    return need(store::open_sqlite(c.database(), {.create = false}), c.database().string());
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure{fmt::format("cannot read {}", path.string())};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_private(const fs::path& path, const std::string& text, mode_t mode) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Failure{fmt::format("cannot write {}", path.string())};
    ::chmod(path.c_str(), mode);
}

std::string read_password_stdin() {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw Failure{"no password on standard input"};
    return line;
}

void check_address(const Config& c, const std::string& address) {
    auto at = address.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == address.size())
        throw Failure{fmt::format("'{}' is not an e-mail address", address)};
    if (!c.serves_domain(address.substr(at + 1)))
        throw Failure{fmt::format("'{}' is not in a domain this server holds (domains in {}: {})", address,
                                  config_path(c.data_dir).string(), fmt::join(c.domains, ", "))};
}

void cmd_init(const fs::path& data, const std::string& domain, const std::string& operator_name) {
    fs::create_directories(data);
    ::chmod(data.c_str(), 0700);
    if (!fs::exists(config_path(data))) write_private(config_path(data), default_config_text(domain), 0600);
    Config c = load(data);
    auto s = need(store::open_sqlite(c.database(), {.create = true}), c.database().string());
    // RFC 5321 4.5.1: every domain receives mail for postmaster; the IT team joins it as members.
    for (auto& d : c.domains) {
        store::NewAccount postmaster;
        postmaster.address = "postmaster@" + d;
        postmaster.kind = store::MailboxKind::Organisational;
        if (!s->find_account(postmaster.address)) need(s->create_account(postmaster));
    }
    need(crypto::ensure_test_igc({c.pki_dir(), operator_name, c.domains.front()}), "test IGC");
    need(crypto::ensure_crls(c.pki_dir()), "test IGC CRLs");
    need(crypto::KeyVault::open(c.smime.vault_key, true), "key vault");
    fmt::print("data directory {} ready for {}\n", data.string(), fmt::join(c.domains, ", "));
    fmt::print("test IGC trust chain: {}\n", (c.pki_dir() / "trust.pem").string());
}

struct AccountAdd {
    std::string address, kind, ps_idnat, smime_keys = "server";
    bool password_stdin = false;
    fs::path cert;
};

void cmd_account_add(const fs::path& data, const AccountAdd& a) {
    Config c = load(data);
    check_address(c, a.address);
    auto kind = store::mailbox_kind_from(a.kind);
    if (!kind) throw Failure{"--kind must be personal, organisational or applicative"};
    store::NewAccount n{a.address, *kind, {}, {}, {}};
    if (!a.ps_idnat.empty()) {
        if (*kind != store::MailboxKind::Personal) throw Failure{"--ps-idnat is for personal mailboxes"};
        n.ps_idnat = need(directory::parse_ps_idnat(a.ps_idnat)).value;
    }
    if (a.password_stdin) {
        if (*kind != store::MailboxKind::Personal)
            throw Failure{"only personal mailboxes have a password: members of an organisational mailbox sign in "
                          "as themselves, applicative mailboxes with their certificate"};
        n.password_hash = need(crypto::hash_password(read_password_stdin(), c.password_scrypt_log_n));
    }
    if (!a.cert.empty()) n.cert_sha256 = need(crypto::certificate_sha256(read_file(a.cert)), a.cert.string());
    if (*kind == store::MailboxKind::Applicative && !n.cert_sha256)
        throw Failure{"an applicative mailbox authenticates by certificate: give --cert FILE"};
    auto s = open_store(c);
    auto account = need(s->create_account(n));
    if (a.smime_keys == "client")
        need(s->set_smime_settings(account.address, store::SmimeSettings{store::KeyCustody::Client, {}, {}, {}}));
    fmt::print("{} {} created (S/MIME keys held by the {})\n", store::to_string(account.kind), account.address,
               a.smime_keys);
}

void cmd_account_list(const fs::path& data) {
    Config c = load(data);
    for (auto& a : need(open_store(c)->list_accounts()))
        fmt::print("{} {} {}{}\n", a.address, store::to_string(a.kind), a.ps_idnat.value_or("-"),
                   a.disabled ? " disabled" : "");
}

void cmd_mail_list(const fs::path& data, const std::string& address, const std::string& folder) {
    Config c = load(data);
    auto s = open_store(c);
    for (auto& m : need(s->list_messages(address, folder))) {
        auto raw = need(s->fetch_message(address, folder, m.uid));
        std::string subject;
        for (auto& f : mime::header_fields(raw))
            if (strcasecmp(f.name.c_str(), "Subject") == 0) subject = mime::decode_header_text(f.value);
        fmt::print("{} {} {}\n", m.uid, m.size, subject);
    }
}

std::string read_stdin() {
    std::ostringstream s;
    s << std::cin.rdbuf();
    return s.str();
}

void write_holder_copy(const fs::path& out, const std::string& stem, const crypto::IssuedCertificate& issued) {
    write_private(out / (stem + "cert.pem"), issued.certificate_pem, 0644);
    write_private(out / (stem + "key.pem"), issued.private_key_pem, 0600);
}

fs::path pki_dir_of(const fs::path& data) { return load(data).pki_dir(); }

// Registers an S/MIME certificate for an address; its key is sealed in the vault and kept only when
// the server holds that mailbox's keys (custody "server").
void register_smime(const Config& c, store::Store& s, const std::string& address, store::SmimeUsage usage,
                    const std::string& certificate_pem, const std::string& key_pem) {
    auto settings = need(s.smime_settings(address));
    store::SmimeCertificate certificate{address, usage, certificate_pem, std::nullopt};
    if (!key_pem.empty() && settings.custody == store::KeyCustody::Server) {
        auto vault = need(crypto::KeyVault::open(c.smime.vault_key, true), "key vault");
        certificate.sealed_key = need(vault.seal(key_pem, store::sealing_label(address, usage)));
    }
    need(s.put_smime_certificate(certificate));
    fmt::print("{} certificate registered for {}{}\n", store::to_string(usage), address,
               certificate.sealed_key ? " (key held by the server, sealed)" : "");
    if (usage == store::SmimeUsage::Encryption) app::feed_ldap_certificate(c, address);  // published as userSMIMECertificate
}

// --not-before: a date YYYY-MM-DD, midnight UTC; none when not given.
std::optional<std::time_t> date_option(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::tm tm{};
    std::istringstream in(text);
    in >> std::get_time(&tm, "%Y-%m-%d");
    if (in.fail() || in.peek() != std::char_traits<char>::eof())
        throw Failure{fmt::format("--not-before '{}' is not a date YYYY-MM-DD", text)};
    return ::timegm(&tm);
}

// `mssctl pki ...`: the test IGC, its register, CRLs and trust anchors.
struct PkiCli {
    CLI::App *chain, *issue_org, *issue_personal, *revoke, *crl, *list, *trust_add, *verify;
    crypto::OrganisationRequest org;
    std::string org_kind = "auth";
    crypto::PersonalRequest personal;
    fs::path out, file;
    std::string target, reason = "unspecified", purpose = "smime-sign", not_before;

    void attach(CLI::App& app) {
        auto* pki = app.add_subcommand("pki", "the test IGC");
        pki->require_subcommand(1);
        chain = pki->add_subcommand("chain", "print the trust chain (PEM)");
        attach_issue(*pki);
        revoke = pki->add_subcommand("revoke", "revoke an issued certificate and write the CRLs again");
        revoke->add_option("certificate", target, "serial number (hex) or PEM file")->required();
        revoke->add_option("--reason", reason, "RFC 5280 reason, e.g. keyCompromise, superseded");
        crl = pki->add_subcommand("crl", "write fresh CRLs (root.crl, personnes.crl, organisations.crl; 7 days)");
        list = pki->add_subcommand("list", "the issued certificates: serial CA kind status not-after address subject");
        auto* trust = pki->add_subcommand("trust", "trust anchors and other CAs' CRLs (trust.pem, imported-*.crl)");
        trust->require_subcommand(1);
        trust_add = trust->add_subcommand(
            "add", "import the CA certificates and CRLs of a PEM, PKCS#7 (P7B) or DER file; a CRL is kept when a "
                   "trusted CA signed it, as pki/imported-<issuer>.crl, replacing an older one of that CA");
        trust_add->add_option("file", file)->required()->check(CLI::ExistingFile);
        verify = pki->add_subcommand("verify", "check a PEM certificate (leaf first) against trust.pem and the CRLs");
        verify->add_option("file", file)->required()->check(CLI::ExistingFile);
        verify->add_option("--purpose", purpose, "tls-client, tls-server, smime-sign or smime-encrypt")
            ->check(CLI::IsMember({"tls-client", "tls-server", "smime-sign", "smime-encrypt"}));
    }

    void attach_issue(CLI::App& pki) {
        auto* issue = pki.add_subcommand("issue", "issue a certificate");
        issue->require_subcommand(1);
        issue_org = issue->add_subcommand("organisation", "an organisation's certificate (ORGANISATIONS CA)");
        issue_org->add_option("--name", org.organisation, "legal entity (O=)")->required();
        issue_org->add_option("--finess", org.finess, "FINESS number (OU=)")->required();
        issue_org->add_option("--cn", org.common_name, "common name (CN=); default: the address; a host name for server");
        issue_org->add_option("--address", org.address, "mailbox it serves (subjectAltName)");
        issue_org->add_option("--kind", org_kind, "auth (AUTH_CLI, default), sign, encryption or server")
            ->check(CLI::IsMember({"auth", "sign", "encryption", "server"}));
        issue_org->add_option("--days", org.days, "validity in days");
        issue_org->add_option("--not-before", not_before, "start of validity, YYYY-MM-DD (default: an hour ago)");
        issue_org->add_option("--out", out, "folder for cert.pem and key.pem")->required();
        issue_personal = issue->add_subcommand("personal", "a health professional's CPS-style certificates (PERSONNES CA)");
        issue_personal->add_option("address", personal.address, "the professional's address (subjectAltName)")->required();
        issue_personal->add_option("--ps-idnat", personal.ps_idnat, "PS_IdNat, the subject CN")->required();
        issue_personal->add_option("--days", personal.days, "validity in days");
        issue_personal->add_option("--not-before", not_before, "start of validity, YYYY-MM-DD (default: an hour ago)");
        issue_personal->add_option("--out", out, "folder for auth-, sign- and enc- cert.pem/key.pem")->required();
    }

    // The exit status when one of these subcommands was given.
    std::optional<int> run(const fs::path& data) {
        if (*chain) std::cout << read_file(pki_dir_of(data) / "trust.pem");
        else if (*issue_org) run_issue_org(data);
        else if (*issue_personal) run_issue_personal(data);
        else if (*revoke) run_revoke(data);
        else if (*crl) {
            need(crypto::write_crls(pki_dir_of(data)));
            fmt::print("CRLs written to {}\n", pki_dir_of(data).string());
        } else if (*list) run_list(data);
        else if (*trust_add) run_trust_add(data);
        else if (*verify) return run_verify(data);
        else return std::nullopt;
        return 0;
    }

    void run_issue_org(const fs::path& data) {
        org.pki_dir = pki_dir_of(data);
        org.kind = *crypto::certificate_kind_from(org_kind);
        if (org.common_name.empty()) org.common_name = org.address;
        org.not_before = date_option(not_before);
        auto issued = need(crypto::issue_organisation(org));
        fs::create_directories(out);
        write_holder_copy(out, "", issued);
        fmt::print("{} certificate {} for {} written to {} (sha256 {})\n", org_kind, issued.serial_hex,
                   org.address.empty() ? org.common_name : org.address, out.string(), issued.sha256_hex);
        bool smime = org.kind == crypto::CertificateKind::Signature || org.kind == crypto::CertificateKind::Encryption;
        if (smime && !org.address.empty()) {
            Config c = load(data);
            auto usage = org.kind == crypto::CertificateKind::Signature ? store::SmimeUsage::Signing
                                                                         : store::SmimeUsage::Encryption;
            register_smime(c, *open_store(c), org.address, usage, issued.certificate_pem, issued.private_key_pem);
        }
    }

    void run_issue_personal(const fs::path& data) {
        personal.pki_dir = pki_dir_of(data);
        personal.ps_idnat = need(directory::parse_ps_idnat(personal.ps_idnat), "--ps-idnat").value;
        personal.not_before = date_option(not_before);
        auto issued = need(crypto::issue_personal(personal));
        fs::create_directories(out);
        write_holder_copy(out, "auth-", issued.authentication);
        write_holder_copy(out, "sign-", issued.signature);
        write_holder_copy(out, "enc-", issued.encryption);
        fmt::print("CPS certificates of {} ({}) written to {}: auth {}, sign {}, encryption {}\n", personal.ps_idnat,
                   personal.address, out.string(), issued.authentication.serial_hex, issued.signature.serial_hex,
                   issued.encryption.serial_hex);
        Config c = load(data);
        auto s = open_store(c);
        register_smime(c, *s, personal.address, store::SmimeUsage::Signing, issued.signature.certificate_pem,
                       issued.signature.private_key_pem);
        register_smime(c, *s, personal.address, store::SmimeUsage::Encryption, issued.encryption.certificate_pem,
                       issued.encryption.private_key_pem);
    }

    void run_revoke(const fs::path& data) {
        auto why = crypto::revocation_reason_from(reason);
        if (!why) throw Failure{fmt::format("--reason '{}' is not an RFC 5280 reason (keyCompromise, superseded...)", reason)};
        std::error_code ec;
        std::string given = fs::is_regular_file(target, ec) ? read_file(target) : target;
        auto r = need(crypto::revoke(pki_dir_of(data), given, *why));
        fmt::print("revoked {} {} ({}); CRLs written\n", r.serial_hex, r.subject, crypto::to_string(*why));
    }

    void run_list(const fs::path& data) {
        for (const auto& r : need(crypto::list_issued(pki_dir_of(data))))
            fmt::print("{} {} {} {} {:%Y-%m-%d} {} {}\n", r.serial_hex, r.issuer, crypto::to_string(r.kind),
                       r.revoked ? fmt::format("revoked({})", crypto::to_string(r.revoked->reason)) : "valid",
                       fmt::gmtime(r.not_after), r.address.empty() ? "-" : r.address, r.subject);
    }

    void run_trust_add(const fs::path& data) {
        auto r = need(crypto::add_trusted(pki_dir_of(data), read_file(file)), file.string());
        fmt::print("{}: {} CA certificate(s) added, {} already trusted, {} non-CA certificate(s) ignored; "
                   "{} CRL(s) added, {} replaced, {} already present or older, "
                   "{} refused (not signed by a trusted CA)\n",
                   file.string(), r.added, r.already_present, r.not_ca, r.crls_added, r.crls_replaced,
                   r.crls_already_present, r.crls_refused);
        if (r.crls_refused > 0)
            throw Failure{fmt::format("{}: {} CRL(s) refused: no CA of pki/trust.pem signed them (add their CA first)",
                                      file.string(), r.crls_refused)};
    }

    int run_verify(const fs::path& data) {
        const std::pair<std::string_view, crypto::CertificatePurpose> purposes[] = {
            {"tls-client", crypto::CertificatePurpose::TlsClient},
            {"tls-server", crypto::CertificatePurpose::TlsServer},
            {"smime-sign", crypto::CertificatePurpose::SmimeSigning},
            {"smime-encrypt", crypto::CertificatePurpose::SmimeEncryption}};
        auto p = std::find_if(std::begin(purposes), std::end(purposes), [&](auto& e) { return purpose == e.first; });
        auto v = need(crypto::verify_chain(pki_dir_of(data), read_file(file), p->second));
        fmt::print("{}{}{}\n", crypto::to_string(v.status), v.reason.empty() ? "" : ": ", v.reason);
        return v.valid() ? 0 : 1;
    }
};

// `mssctl smime ...`: S/MIME on a message from standard input to standard output.
struct SmimeCli {
    CLI::App *sign, *encrypt, *decrypt, *verify, *import, *settings;
    fs::path cert, key, content;
    std::string address, usage = "sign", custody, unsigned_action, invalid_action, cipher_setting;
    std::vector<fs::path> recipients;
    bool opaque = false;
    std::string cipher = "aes-256-gcm", transport = "rsa-oaep", ps_idnat;

    void attach(CLI::App& app) {
        auto* smime = app.add_subcommand("smime", "S/MIME (RFC 8551) of a message read on stdin, written on stdout");
        smime->require_subcommand(1);
        sign = smime->add_subcommand("sign", "sign (multipart/signed, SHA-256)");
        sign->add_option("--cert", cert, "signer's certificate, then its chain (PEM)")->required()->check(CLI::ExistingFile);
        sign->add_option("--key", key, "signer's private key (PEM)")->required()->check(CLI::ExistingFile);
        sign->add_flag("--opaque", opaque, "application/pkcs7-mime signed-data instead of multipart/signed");
        encrypt = smime->add_subcommand("encrypt", "encrypt to one or more recipients");
        encrypt->add_option("--to", recipients, "a recipient's certificate (PEM); repeat for more")
            ->required()->check(CLI::ExistingFile);
        encrypt->add_option("--cipher", cipher, "aes-256-gcm (authEnveloped-data, default) or aes-256-cbc")
            ->check(CLI::IsMember({"aes-256-gcm", "aes-256-cbc"}));
        encrypt->add_option("--key-transport", transport, "rsa-oaep (default) or rsa-pkcs1 (older clients)")
            ->check(CLI::IsMember({"rsa-oaep", "rsa-pkcs1"}));
        decrypt = smime->add_subcommand("decrypt", "decrypt with a recipient's certificate and key");
        decrypt->add_option("--cert", cert, "recipient's certificate (PEM)")->required()->check(CLI::ExistingFile);
        decrypt->add_option("--key", key, "recipient's private key (PEM)")->required()->check(CLI::ExistingFile);
        verify = smime->add_subcommand("verify", "verify against trust.pem and the CRLs; prints the verdict, exit 0 if valid");
        verify->add_option("--ps-idnat", ps_idnat, "the signer's subject CN must be this PS_IdNat");
        verify->add_option("--content", content, "write the verified message there");
        attach_registry(*smime);
    }

    void attach_registry(CLI::App& smime) {
        import = smime.add_subcommand("import", "register an address's S/MIME certificate (and the key, if the server holds it)");
        import->add_option("address", address)->required();
        import->add_option("--usage", usage, "sign or encryption")->check(CLI::IsMember({"sign", "encryption"}));
        import->add_option("--cert", cert, "certificate, then its chain (PEM)")->required()->check(CLI::ExistingFile);
        import->add_option("--key", key, "private key (PEM); kept sealed, only for a mailbox with --keys server")
            ->check(CLI::ExistingFile);
        settings = smime.add_subcommand("settings", "who holds a mailbox's keys and its policy for incoming mail; none given: show");
        settings->add_option("address", address)->required();
        settings->add_option("--keys", custody, "server (the server signs and decrypts) or client (end to end)")
            ->check(CLI::IsMember({"server", "client"}));
        for (auto [flag, field] : {std::pair{"--unsigned", &unsigned_action}, {"--invalid", &invalid_action}})
            settings->add_option(flag, *field, "accept, quarantine, reject, or domain (the domain's policy)")
                ->check(CLI::IsMember({"accept", "quarantine", "reject", "domain"}));
        settings->add_option("--cipher", cipher_setting, "aes-256-gcm, aes-256-cbc, or domain")
            ->check(CLI::IsMember({"aes-256-gcm", "aes-256-cbc", "domain"}));
    }

    void run_import(const fs::path& data) {
        Config c = load(data);
        auto u = usage == "sign" ? store::SmimeUsage::Signing : store::SmimeUsage::Encryption;
        std::string pem = read_file(cert);
        std::string key_pem = key.empty() ? "" : read_file(key);
        need(crypto::smime::load_credential(pem, key_pem), cert.string());
        register_smime(c, *open_store(c), ascii_lower(address), u, pem, key_pem);
    }

    static std::optional<std::string> setting(const std::string& given, const std::optional<std::string>& now) {
        if (given.empty()) return now;
        if (given == "domain") return std::nullopt;
        return given;
    }

    // Moving a mailbox to client custody drops the keys the server held: it can no longer open its mail.
    void run_settings(const fs::path& data) {
        auto s = open_store(load(data));
        auto now = need(s->smime_settings(address));
        auto next = now;
        if (!custody.empty()) next.custody = *store::key_custody_from(custody);
        next.unsigned_action = setting(unsigned_action, now.unsigned_action);
        next.invalid_action = setting(invalid_action, now.invalid_action);
        next.cipher = setting(cipher_setting, now.cipher);
        if (next != now) need(s->set_smime_settings(address, next));
        if (next.custody == store::KeyCustody::Client && now.custody == store::KeyCustody::Server)
            for (auto u : {store::SmimeUsage::Signing, store::SmimeUsage::Encryption})
                if (auto held = need(s->smime_certificate(address, u)); held && held->sealed_key) {
                    held->sealed_key.reset();
                    need(s->put_smime_certificate(*held));
                }
        fmt::print("{} keys={} unsigned={} invalid={} cipher={}\n", ascii_lower(address), store::to_string(next.custody),
                   next.unsigned_action.value_or("domain"), next.invalid_action.value_or("domain"),
                   next.cipher.value_or("domain"));
    }

    std::optional<int> run(const fs::path& data) {
        if (*sign) run_sign();
        else if (*encrypt) run_encrypt();
        else if (*decrypt) run_decrypt();
        else if (*verify) return run_verify(data);
        else if (*import) run_import(data);
        else if (*settings) run_settings(data);
        else return std::nullopt;
        return 0;
    }

    static crypto::smime::Credential credential(const fs::path& cert_file, const fs::path& key_file) {
        return need(crypto::smime::load_credential(read_file(cert_file), key_file.empty() ? "" : read_file(key_file)),
                    cert_file.string());
    }

    void run_sign() {
        auto form = opaque ? crypto::smime::SignatureForm::Opaque : crypto::smime::SignatureForm::Detached;
        std::cout << need(crypto::smime::sign(read_stdin(), credential(cert, key), form));
    }

    void run_encrypt() {
        std::vector<crypto::smime::Credential> to;
        for (const auto& r : recipients) to.push_back(credential(r, {}));
        crypto::smime::EncryptionPolicy policy;
        if (cipher == "aes-256-cbc") policy.cipher = crypto::smime::ContentCipher::Aes256Cbc;
        if (transport == "rsa-pkcs1") policy.transport = crypto::smime::KeyTransport::RsaPkcs1v15;
        std::cout << need(crypto::smime::encrypt(read_stdin(), to, policy));
    }

    void run_decrypt() {
        auto d = need(crypto::smime::decrypt(read_stdin(), credential(cert, key)));
        std::cerr << fmt::format("decrypted{}: RecipientInfo {} ({})\n", d.authenticated ? " (authenticated)" : "",
                                 d.recipient_index, d.recipient);
        std::cout << d.message;
    }

    int run_verify(const fs::path& data) {
        auto trust = need(crypto::TrustStore::load(pki_dir_of(data)), "trust");
        crypto::smime::VerifyOptions options;
        if (!ps_idnat.empty()) options.expected_ps_idnat = ps_idnat;
        auto v = crypto::smime::verify(read_stdin(), trust, options);
        if (v.valid())
            fmt::print("valid: signer {} serial {} address {}\n", v.signer.subject, v.signer.serial, v.signer.address);
        else
            fmt::print("invalid: {} ({}){}\n", crypto::smime::to_string(v.reason), v.detail,
                       v.signer.subject.empty() ? "" : " signer " + v.signer.subject);
        if (v.valid() && !content.empty()) write_private(content, v.message, 0600);
        return v.valid() ? 0 : 1;
    }
};

// `mssctl directory ...`: imports of the national files, status, search, export of our mailboxes.
struct DirectoryCli {
    CLI::App *import, *whitelist_import, *status, *search, *exporter;
    fs::path file;
    directory::SearchQuery query;
    static constexpr std::size_t kBadRowsShown = 100;

    void attach(CLI::App& app) {
        auto* dir = app.add_subcommand("directory", "the national directory (Annuaire Sante extractions, whitelist)");
        dir->require_subcommand(1);
        import = dir->add_subcommand("import", "import Extraction_Correspondance_MSSante or "
                                               "PS_LibreAcces_Personne_activite (.txt or .zip): all or nothing");
        import->add_option("file", file)->required()->check(CLI::ExistingFile);
        auto* whitelist = dir->add_subcommand("whitelist", "the operators' whitelist (liste blanche)");
        whitelist->require_subcommand(1);
        whitelist_import = whitelist->add_subcommand("import", "replace the whitelist with the national XML file");
        whitelist_import->add_option("file", file)->required()->check(CLI::ExistingFile);
        status = dir->add_subcommand("status", "last import of each file, with its counts; entries held");
        search = dir->add_subcommand("search", "one line per mailbox: address kind PS_IdNat name profession structure");
        search->add_option("--ps-idnat", query.ps_idnat, "exact PS_IdNat");
        search->add_option("--name", query.name, "start of the family or given name");
        search->add_option("--address", query.address, "part of the address");
        search->add_option("--postcode", query.postcode, "exact postcode");
        search->add_option("--profession", query.profession, "profession code, or part of its label");
        search->add_option("--limit", query.limit, "lines at most (default 50)");
        exporter = dir->add_subcommand("export", "our mailboxes in the Extraction_Correspondance format");
        exporter->add_option("file", file)->required();
    }

    std::optional<int> run(const fs::path& data) {
        if (*import) return run_import(data);
        if (*whitelist_import) return run_whitelist(data);
        if (*status) return run_status(data);
        if (*search) return run_search(data);
        if (*exporter) return run_export(data);
        return std::nullopt;
    }

    static std::unique_ptr<directory::Directory> open(const fs::path& data) {
        Config c = load(data);
        return need(directory::open_sqlite_directory(c.directory_database()), c.directory_database().string());
    }

    static std::string counts(const directory::ImportCounts& n) {
        return fmt::format("{} added, {} changed, {} withdrawn, {} unchanged", n.added, n.changed, n.withdrawn,
                           n.unchanged);
    }

    int run_import(const fs::path& data) {
        auto dir = open(data);
        std::size_t bad = 0;
        auto report = directory::import_extraction(*dir, file, [&](const directory::BadRow& b) {
            if (++bad <= kBadRowsShown) std::cerr << fmt::format("{}: line {}: {}\n", file.filename().string(), b.line, b.reason);
        });
        if (!report) {
            log::error("directory", "import of {} refused, the directory is unchanged: {}", file.string(),
                       report.error().message);
            throw Failure{fmt::format("{}: refused, the directory is unchanged: {}", file.string(), report.error().message)};
        }
        if (bad > kBadRowsShown) std::cerr << fmt::format("... and {} more bad rows\n", bad - kBadRowsShown);
        std::string line = fmt::format("{} ({}): {} rows, {}, {} bad rows set aside", file.filename().string(),
                                       directory::to_string(report->kind), report->rows, counts(report->counts),
                                       report->bad_rows);
        log::info("directory", "imported {}", line);
        fmt::print("imported {}\n", line);
        return app::feed_ldap(load(data)) ? 0 : 2;
    }

    int run_whitelist(const fs::path& data) {
        auto dir = open(data);
        auto n = directory::import_whitelist(*dir, file);
        if (!n) {
            log::error("directory", "whitelist {} refused, the whitelist is unchanged: {}", file.string(), n.error().message);
            throw Failure{fmt::format("{}: refused, the whitelist is unchanged: {}", file.string(), n.error().message)};
        }
        log::info("directory", "whitelist {} imported: {}", file.filename().string(), counts(*n));
        fmt::print("imported whitelist {}: {}\n", file.filename().string(), counts(*n));
        return 0;
    }

    int run_status(const fs::path& data) {
        auto st = need(open(data)->status());
        for (const auto& r : st.imports)
            fmt::print("{}: {} at {:%Y-%m-%d %H:%M:%S} UTC, {} rows ({} bad), {}\n", r.kind, r.source,
                       fmt::gmtime(static_cast<std::time_t>(r.imported_at)), r.rows, r.bad_rows, counts(r.counts));
        if (st.imports.empty()) fmt::print("never imported\n");
        fmt::print("mailboxes {} activities {} whitelist {} entries ({} domains)\n", st.mailboxes, st.activities,
                   st.whitelist_entries, st.whitelisted_domains);
        fmt::print("mailbox changes not yet sent to LDAP {}\n", st.pending_mailbox_changes);
        return 0;
    }

    int run_search(const fs::path& data) {
        for (const auto& m : need(open(data)->search(query))) {
            std::string name = m.given.empty() ? m.family : m.given + " " + m.family;
            fmt::print("{} {} {} {} {} {}\n", m.address, directory::to_string(m.type), m.ps_idnat.empty() ? "-" : m.ps_idnat,
                       name.empty() ? "-" : name, m.profession.empty() ? "-" : m.profession,
                       m.structure_name.empty() ? "-" : m.structure_name);
        }
        return 0;
    }

    int run_export(const fs::path& data) {
        Config c = load(data);
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        if (!out) throw Failure{fmt::format("cannot write {}", file.string())};
        auto rows = need(directory::export_correspondance(*open_store(c), out));
        out.close();
        if (!out) throw Failure{fmt::format("cannot write {}", file.string())};
        fmt::print("exported {} mailboxes to {}\n", rows, file.string());
        return 0;
    }
};

}  // namespace

// Sets the limits when set is true, then prints "STORAGE used/limit KiB, MESSAGES used/limit".
void cmd_account_quota(const fs::path& data, const std::string& address, bool set, const store::Quota& limits) {
    auto store = open_store(load(data));
    if (set) need(store->set_quota(address, limits));
    auto now = need(store->quota(address));
    auto used = need(store->usage(address));
    auto limit = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string("none"); };
    fmt::print("{} STORAGE {}/{} KiB MESSAGES {}/{}\n", address, (used.storage_octets + 1023) / 1024,
               limit(now.storage_kib), used.messages, limit(now.messages));
}

int main(int argc, char** argv) {
    CLI::App app{"mssctl: operate an mssd data directory"};
    app.require_subcommand(1);
    fs::path data;
    app.add_option("--data", data, "data directory")->required();

    auto* init = app.add_subcommand("init", "create configuration, database and test IGC (idempotent)");
    std::string domain, operator_name = "MSSD TEST OPERATOR";
    init->add_option("--domain", domain, "mail domain served")->required();
    init->add_option("--operator", operator_name, "operator name in certificate subjects");

    auto* account = app.add_subcommand("account", "mailboxes");
    account->require_subcommand(1);
    AccountAdd add;
    auto* acc_add = account->add_subcommand("add", "create a mailbox");
    acc_add->add_option("address", add.address)->required();
    acc_add->add_option("--kind", add.kind, "personal|organisational|applicative")->required();
    acc_add->add_option("--ps-idnat", add.ps_idnat, "8 + RPPS or 0 + ADELI (personal)");
    acc_add->add_flag("--password-stdin", add.password_stdin, "read the password from standard input");
    acc_add->add_option("--cert", add.cert, "PEM client certificate (applicative)");
    acc_add->add_option("--smime-keys", add.smime_keys, "server (default: the server signs and decrypts) or client (end to end)")
        ->check(CLI::IsMember({"server", "client"}));
    auto* acc_list = account->add_subcommand("list", "list mailboxes");
    std::string address, member, rights, folder = "INBOX";
    auto* acc_disable = account->add_subcommand("disable", "refuse mail and logins for a mailbox");
    acc_disable->add_option("address", address)->required();
    auto* acc_enable = account->add_subcommand("enable", "enable a disabled mailbox");
    acc_enable->add_option("address", address)->required();
    auto* acc_password = account->add_subcommand("password", "set a personal mailbox's password from stdin");
    acc_password->add_option("address", address)->required();
    auto* members = account->add_subcommand("member", "members of an organisational mailbox");
    members->require_subcommand(1);
    auto* mem_add = members->add_subcommand("add", "add a member or change its rights");
    mem_add->add_option("org", address)->required();
    mem_add->add_option("member", member)->required();
    mem_add->add_option("--rights", rights, "RFC 4314 letters lrswipkxtea, and 0 = may send as the mailbox")
        ->required();
    auto* mem_remove = members->add_subcommand("remove", "remove a member");
    mem_remove->add_option("org", address)->required();
    mem_remove->add_option("member", member)->required();
    auto* mem_list = members->add_subcommand("list", "list members and rights");
    mem_list->add_option("org", address)->required();

    auto* quota = account->add_subcommand("quota", "RFC 9208 limits of a mailbox (all its folders); none given: show");
    quota->add_option("address", address)->required();
    std::optional<uint64_t> storage_kib, message_limit;
    bool no_limit = false;
    quota->add_option("--storage-kib", storage_kib, "storage limit in KiB");
    quota->add_option("--messages", message_limit, "message count limit");
    quota->add_flag("--none", no_limit, "remove both limits");

    auto* mail = app.add_subcommand("mail", "stored messages");
    mail->require_subcommand(1);
    uint32_t uid = 0;
    auto* mail_list = mail->add_subcommand("list", "one line per message: UID SIZE SUBJECT");
    mail_list->add_option("address", address)->required();
    mail_list->add_option("--folder", folder);
    auto* mail_fetch = mail->add_subcommand("fetch", "the raw stored message");
    mail_fetch->add_option("address", address)->required();
    mail_fetch->add_option("uid", uid)->required();
    mail_fetch->add_option("--folder", folder);

    PkiCli pki;
    pki.attach(app);
    SmimeCli smime;
    smime.attach(app);
    DirectoryCli directory_cli;
    directory_cli.attach(app);
    cli::ListeRougeCli liste_rouge;
    liste_rouge.attach(app);
    auto dmp_commands = app::attach_dmp_commands(app);
    RelayCli relay_cli;
    relay_cli.attach(app);
    auto ldap_commands = app::register_ldap_commands(app);

    CLI11_PARSE(app, argc, argv);
    int status = 0;
    try {
        if (*init) cmd_init(data, domain, operator_name);
        else if (*acc_add) cmd_account_add(data, add);
        else if (*acc_list) cmd_account_list(data);
        else if (*acc_disable || *acc_enable) {
            need(open_store(load(data))->set_disabled(address, acc_disable->parsed()));
            fmt::print("{} {}\n", address, acc_disable->parsed() ? "disabled" : "enabled");
        } else if (*acc_password) {
            Config c = load(data);
            auto hash = need(crypto::hash_password(read_password_stdin(), c.password_scrypt_log_n));
            need(open_store(c)->set_password_hash(address, hash));
            fmt::print("password of {} changed\n", address);
        } else if (*mem_add || *mem_remove) {
            need(open_store(load(data))->set_member(address, member, mem_add->parsed() ? rights : ""));
            fmt::print("{} on {}: {}\n", member, address, mem_add->parsed() ? rights : "removed");
        } else if (*mem_list) {
            for (auto& m : need(open_store(load(data))->members(address))) fmt::print("{} {}\n", m.address, m.rights);
        } else if (*quota) {
            cmd_account_quota(data, address, no_limit || storage_kib || message_limit,
                              store::Quota{storage_kib, message_limit});
        } else if (*mail_list) cmd_mail_list(data, address, folder);
        else if (*mail_fetch) std::cout << need(open_store(load(data))->fetch_message(address, folder, uid));
        else if (auto st = pki.run(data)) status = *st;
        else if (auto st = smime.run(data)) status = *st;
        else if (auto st = directory_cli.run(data)) status = *st;
        else if (auto st = liste_rouge.run(data)) status = *st;
        else if (auto st = dmp_commands(data)) status = *st;
        else if (auto st = relay_cli.run(data)) status = *st;
        else if (auto st = ldap_commands(data)) status = *st;
    } catch (const Failure& f) {
        std::cerr << "mssctl: " << f.message << "\n";
        return 1;
    } catch (const fs::filesystem_error& e) {
        std::cerr << "mssctl: " << e.what() << "\n";
        return 1;
    }
    return status;
}
