// Server configuration: DATA_DIR/mssd.toml, written by `mssctl init` and read by mssd at start and on
// SIGHUP. Trusts the file's owner (the operator); every value is range-checked on load.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss {

struct Ports {
    uint16_t smtp = 25;          // relay between operators, STARTTLS
    uint16_t submission = 587;   // STARTTLS required before AUTH
    uint16_t submissions = 465;  // implicit TLS
    uint16_t imap = 143;
    uint16_t imaps = 993;
};

struct Limits {
    std::size_t max_command_line = 512;           // RFC 5321 4.5.3.1.4 command line, CRLF included
    std::size_t max_text_line = 1000;             // RFC 5321 4.5.3.1.6 text line, CRLF included
    uint64_t max_message_size = 25 * 1024 * 1024; // domain.md: Mon espace santé limit, our default
    unsigned max_recipients = 100;                // RFC 5321 4.5.3.1.8 minimum
    unsigned max_errors = 10;                     // protocol errors before 421 and close
    unsigned max_connections_per_ip = 20;
    unsigned max_connections = 10000;
    std::chrono::seconds command_timeout{300};    // RFC 5321 4.5.3.2.7 server timeout
    std::chrono::seconds data_timeout{180};       // RFC 5321 4.5.3.2.5 data block
};

struct TlsCertificate {
    std::filesystem::path certificate;  // server chain, PEM (leaf first)
    std::filesystem::path key;          // its private key, PEM
};

// Client certificates are checked against pki/trust.pem and pki/*.crl (Config::pki_dir()).
struct TlsFiles {
    std::filesystem::path certificate;  // the default server chain, PEM (leaf first)
    std::filesystem::path key;          // its private key, PEM
    // [tls.domains."<name>"]: the certificate served when a client names <name> (lower case, exact)
    // with SNI (RFC 6066 section 3); other names, and clients naming none, get the default.
    std::map<std::string, TlsCertificate> domains;
};

// What incoming mail gets when it is unsigned, or when its S/MIME signature does not verify:
// filed with the verdict in its trace header, filed in the recipient's Junk folder, or refused (5.7.x).
enum class SmimeAction { Accept, Quarantine, Reject };
std::string_view to_string(SmimeAction action);  // "accept" | "quarantine" | "reject"
std::optional<SmimeAction> smime_action_from(std::string_view text);

struct SmimePolicy {
    SmimeAction unsigned_mail = SmimeAction::Accept;  // most mail between operators is still unsigned
    SmimeAction invalid = SmimeAction::Quarantine;
    bool cbc = false;  // encrypt with AES-256-CBC enveloped-data instead of AES-256-GCM authEnveloped-data
};

struct SmimeConfig {
    SmimePolicy policy;                                   // every domain unless listed below
    std::map<std::string, SmimePolicy> domains;           // per domain (lower case)
    std::filesystem::path vault_key;                      // seals the private keys the server holds
    const SmimePolicy& policy_for(std::string_view domain) const;
};

// The national directory (DATA/directory.db, filled by `mssctl directory import`).
struct DirectorySettings {
    // Patients' addresses (Mon espace santé): <INS matricule>@this domain, checked by the INS key.
    std::string patient_domain = "patient.mssante.fr";
};

struct Config {
    std::filesystem::path data_dir;
    std::vector<std::string> domains;   // domains whose mailboxes live here (lower case)
    std::string hostname;               // our name in the greeting and Received: headers
    std::string listen = "127.0.0.1";
    Ports ports;
    Limits limits;
    TlsFiles tls;
    int password_scrypt_log_n = 17;     // scrypt N = 2^log_n, r = 8, p = 1 (OWASP minimum)
    unsigned group_commit_max = 512;    // deliveries per transaction at most
    SmimeConfig smime;
    DirectorySettings directory;

    std::filesystem::path database() const { return data_dir / "mssd.db"; }
    std::filesystem::path directory_database() const { return data_dir / "directory.db"; }
    std::filesystem::path pki_dir() const { return data_dir / "pki"; }
    bool serves_domain(std::string_view domain) const;
};

std::filesystem::path config_path(const std::filesystem::path& data_dir);
Result<Config> load_config(const std::filesystem::path& data_dir);
// The commented file `mssctl init` writes for a new data directory.
std::string default_config_text(const std::string& domain);

}  // namespace mss
