// mssd: starts every listener of the configured data directory and runs until SIGTERM.
// Wiring only: configuration, store, group commit, TLS, listeners, signals. Logic lives in modules.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "auth/guard.h"
#include "core/config.h"
#include "core/log.h"
#include "core/server.h"
#include "crypto/key_vault.h"
#include "core/metrics.h"
#include "crypto/trust.h"
#include "directory/fhir/api.h"
#include "dmp/pdsm_routes.h"
#include "dmp/remote_deposit.h"
#include "filing/worker.h"
#include "http/autoconfig.h"
#include "http/guarded.h"
#include "http/metrics_route.h"
#include "http/session.h"
#include "imap/session.h"
#include "smtp/relay.h"
#include "smtp/session.h"
#include "store/group_commit.h"

namespace {

struct Overrides {
    std::optional<std::string> listen;
    std::optional<uint16_t> smtp, submission, submissions, imap, imaps, https;

    void apply(mss::Config& c) const {
        if (listen) c.listen = *listen;
        if (smtp) c.ports.smtp = *smtp;
        if (submission) c.ports.submission = *submission;
        if (submissions) c.ports.submissions = *submissions;
        if (imap) c.ports.imap = *imap;
        if (imaps) c.ports.imaps = *imaps;
        if (https) c.http.port = *https;
    }
};

// The configuration, TLS contexts and trust store (anchors, CRLs) in force; SIGHUP replaces them all,
// sessions keep what they took.
class Live {
public:
    std::shared_ptr<const mss::Config> config() {
        std::lock_guard lock(mutex_);
        return config_;
    }
    mss::tls::Context tls() {
        std::lock_guard lock(mutex_);
        return tls_;
    }
    // The relay's client side: our operator certificate, the same anchors and CRLs.
    mss::tls::Context relay_tls() {
        std::lock_guard lock(mutex_);
        return relay_tls_;
    }
    std::shared_ptr<const mss::crypto::TrustStore> trust() {
        std::lock_guard lock(mutex_);
        return trust_;
    }
    // The trust files' stamp when last loaded; differs from trust_files_stamp() once they changed.
    std::string trust_stamp() {
        std::lock_guard lock(mutex_);
        return trust_stamp_;
    }
    mss::Status load(const std::filesystem::path& dir, const Overrides& overrides) {
        auto config = mss::load_config(dir);
        if (!config) return config.error();
        overrides.apply(config.value());
        auto stamp = mss::crypto::trust_files_stamp(config->pki_dir());
        if (!stamp) return stamp.error();
        // One store for S/MIME signers and TLS client certificates: pki/trust.pem and pki/*.crl.
        auto trust = mss::crypto::TrustStore::load(config->pki_dir());
        if (!trust) return trust.error();
        auto tls = mss::tls::make_server_context(config->tls, trust->get());
        if (!tls) return tls.error();
        auto relay_tls = mss::tls::make_client_context(config->tls, trust->get());
        if (!relay_tls) return relay_tls.error();
        std::lock_guard lock(mutex_);
        config_ = std::make_shared<const mss::Config>(std::move(config).value());
        tls_ = std::move(tls).value();
        relay_tls_ = std::move(relay_tls).value();
        trust_ = std::make_shared<const mss::crypto::TrustStore>(std::move(trust).value());
        trust_stamp_ = std::move(stamp).value();
        return mss::Ok{};
    }

private:
    std::mutex mutex_;
    std::shared_ptr<const mss::Config> config_;
    mss::tls::Context tls_;
    mss::tls::Context relay_tls_;
    std::shared_ptr<const mss::crypto::TrustStore> trust_;
    std::string trust_stamp_;
};

// How often mssd looks at pki/trust.pem and pki/*.crl: a revocation or a fresh CRL written by
// `mssctl pki revoke|crl|trust add` (or copied in by the operator) is in force within this time.
constexpr std::chrono::seconds kTrustCheckEvery{30};

// Every message passes through a few buffers of its size. With glibc's defaults, the memory freed
// after each message went back to the kernel and the next message faulted it in again: at 100 KiB
// per message that was about a fifth of the intake's time (docs/performance.md). Free memory is now
// kept up to 16 MiB per arena; buffers over 4 MiB still get a mapping of their own, returned at free.
void keep_freed_memory() {
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

// A bearer token on the DMP, checked as IMAP and SMTP check theirs ([oauth]: keys, iss, aud, exp,
// acr); without [oauth] no token is accepted.
mss::dmp::BearerVerdict dmp_bearer(const mss::Config& config, mss::auth::Guard& guard, std::string_view token) {
    using Kind = mss::dmp::BearerVerdict::Kind;
    if (!config.oauth) return {Kind::Refused, "", "bearer tokens are not accepted here (no [oauth])"};
    auto verdict = guard.check_token(*config.oauth, token);
    if (verdict.fault == mss::auth::TokenFault::None) return {Kind::Professional, verdict.ps_idnat, ""};
    auto reason = fmt::format("{}: {}", mss::auth::to_string(verdict.fault), mss::log::sanitize(verdict.detail));
    return {verdict.fault == mss::auth::TokenFault::Unavailable ? Kind::Unavailable : Kind::Refused, "", reason};
}

// The DMP's sign-ins under the guard's lock-outs and delays, counted with IMAP's and SMTP's: keyed
// by the client's address and the professional the token or certificate claims to be.
mss::dmp::SignInLimits dmp_sign_in_limits(Live& live, mss::auth::Guard& guard) {
    auto key = [](const mss::dmp::SignIn& s) {
        return s.token.empty() ? mss::auth::Guard::professional_key(s.certificate_cn)
                               : mss::auth::Guard::token_claimant(s.token);
    };
    return {[&live, &guard, key](const mss::dmp::SignIn& s) {
                auto verdict = guard.before_sign_in(live.config()->auth, std::string(s.peer_ip), key(s));
                if (verdict.locked_out) return std::max(verdict.wait, std::chrono::seconds{1});
                return verdict.wait;
            },
            [&live, &guard, key](const mss::dmp::SignIn& s, bool granted) {
                guard.count_sign_in(live.config()->auth, std::string(s.peer_ip), key(s), granted);
            }};
}

}  // namespace

int main(int argc, char** argv) {
    keep_freed_memory();
    mss::metrics::process().gauge("process_start_time_seconds", "Start time of mssd since the Unix epoch, in seconds") =
        std::time(nullptr);
    CLI::App app{"mssd: secure health messaging server (MSSanté)"};
    std::filesystem::path data;
    Overrides o;
    app.add_option("--data", data, "data directory made by 'mssctl init'")->required();
    app.add_option("--listen", o.listen, "address every listener binds to");
    app.add_option("--smtp-port", o.smtp, "SMTP between operators (0: any free port)");
    app.add_option("--submission-port", o.submission, "submission with STARTTLS");
    app.add_option("--submissions-port", o.submissions, "submission with implicit TLS");
    app.add_option("--imap-port", o.imap, "IMAP with STARTTLS");
    app.add_option("--imaps-port", o.imaps, "IMAP with implicit TLS");
    app.add_option("--https-port", o.https, "HTTPS: autoconfiguration, metrics");
    CLI11_PARSE(app, argc, argv);

    Live live;
    if (auto s = live.load(data, o); !s) {
        mss::log::error("mssd", "cannot start: {}", s.error().message);
        return 1;
    }
    auto config = live.config();
    auto store = mss::store::open_sqlite(config->database(), {.create = false});
    if (!store) {
        mss::log::error("mssd", "cannot open the store {}: {}", config->database().string(), store.error().message);
        return 1;
    }
    auto directory = mss::directory::open_sqlite_directory(config->directory_database(), {.read_only = true});
    if (!directory) {
        mss::log::error("mssd", "cannot open the directory: {}", directory.error().message);
        return 1;
    }
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    asio::io_context io(static_cast<int>(threads));
    asio::thread_pool blocking(std::max(2u, threads));
    // Password hashing on threads of its own (a restart changes how many), never the store's.
    mss::auth::Guard guard(config->auth.hash_threads);
    std::optional<mss::store::GroupCommitter> committer(std::in_place, *store.value(), config->group_commit_max);
    auto vault = mss::crypto::KeyVault::open(config->smime.vault_key, true);
    if (!vault) {
        mss::log::error("mssd", "cannot open the key vault: {}", vault.error().message);
        return 1;
    }
    mss::smtp::Services services{*store.value(), *directory.value(), *committer, blocking, guard, [&live] { return live.config(); },
                                 vault.value(), [&live] { return live.trust(); }};
    std::optional<mss::smtp::Relay> relay;  // started once the relay listener's port is known
    services.outbound_ready = [&relay] {
        if (relay) relay->wake();
    };
    mss::imap::Services imap_services{*store.value(), blocking, guard, [&live] { return live.config(); }};
    const mss::ConnectionBudget budget{config->limits.max_connections, config->limits.max_connections_per_ip};

    std::vector<std::unique_ptr<mss::Listener>> listeners;
    auto open = [&](const char* name, uint16_t port, mss::ConnectionHandler handler) {
        auto listener = mss::Listener::open(io, config->listen, port, name, budget);
        if (!listener) {
            mss::log::error("mssd", "{}", listener.error().message);
            return false;
        }
        listener.value()->start([&live] { return live.tls(); }, std::move(handler));
        listeners.push_back(std::move(listener).value());
        return true;
    };
    for (auto [name, port, kind] : {std::tuple{"smtp", config->ports.smtp, mss::smtp::Port::Relay},
                                    {"submission", config->ports.submission, mss::smtp::Port::Submission},
                                    {"submissions", config->ports.submissions, mss::smtp::Port::Submissions}}) {
        if (!open(name, port, [&services, kind](std::shared_ptr<mss::Stream> s, mss::Admission a) {
                return mss::smtp::run_session(std::move(s), a, kind, services);
            }))
            return 1;
    }
    for (auto [name, port, implicit_tls] : {std::tuple{"imap", config->ports.imap, false},
                                            {"imaps", config->ports.imaps, true}}) {
        if (!open(name, port, [&imap_services, implicit_tls](std::shared_ptr<mss::Stream> s, mss::Admission a) {
                return mss::imap::run_session(std::move(s), a, implicit_tls, imap_services);
            }))
            return 1;
    }

    // HTTPS: its own connection budget; routes are registered here by what owns them.
    std::map<std::string, uint16_t> bound;
    for (auto& l : listeners) bound[l->name()] = l->port();
    relay.emplace(io, mss::smtp::RelayServices{*store.value(), *directory.value(), blocking,
                                               [&live] { return live.config(); }, [&live] { return live.relay_tls(); },
                                               config->listen, bound.at("smtp")});
    relay->start();
    mss::http::Router router;
    mss::http::add_autoconfig_routes(router, [&live, bound] {
        auto c = live.config();
        return mss::http::MailEndpoints{c->hostname, c->domains, bound.at("imaps"), bound.at("imap"),
                                        bound.at("submissions"), bound.at("submission")};
    });
    mss::http::add_metrics_route(router, [&live] { return live.config(); });
    // The directory's FHIR look-ups, with each of our addresses' S/MIME encryption certificate.
    mss::directory::fhir::Api fhir(*directory.value(), [&store](std::string_view address) -> std::optional<std::string> {
        auto cert = store.value()->smime_certificate(address, mss::store::SmimeUsage::Encryption);
        if (!cert || !*cert) return std::nullopt;
        return (*cert)->certificate_pem;
    });
    router.add("GET", "/fhir/metadata", [](const mss::http::Request&) { return mss::directory::fhir::Api::capability_statement(); },
               mss::http::Run::Inline);
    mss::http::GuardedServices guarded{*store.value(), blocking, guard, [&live] { return live.config(); }};
    mss::http::add_guarded_route(
        router, "GET", "/fhir/", [&fhir](const mss::http::Request& r) { return fhir.handle(r); }, guarded,
        {"mssd FHIR directory", [](const mss::Config& c) { return c.directory.fhir_anonymous; },
         [](int status, std::string_view why) {
             return mss::directory::fhir::outcome_response(status, status == 401   ? "login"
                                                                   : status == 403 ? "forbidden"
                                                                                   : "throttled",
                                                           why);
         }});
    // The embedded DMP (DATA/dmp.db) and its PDSm interface; professions come from the directory.
    auto dmp = mss::dmp::open_sqlite_dmp(config->data_dir / "dmp.db");
    if (!dmp) {
        mss::log::error("mssd", "cannot open the DMP: {}", dmp.error().message);
        return 1;
    }
    // Without a readable access matrix nobody reads the DMP; mail and deposits go on.
    auto matrix = mss::dmp::load_access_matrix(config->data_dir);
    if (!matrix) {
        mss::log::error("mssd", "DMP access matrix: {}; nobody may read the DMP until SIGHUP finds one",
                        matrix.error().message);
        matrix = mss::dmp::AccessMatrix{};
    }
    // SIGHUP reads the matrix again (a file that does not parse keeps the one in force).
    std::mutex matrix_mutex;
    auto access_matrix = std::make_shared<const mss::dmp::AccessMatrix>(std::move(matrix).value());
    // One deposit path for the PDSm route and the mail filing: the embedded DMP for now.
    auto deposit = mss::dmp::embedded_deposit(*dmp.value());
    mss::dmp::add_pdsm_routes(router, {*dmp.value(), *deposit,
                                       [&] {
                                           std::lock_guard lock(matrix_mutex);
                                           return access_matrix;
                                       },
                                       [&directory](std::string_view ps_idnat) {
                                           std::vector<std::string> codes;
                                           auto found = directory.value()->activities(ps_idnat);
                                           if (!found)
                                               mss::log::error("mssd", "directory look-up of {} for the DMP: {}",
                                                               ps_idnat, found.error().message);
                                           else
                                               for (const auto& a : *found) codes.push_back(a.profession_code);
                                           return codes;
                                       },
                                       [&live, &guard](std::string_view token) { return dmp_bearer(*live.config(), guard, token); },
                                       [&live] {
                                           auto c = live.config();
                                           return std::shared_ptr<const mss::dmp::ProfessionalAuthorities>(
                                               c, &c->dmp.professional_cas);
                                       },
                                       dmp_sign_in_limits(live, guard)});
    // Filing (issue 12): CDA documents of submitted messages into the DMP, after 250; into a remote
    // PDSm server's instead when [dmp] filing_remote names one (read at start).
    std::unique_ptr<mss::dmp::DmpDeposit> remote_filing;
    if (const auto& url = live.config()->dmp.filing_remote; !url.empty()) {
        auto server = mss::dmp::parse_remote_pdsm(url);
        if (!server) {
            mss::log::error("mssd", "cannot start: {}", server.error().message);
            return 1;
        }
        mss::log::info("mssd", "filing into the PDSm server at {}", url);
        remote_filing = mss::dmp::remote_deposit(std::move(server).value(), [&live] { return live.relay_tls(); });
    }
    mss::filing::FilingWorker filing(io, {*store.value(), remote_filing ? *remote_filing : *deposit, [&live] { return live.config(); },
                                          [&dmp](std::string_view ins) -> std::optional<std::string> {
                                              auto p = dmp.value()->patient(ins);
                                              if (!p || !*p || (*p)->notify_address.empty()) return std::nullopt;
                                              return (*p)->notify_address;
                                          },
                                          [&relay] {
                                              if (relay) relay->wake();
                                          }});
    services.filing_ready = [&filing] { filing.wake(); };
    filing.start();
    mss::http::Services http_services{router, blocking, [&live] { return live.config(); }};
    auto https = mss::Listener::open(io, config->listen, config->http.port, "https",
                                     {config->http.max_connections, config->http.max_connections_per_ip});
    if (!https) {
        mss::log::error("mssd", "{}", https.error().message);
        return 1;
    }
    https.value()->start([&live] { return live.tls(); },
                         [&http_services](std::shared_ptr<mss::Stream> s, mss::Admission a) {
                             return mss::http::run_session(std::move(s), a, true, http_services);
                         });
    mss::Listener& https_listener = *https.value();
    listeners.push_back(std::move(https).value());

    auto reload = [&](std::string_view why) {
        if (auto s = live.load(data, o); !s) {
            mss::log::error("mssd", "reload refused, keeping the running configuration: {}", s.error().message);
        } else {
            auto c = live.config();
            for (auto& l : listeners) l->connections().set_limits(c->limits.max_connections, c->limits.max_connections_per_ip);
            https_listener.connections().set_limits(c->http.max_connections, c->http.max_connections_per_ip);
            if (auto m = mss::dmp::load_access_matrix(c->data_dir); !m) {
                mss::log::error("mssd", "DMP access matrix not reloaded, keeping the one in force: {}", m.error().message);
            } else {
                std::lock_guard lock(matrix_mutex);
                access_matrix = std::make_shared<const mss::dmp::AccessMatrix>(std::move(m).value());
            }
            mss::log::info("mssd", "configuration and certificates reloaded ({}; listening ports are kept)", why);
        }
    };
    asio::steady_timer trust_check(io);
    std::function<void(std::error_code)> on_trust_check = [&](std::error_code ec) {
        if (ec) return;
        auto stamp = mss::crypto::trust_files_stamp(live.config()->pki_dir());
        if (stamp && *stamp != live.trust_stamp()) reload("trust anchors or CRLs changed on disk");
        trust_check.expires_after(kTrustCheckEvery);
        trust_check.async_wait(on_trust_check);
    };
    trust_check.expires_after(kTrustCheckEvery);
    trust_check.async_wait(on_trust_check);

    // After SIGTERM: sessions in a transaction get the grace time to finish it, then every
    // connection still open is closed, whatever its client does; looked at a few times a second.
    asio::steady_timer shutdown(io);
    std::chrono::steady_clock::time_point give_up;
    std::function<void(std::error_code)> on_shutdown_check = [&](std::error_code ec) {
        if (ec) return;
        std::size_t open = 0;
        for (auto& l : listeners) open += l->connections().size();
        if (open == 0) return;
        if (std::chrono::steady_clock::now() >= give_up) {
            mss::log::warn("mssd", "grace time over: closing {} connection(s) still open", open);
            for (auto& l : listeners) l->connections().abort();
        }
        shutdown.expires_after(std::chrono::milliseconds(250));
        shutdown.async_wait(on_shutdown_check);
    };

    asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            reload("SIGHUP");
            signals.async_wait(on_signal);
            return;
        }
        mss::log::info("mssd", "stopping: no new connections, finishing transactions in flight");
        trust_check.cancel();
        relay->stop();
        filing.stop();
        for (auto& l : listeners) l->stop();
        give_up = std::chrono::steady_clock::now() + live.config()->limits.shutdown_grace;
        on_shutdown_check({});
    };
    signals.async_wait(on_signal);

    std::string ready = "ready";
    for (auto& l : listeners) ready += fmt::format(" {}={}:{}", l->name(), config->listen, l->port());
    mss::log::info("mssd", "{}", ready);

    // run() returns once the listeners are closed, the signal wait is over and every session ended.
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& w : workers) w.join();
    committer.reset();  // files what is queued before the store closes
    mss::log::info("mssd", "stopped");
    return 0;
}
