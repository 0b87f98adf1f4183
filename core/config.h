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
    unsigned max_connections_per_ip = 20;         // each listener counts its own
    unsigned max_connections = 10000;             // each listener has its own budget
    std::chrono::seconds command_timeout{300};    // RFC 5321 4.5.3.2.7 server timeout; a whole command
    std::chrono::seconds data_timeout{180};       // RFC 5321 4.5.3.2.5 data block
    std::chrono::seconds message_timeout{600};    // a whole message (DATA, BDAT chunks, IMAP command)
    std::chrono::seconds handshake_timeout{30};   // a whole TLS handshake
    std::chrono::seconds login_timeout{180};      // IMAP: connection to successful login
    std::chrono::seconds shutdown_grace{30};      // SIGTERM: transactions in flight get this long
};

// [auth]: password guessing (issue 9). scrypt runs on hash_threads threads of its own, never the
// store's; checks beyond hash_queue (hash_queue_per_ip from one address) are refused unchecked as a
// temporary failure. Failures lock out an address, and an account from an address, for `lockout`
// seconds doubling with each further failure up to max_lockout; failures on an account from anywhere
// delay its checks (1 s doubling, up to max_delay) without locking its owner out. Counts are
// forgotten forget_after seconds after their last failure; a success resets its address's and pair's.
struct AuthGuardSettings {
    unsigned hash_threads = 1;             // scrypt at log_n 17 holds 128 MiB per thread
    unsigned hash_queue = 64;              // checks waiting or running, all addresses
    unsigned hash_queue_per_ip = 16;       // of those, from one address (IPv6: one /64; a hospital's NAT)
    unsigned session_failures = 3;         // failed authentications before the session is closed
    unsigned lockout_after = 3;            // failures of one account from one address
    unsigned ip_lockout_after = 10;        // failures from one address, any accounts
    unsigned account_delay_after = 5;      // failures of one account, any addresses
    std::chrono::seconds lockout{60};      // the first lock-out; doubles with each further failure
    std::chrono::seconds max_lockout{900};
    std::chrono::seconds max_delay{15};
    std::chrono::seconds forget_after{3600};
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

// [http]: the HTTPS listener (implicit TLS) for mail-client autoconfiguration, metrics and the
// FHIR interfaces; its own connection budget and per-request bounds.
struct HttpConfig {
    uint16_t port = 8443;
    unsigned max_connections = 1000;
    unsigned max_connections_per_ip = 50;
    std::size_t max_request_line = 8192;              // 414 past it (RFC 9112 section 3)
    std::size_t max_header_size = 16384;              // request line and fields together; 431 past it
    uint64_t max_body_size = 10 * 1024 * 1024;        // 413 past it
    std::chrono::seconds request_timeout{30};         // a whole request, first byte to last; 408 past it
    std::chrono::seconds idle_timeout{60};            // a kept-alive connection waiting for its next request
    std::vector<std::string> metrics_clients{"127.0.0.1", "::1"};  // IP addresses that may GET /metrics
    std::vector<std::string> metrics_certificates;    // SHA-256 (hex) of verified client certificates that may too
};

// [oauth]: Pro Santé Connect sign-in (SASL OAUTHBEARER and XOAUTH2). Tokens are checked against the
// issuer's keys (a JWKS file or URL), or by its introspection endpoint (RFC 7662) when one is set.
struct OAuthConfig {
    std::string issuer;                               // "iss" must equal it
    std::vector<std::string> audiences;               // "aud" must hold one of them
    std::filesystem::path jwks_file;                  // the issuer's keys, or:
    std::string jwks_url;                             // https://.../protocol/openid-connect/certs
    std::filesystem::path ca_file;                    // trust anchors for the issuer's HTTPS (system's if empty)
    std::chrono::seconds jwks_refresh{3600};          // keys reloaded this often, and on an unknown kid
    std::chrono::seconds leeway{60};                  // clock skew allowed on exp, nbf and iat
    std::vector<std::string> acr_levels{"eidas1", "eidas2", "eidas3"};  // eIDAS levels, lowest first
    std::string acr_minimum = "eidas1";               // "" accepts any token, with or without acr
    std::string introspection_url;                    // RFC 7662 endpoint; when set, tokens are asked there
    std::string client_id;                            // our client at the issuer, for introspection
    std::filesystem::path client_secret_file;         // its secret, one line
};

// The national directory (DATA/directory.db, filled by `mssctl directory import`).
struct DirectorySettings {
    // Patients' addresses (Mon espace santé): <INS matricule>@this domain, checked by the INS key.
    std::string patient_domain = "patient.mssante.fr";
    // Whether /fhir/ look-ups need no credentials (a client certificate or an account's password).
    bool fhir_anonymous = false;
};

// [relay]: mail to other operators (issue 11). Timeouts after RFC 5321 4.5.3.2: 5 minutes for the
// greeting and each command, 3 for each data block, 10 for the reply to the final dot.
enum class UnlistedSenders { Reject, Accept };
std::string_view to_string(UnlistedSenders u);  // "reject" | "accept"

struct RelayConfig {
    std::chrono::seconds first_retry{60};           // the first retry after a temporary failure
    std::chrono::seconds max_retry{3600};           // backoff doubles up to this
    std::chrono::seconds give_up{5 * 24 * 3600};    // then the recipient fails for good
    unsigned connections_per_domain = 2;            // simultaneous connections to one destination
    unsigned messages_per_connection = 100;         // then the connection is closed and a new one made
    std::chrono::seconds connect_timeout{60};
    std::chrono::seconds greeting_timeout{300};     // RFC 5321 4.5.3.2.1
    std::chrono::seconds command_timeout{300};      // 4.5.3.2.2-4: MAIL, RCPT, DATA initiation (120 there)
    std::chrono::seconds data_timeout{180};         // 4.5.3.2.5: each data block
    std::chrono::seconds data_end_timeout{600};     // 4.5.3.2.6: the reply to the final dot
    unsigned max_received = 30;                     // Received: fields beyond this: a routing loop (5.4.6)
    std::chrono::seconds delay_warning{4 * 3600};   // then one Action: delayed DSN per recipient; 0: never
    // Relay port: a sender domain outside the whitelist is refused (550 5.7.1) or taken as any mail.
    UnlistedSenders unlisted_senders = UnlistedSenders::Reject;
    // MX look-ups: empty asks the servers of /etc/resolv.conf; "IPv4[:port]" asks that one only (tests).
    std::string dns_server;
    uint16_t mx_port = 25;                          // the port of next hops found through DNS (tests)
};

// [ldap]: the slapd that mssctl feeds with the directory's changes (mail clients' address books).
struct LdapConfig {
    std::string url;                       // ldap://host:port or ldaps://...; empty: no feed
    std::string bind_dn;                   // a DN that may write under base_dn
    std::filesystem::path password_file;   // its password, first line
    std::string base_dn = "ou=mssante,dc=example,dc=org";
    bool starttls = false;                 // StartTLS on an ldap:// URL (required once asked)
    std::filesystem::path ca_file;         // trust anchors for slapd's certificate; empty: the system's
    std::chrono::seconds timeout{30};      // connection and each operation
    bool enabled() const { return !url.empty(); }
};

// [dmp]: the embedded DMP. professional_cas: the subjects (RFC 2253) of the authorities whose
// personal certificates name health professionals (core/config_dmp.h says how they are read).
struct DmpConfig {
    std::vector<std::string> professional_cas;
    // The PDSm server the mail filing deposits into (ITI-65, "https://host[:port]/path"); empty: the
    // embedded DMP. The PDSm routes of this mssd always serve the embedded one.
    std::string filing_remote;
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
    AuthGuardSettings auth;
    unsigned group_commit_max = 512;    // deliveries per transaction at most
    SmimeConfig smime;
    HttpConfig http;
    DirectorySettings directory;
    std::optional<OAuthConfig> oauth;   // Pro Santé Connect sign-in, offered only when configured
    RelayConfig relay;
    LdapConfig ldap;
    DmpConfig dmp;

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
