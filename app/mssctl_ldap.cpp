// `mssctl directory ldap export FILE` (LDIF for slapadd) and `mssctl directory ldap sync` (pending
// changes to slapd with libldap), and the feed after imports and certificate changes. Trusts the
// configuration's owner; slapd's failures are reported, never hidden.
#include "app/mssctl_ldap.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "core/log.h"
#include "core/text.h"
#include "directory/directory.h"
#include "ldap/feed.h"
#include "ldap/ldif.h"
#include "store/store.h"

namespace fs = std::filesystem;

namespace mss::app {
namespace {

struct LdapFailure {
    std::string message;
};

template <class T>
T need(Result<T> r, std::string_view what = {}) {
    if (!r) throw LdapFailure{what.empty() ? r.error().message : fmt::format("{}: {}", what, r.error().message)};
    return std::move(r).value();
}

std::unique_ptr<directory::Directory> open_directory(const Config& c) {
    return need(directory::open_sqlite_directory(c.directory_database()), c.directory_database().string());
}

// Our addresses' encryption certificates, DER, from the store.
ldap::Certificates encryption_certificates(const Config& c) {
    auto store = need(store::open_sqlite(c.database(), {.create = false}), c.database().string());
    ldap::Certificates out;
    for (auto& held : need(store->smime_certificates(store::SmimeUsage::Encryption)))
        if (auto published = ldap::published_certificate(held.certificate_pem)) out.emplace(held.address, std::move(*published));
    return out;
}

ldap::FeedSettings feed_settings(const Config& c) {
    std::ifstream in(c.ldap.password_file, std::ios::binary);
    std::string password;
    if (!in || !std::getline(in, password)) throw LdapFailure{fmt::format("cannot read ldap.password_file {}", c.ldap.password_file.string())};
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return {c.ldap.url, c.ldap.bind_dn, password, c.ldap.base_dn, c.ldap.starttls, c.ldap.ca_file, c.ldap.timeout};
}

// The pending changes to slapd; throws LdapFailure with what is left.
void sync(const Config& c) {
    if (!c.ldap.enabled()) throw LdapFailure{"no [ldap] url in mssd.toml: nothing to send to"};
    auto dir = open_directory(c);
    auto report = ldap::sync(*dir, encryption_certificates(c), feed_settings(c));
    if (!report) {
        auto pending = dir->status();
        throw LdapFailure{fmt::format("LDAP feed to {} failed, {} mailbox changes left pending for `mssctl directory "
                                      "ldap sync`: {}", c.ldap.url, pending ? pending->pending_mailbox_changes : 0,
                                      report.error().message)};
    }
    log::info("ldap", "fed {}: {} entries written, {} removed", c.ldap.url, report->written, report->removed);
    fmt::print("ldap {}: {} entries written, {} removed\n", c.ldap.url, report->written, report->removed);
}

int export_ldif(const Config& c, const fs::path& file, std::string base_dn, bool keep_changes) {
    if (base_dn.empty()) base_dn = c.ldap.base_dn;
    auto dir = open_directory(c);
    auto certificates = encryption_certificates(c);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw LdapFailure{fmt::format("cannot write {}", file.string())};
    auto report = need(ldap::export_ldif(*dir, certificates, base_dn, out), file.string());
    out.close();
    if (!out) throw LdapFailure{fmt::format("cannot write {}", file.string())};
    // The file holds every change up to its snapshot: once loaded, slapd needs none of them again.
    if (!keep_changes) need(dir->acknowledge_mailbox_changes(report.changes_up_to));
    fmt::print("exported {} entries under {} to {} ({} with an S/MIME certificate, {} liste rouge left out){}\n",
               report.entries, base_dn, file.string(), report.certificates, report.liste_rouge,
               keep_changes ? "" : "; pending LDAP changes it holds acknowledged");
    return 0;
}

// What an address book sees for a typed term: one line per entry, "mail cn".
int search(const Config& c, const std::string& term, int limit) {
    if (!c.ldap.enabled()) throw LdapFailure{"no [ldap] url in mssd.toml: nothing to search"};
    auto connection = need(ldap::Connection::open(feed_settings(c)));
    for (const auto& e : need(connection->address_book_search(c.ldap.base_dn, term, limit))) {
        std::string mail, cn;
        for (const auto& a : e.attributes) (a.type == "mail" ? mail : cn) = a.value;
        fmt::print("{} {}\n", mail.empty() ? "-" : mail, cn.empty() ? "-" : cn);
    }
    return 0;
}

bool report_failure(const LdapFailure& f) {
    log::error("ldap", "{}", f.message);
    std::cerr << "mssctl: " << f.message << "\n";
    return false;
}

}  // namespace

std::function<std::optional<int>(const fs::path&)> register_ldap_commands(CLI::App& app) {
    struct Commands {
        CLI::App *exporter = nullptr, *syncer = nullptr, *searcher = nullptr;
        fs::path file;
        std::string base_dn, term;
        int limit = 50;
        bool keep_changes = false;
    };
    auto cmd = std::make_shared<Commands>();
    auto* ldap = app.get_subcommand("directory")->add_subcommand("ldap", "the directory served over LDAP by slapd (address books)");
    ldap->require_subcommand(1);
    cmd->exporter = ldap->add_subcommand("export", "every published entry as LDIF, for a bulk load with slapadd");
    cmd->exporter->add_option("file", cmd->file)->required();
    cmd->exporter->add_option("--base-dn", cmd->base_dn, "entries under this DN (default: [ldap] base_dn)");
    cmd->exporter->add_flag("--keep-changes", cmd->keep_changes,
                            "leave the pending changes for the next sync (default: the file holds them, they are acknowledged)");
    cmd->syncer = ldap->add_subcommand("sync", "send the pending changes to the slapd of [ldap] (idempotent)");
    cmd->searcher = ldap->add_subcommand("search", "ask slapd as a mail client's address book does: mail, cn, sn or "
                                                   "givenName containing TERM; prints \"mail cn\" lines");
    cmd->searcher->add_option("term", cmd->term)->required();
    cmd->searcher->add_option("--limit", cmd->limit, "entries at most (default 50)")->check(CLI::Range(1, 10000));
    return [cmd](const fs::path& data) -> std::optional<int> {
        if (!*cmd->exporter && !*cmd->syncer && !*cmd->searcher) return std::nullopt;
        try {
            auto c = load_config(data);
            if (!c) throw LdapFailure{fmt::format("configuration: {}", c.error().message)};
            if (*cmd->exporter) return export_ldif(*c, cmd->file, cmd->base_dn, cmd->keep_changes);
            if (*cmd->searcher) return search(*c, cmd->term, cmd->limit);
            sync(*c);
            return 0;
        } catch (const LdapFailure& f) {
            report_failure(f);
            return 1;
        }
    };
}

bool feed_ldap(const Config& config) {
    if (!config.ldap.enabled()) return true;
    try {
        sync(config);
        return true;
    } catch (const LdapFailure& f) {
        return report_failure(f);
    }
}

bool feed_ldap_certificate(const Config& config, std::string_view address) {
    try {
        need(open_directory(config)->note_mailbox_change(ascii_lower(address)));
    } catch (const LdapFailure& f) {
        return report_failure(f);
    }
    return feed_ldap(config);
}

}  // namespace mss::app
