// Loads mssd.toml with toml++ and checks every value's range; unknown keys are reported, not ignored.
#include "core/config.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/config_auth.h"
#include "core/config_fhir.h"
#include "core/config_dmp.h"
#include "core/config_http.h"
#include "core/config_oauth.h"
#include "core/config_relay.h"
#include "core/config_ldap.h"
#include "core/config_smime.h"
#include "core/config_toml.h"
#include "core/text.h"
#include <toml++/toml.h>

namespace mss {
namespace {

std::filesystem::path resolve(const std::filesystem::path& dir, std::string_view p) {
    std::filesystem::path path(p);
    return path.is_absolute() ? path : dir / path;
}

Status read_ports(const toml::table& t, Ports& p) {
    if (auto s = check_known(t, {"smtp", "submission", "submissions", "imap", "imaps"}, "ports."); !s) return s;
    for (auto [key, field] : {std::pair{"smtp", &p.smtp}, {"submission", &p.submission},
                              {"submissions", &p.submissions}, {"imap", &p.imap}, {"imaps", &p.imaps}}) {
        if (auto s = read_int(t, key, *field, 0, 65535); !s) return s;
    }
    return Ok{};
}

Status read_limits(const toml::table& t, Limits& l) {
    if (auto s = check_known(t, {"max_command_line", "max_text_line", "max_message_size", "max_recipients",
                                 "max_errors", "max_connections_per_ip", "max_connections", "command_timeout",
                                 "data_timeout", "message_timeout", "handshake_timeout", "login_timeout",
                                 "shutdown_grace"},
                             "limits.");
        !s)
        return s;
    Status s = Ok{};
    if (!(s = read_int(t, "max_command_line", l.max_command_line, 512, 65536))) return s;
    if (!(s = read_int(t, "max_text_line", l.max_text_line, 1000, 1 << 20))) return s;
    if (!(s = read_int(t, "max_message_size", l.max_message_size, 1024, int64_t{1} << 32))) return s;
    if (!(s = read_int(t, "max_recipients", l.max_recipients, 100, 100000))) return s;
    if (!(s = read_int(t, "max_errors", l.max_errors, 1, 1000))) return s;
    if (!(s = read_int(t, "max_connections_per_ip", l.max_connections_per_ip, 1, 100000))) return s;
    if (!(s = read_int(t, "max_connections", l.max_connections, 1, 1000000))) return s;
    for (auto [key, field] : {std::pair{"command_timeout", &l.command_timeout}, {"data_timeout", &l.data_timeout},
                              {"message_timeout", &l.message_timeout}, {"handshake_timeout", &l.handshake_timeout},
                              {"login_timeout", &l.login_timeout}, {"shutdown_grace", &l.shutdown_grace}}) {
        if (!(s = read_seconds(t, key, *field))) return s;
    }
    return Ok{};
}

// Client certificates are checked against pki/trust.pem and pki/*.crl; configurations written before
// that named the file as tls.trust, which is still accepted when it names that very file.
Status check_trust_key(const toml::table& t, const std::filesystem::path& dir) {
    if (!t["trust"]) return Ok{};
    auto trust = t["trust"].value<std::string>();
    if (trust && resolve(dir, *trust).lexically_normal() == (dir / "pki" / "trust.pem").lexically_normal())
        return Ok{};
    return fail(ErrorKind::Invalid, "tls.trust: client certificates are checked against pki/trust.pem and "
                                    "pki/*.crl (add CAs with 'mssctl pki trust add'); remove this key");
}

bool is_host_name(std::string_view name) {
    return !name.empty() && name.size() <= 253 && name.front() != '.' && name.back() != '.' &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
           });
}

Status read_tls_domains(const toml::table& t, const std::filesystem::path& dir, TlsFiles& tls) {
    for (auto&& [k, v] : t) {
        std::string name = ascii_lower(k.str());
        std::string where = fmt::format("tls.domains.\"{}\".", k.str());
        auto* entry = v.as_table();
        if (!is_host_name(name) || !entry) return fail(ErrorKind::Invalid, fmt::format("{} must be a host name's table", where));
        if (auto s = check_known(*entry, {"certificate", "key"}, where); !s) return s;
        auto certificate = (*entry)["certificate"].value<std::string>();
        auto key = (*entry)["key"].value<std::string>();
        if (!certificate || !key) return fail(ErrorKind::Invalid, fmt::format("{}certificate and key are both needed", where));
        if (!tls.domains.emplace(name, TlsCertificate{resolve(dir, *certificate), resolve(dir, *key)}).second)
            return fail(ErrorKind::Invalid, fmt::format("tls.domains names {} twice", name));
    }
    return Ok{};
}

Status read_tls(const toml::table& t, const std::filesystem::path& dir, TlsFiles& tls) {
    if (auto s = check_known(t, {"certificate", "key", "trust", "domains"}, "tls."); !s) return s;
    if (auto s = check_trust_key(t, dir); !s) return s;
    tls.certificate = resolve(dir, t["certificate"].value_or<std::string>("pki/server.crt"));
    tls.key = resolve(dir, t["key"].value_or<std::string>("pki/server.key"));
    if (!t["domains"]) return Ok{};
    auto* domains = t["domains"].as_table();
    if (!domains) return fail(ErrorKind::Invalid, "tls.domains must be a table of host names");
    return read_tls_domains(*domains, dir, tls);
}

Result<Config> from_table(const toml::table& root, const std::filesystem::path& dir) {
    Config c;
    c.data_dir = dir;
    if (auto s = check_known(root, {"domains", "hostname", "listen", "ports", "limits", "tls", "security", "auth", "store", "smime", "http", "directory", "oauth", "relay", "ldap", "dmp"}, "");
        !s)
        return s.error();
    if (auto* arr = root["domains"].as_array()) {
        for (auto& d : *arr) {
            auto v = d.value<std::string>();
            if (!v || v->empty()) return fail(ErrorKind::Invalid, "domains must be a list of domain names");
            c.domains.push_back(ascii_lower(*v));
        }
    }
    if (c.domains.empty()) return fail(ErrorKind::Invalid, "domains must name at least one domain");
    c.hostname = root["hostname"].value_or(c.domains.front());
    c.listen = root["listen"].value_or(c.listen);
    Ports ports;
    Limits limits;
    if (auto* t = root["ports"].as_table())
        if (auto s = read_ports(*t, ports); !s) return s.error();
    if (auto* t = root["limits"].as_table())
        if (auto s = read_limits(*t, limits); !s) return s.error();
    toml::table empty;
    auto* tls = root["tls"].as_table();
    if (auto s = read_tls(tls ? *tls : empty, dir, c.tls); !s) return s.error();
    if (auto* t = root["security"].as_table()) {
        if (auto s = check_known(*t, {"password_scrypt_log_n"}, "security."); !s) return s.error();
        if (auto s = read_int(*t, "password_scrypt_log_n", c.password_scrypt_log_n, 10, 22); !s) return s.error();
    }
    if (auto* t = root["auth"].as_table())
        if (auto s = read_auth_settings(*t, c.auth); !s) return s.error();
    if (auto* t = root["store"].as_table())
        if (auto s = read_int(*t, "group_commit_max", c.group_commit_max, 1, 100000); !s) return s.error();
    if (auto* t = root["directory"].as_table()) {
        if (auto s = check_known(*t, {"patient_domain", "fhir_anonymous"}, "directory."); !s) return s.error();
        if (auto s = read_fhir_settings(*t, c.directory); !s) return s.error();
        auto patients = (*t)["patient_domain"].value<std::string>();
        if ((*t)["patient_domain"] && (!patients || patients->empty()))
            return fail(ErrorKind::Invalid, "directory.patient_domain must be a domain name");
        if (patients) c.directory.patient_domain = ascii_lower(*patients);
    }
    auto* smime = root["smime"].as_table();
    if (auto s = read_smime_config(smime ? *smime : empty, dir, c.smime); !s) return s.error();
    if (auto* t = root["http"].as_table())
        if (auto s = read_http_config(*t, c.http); !s) return s.error();
    if (auto* t = root["oauth"].as_table()) {
        auto oauth = read_oauth_config(*t, dir);
        if (!oauth) return oauth.error();
        c.oauth = std::move(oauth).value();
    }
    if (auto* t = root["relay"].as_table())
        if (auto s = read_relay_config(*t, c.relay); !s) return s.error();
    if (auto* t = root["ldap"].as_table())
        if (auto s = read_ldap_config(*t, dir, c.ldap); !s) return s.error();
    if (auto s = read_dmp_config(root["dmp"].as_table(), dir, c.dmp); !s) return s.error();
    c.ports = ports;
    c.limits = limits;
    return c;
}

}  // namespace

Status read_seconds(const toml::table& t, std::string_view key, std::chrono::seconds& out) {
    int64_t s = out.count();
    auto st = read_int(t, key, s, 1, 3600);
    out = std::chrono::seconds(s);
    return st;
}

Status check_known(const toml::table& t, std::initializer_list<std::string_view> known, std::string_view where) {
    for (auto&& [k, v] : t) {
        if (std::find(known.begin(), known.end(), k.str()) == known.end())
            return fail(ErrorKind::Invalid, fmt::format("unknown key '{}{}'", where, k.str()));
    }
    return Ok{};
}

bool Config::serves_domain(std::string_view domain) const {
    std::string d = ascii_lower(std::string(domain));
    return std::find(domains.begin(), domains.end(), d) != domains.end();
}

std::filesystem::path config_path(const std::filesystem::path& data_dir) { return data_dir / "mssd.toml"; }

Result<Config> load_config(const std::filesystem::path& data_dir) {
    auto path = config_path(data_dir);
    toml::table parsed;
    try {
        parsed = toml::parse_file(path.string());
    } catch (const toml::parse_error& e) {
        return fail(ErrorKind::Invalid,
                    fmt::format("{}: {} (line {})", path.string(), e.description(), e.source().begin.line));
    }
    auto c = from_table(parsed, data_dir);
    if (!c) return fail(c.error().kind, fmt::format("{}: {}", path.string(), c.error().message));
    return c;
}

std::string default_config_text(const std::string& domain) {
    return fmt::format(R"(# mssd configuration. Paths are relative to this data directory.
# Domains whose mailboxes this server holds.
domains = ["{0}"]
# Our name in the SMTP greeting and in Received: headers.
hostname = "{0}"
# Address every listener binds to.
listen = "127.0.0.1"

[ports]
smtp = 25          # between operators, STARTTLS
submission = 587   # mail clients, STARTTLS then AUTH
submissions = 465  # mail clients, implicit TLS
imap = 143
imaps = 993

[limits]
max_message_size = 26214400   # 25 MB
max_recipients = 100
max_errors = 10               # protocol errors before the session is closed
# Each listener has its own budget, so that a flood on one (25) never shuts the others out.
max_connections = 10000
max_connections_per_ip = 20
# Every wait on a client has a bound, and so has the whole of a command or a message, so that a
# client sending one octet at a time cannot hold a connection. In seconds:
command_timeout = 300         # a whole command (RFC 5321 4.5.3.2.7)
data_timeout = 180            # each read of a message's content (RFC 5321 4.5.3.2.5)
message_timeout = 600         # a whole message: DATA, all BDAT chunks, an IMAP command with its literals
handshake_timeout = 30        # a whole TLS handshake
login_timeout = 180           # IMAP: from connection to successful login
shutdown_grace = 30           # on SIGTERM, transactions in flight get this long, then connections close

[tls]
# TLS 1.2 minimum, ECDHE with AES-GCM or ChaCha20-Poly1305 only. Client certificates are checked
# against pki/trust.pem and pki/*.crl ('mssctl pki trust add', 'mssctl pki crl'; SIGHUP to reload).
certificate = "pki/server.crt"  # served to clients naming no host, or one not listed below
key = "pki/server.key"
# A certificate per host name clients ask for (SNI, RFC 6066); it must name that host. E.g.
#   mssctl --data DATA pki issue organisation --kind server --cn mail.example.org --name ORG --finess F \
#       --out DATA/pki/mail.example.org
# [tls.domains."mail.example.org"]
# certificate = "pki/mail.example.org/cert.pem"
# key = "pki/mail.example.org/key.pem"

[security]
password_scrypt_log_n = 17    # scrypt cost: N = 2^17, r = 8, p = 1

[auth]
# Password guessing. scrypt runs on threads of its own (128 MiB each at the cost above); checks
# beyond the queue get a temporary refusal without a check (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]).
hash_threads = 1
hash_queue = 64               # checks waiting or running, all client addresses
hash_queue_per_ip = 16        # of those, from one address (IPv6: one /64); a mail client opens up to
                              # 5 connections at once, and a hospital's users may share one address
session_failures = 3          # failed authentications before the session is closed
# Lock-outs: refused without a check for `lockout` seconds, doubling with each further failure.
lockout_after = 3             # failures of one account from one address lock that pair out
ip_lockout_after = 10         # failures from one address, any accounts, lock the address out
lockout = 60                  # seconds
max_lockout = 900             # seconds
# Failures of one account from any address delay its checks (1 s, doubling) but never lock it out.
account_delay_after = 5
max_delay = 15                # seconds
forget_after = 3600           # seconds without a failure before a count is forgotten

[store]
group_commit_max = 512        # messages made durable by one fsync at most

[smime]
# Incoming mail without an S/MIME signature, or whose signature does not verify: "accept" (filed
# with the verdict in Authentication-Results), "quarantine" (filed in the recipient's Junk folder)
# or "reject" (refused with 550 5.7.x). 'mssctl smime settings ADDRESS' overrides them per mailbox.
unsigned = "accept"
invalid = "quarantine"
cipher = "aes-256-gcm"        # or "aes-256-cbc" for clients without authEnveloped-data
vault_key = "vault.key"       # seals the private keys the server holds; keep it off the database's backups
# [smime.domains."example.org"]
# unsigned = "reject"

[http]
# HTTPS (implicit TLS, the [tls] certificates): mail-client autoconfiguration and /metrics.
port = 8443
max_connections = 1000        # this listener's own budget (max_connections_per_ip = 50 too)
max_header_size = 16384       # request line and header fields; 431 past it (request line alone: 8192, 414)
max_body_size = 10485760      # 413 past it
request_timeout = 30          # seconds for a whole request; a slower client gets 408 and is cut
idle_timeout = 60             # seconds a kept-alive connection may wait for its next request
# Who may GET /metrics: these IP addresses, and clients whose verified certificate has one of these
# SHA-256 fingerprints (openssl x509 -noout -fingerprint -sha256 -in cert.pem).
metrics_clients = ["127.0.0.1", "::1"]
metrics_certificates = []

[directory]
# Patients' addresses: <15-character INS matricule>@patient_domain, accepted when the INS key is right.
patient_domain = "patient.mssante.fr"
# FHIR look-ups (https://HOST:PORT/fhir/): true lets clients search without a certificate or password.
fhir_anonymous = false

[relay]
# Mail to other operators of the space of trust: queued durably, sent over mutual TLS (docs/relay.md).
first_retry = 60              # seconds before the first retry; doubles each time up to max_retry
max_retry = 3600
give_up = 432000              # seconds (5 days): then the recipient fails for good
connections_per_domain = 2    # simultaneous connections to one destination domain
messages_per_connection = 100
connect_timeout = 60          # seconds; greeting_timeout, command_timeout (300 each), data_timeout (180)
                              # and data_end_timeout (600) follow RFC 5321 4.5.3.2
max_received = 30             # more Received: fields than this: a routing loop, refused (5.4.6)
delay_warning = 14400         # seconds (4 h) undelivered: one "delayed" DSN per recipient; 0: never
# Relay port: mail from a sender domain outside the whitelist, "reject" (550 5.7.1) or "accept".
unlisted_senders = "reject"
)",
                       domain);
}

}  // namespace mss
