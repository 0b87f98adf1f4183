// libldap's synchronous calls with bounded waits (network and operation timeouts), simple bind,
// optional StartTLS. Changes are applied one address at a time and acknowledged a page at a time.
#include "ldap/feed.h"

#include <fmt/format.h>
#include <ldap.h>
#include <sys/time.h>

#include "ldap/escape.h"

#include <algorithm>
#include <vector>

namespace mss::ldap {
namespace {

// One LDAPMod per attribute type, values as bervals; the arrays libldap wants point into it.
class Mods {
public:
    Mods(const LdapEntry& entry, int op, bool every_published_type) {
        auto& order = types_;  // each type once, in the entry's order
        if (every_published_type)
            for (auto t : published_types()) order.emplace_back(t);
        for (const auto& a : entry.attributes) {
            if (every_published_type && a.type == "objectClass") continue;
            if (std::find(order.begin(), order.end(), a.type) == order.end()) order.push_back(a.type);
        }
        values_.resize(order.size());
        for (const auto& a : entry.attributes)
            for (std::size_t i = 0; i < order.size(); ++i)
                if (order[i] == a.type)
                    values_[i].push_back({static_cast<ber_len_t>(a.value.size()), const_cast<char*>(a.value.data())});
        pointers_.resize(order.size());
        mods_.resize(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            for (auto& v : values_[i]) pointers_[i].push_back(&v);
            pointers_[i].push_back(nullptr);
            mods_[i].mod_op = op | LDAP_MOD_BVALUES;
            mods_[i].mod_type = const_cast<char*>(order[i].c_str());
            mods_[i].mod_bvalues = pointers_[i].data();
        }
        for (auto& m : mods_) list_.push_back(&m);
        list_.push_back(nullptr);
    }
    LDAPMod** get() { return list_.data(); }

private:
    std::vector<std::string> types_;
    std::vector<std::vector<berval>> values_;
    std::vector<std::vector<berval*>> pointers_;
    std::vector<LDAPMod> mods_;
    std::vector<LDAPMod*> list_;
};

timeval seconds(std::chrono::seconds s) { return timeval{static_cast<time_t>(s.count()), 0}; }

bool unreachable(int rc) { return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT; }

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const FeedSettings& s) {
    LDAP* ld = nullptr;
    if (int rc = ldap_initialize(&ld, s.url.c_str()); rc != LDAP_SUCCESS)
        return fail(ErrorKind::Invalid, fmt::format("ldap url {}: {}", s.url, ldap_err2string(rc)));
    std::unique_ptr<Connection> c(new Connection(ld));
    int version = LDAP_VERSION3;
    timeval wait = seconds(s.timeout);
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &wait);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &wait);
    if (!s.ca_file.empty()) {
        int demand = LDAP_OPT_X_TLS_DEMAND, fresh = 0;
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s.ca_file.c_str());
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &fresh);
    }
    if (s.starttls)
        if (int rc = ldap_start_tls_s(ld, nullptr, nullptr); rc != LDAP_SUCCESS) return c->error(rc, "StartTLS", s.url);
    berval password{static_cast<ber_len_t>(s.password.size()), const_cast<char*>(s.password.data())};
    int rc = ldap_sasl_bind_s(ld, s.bind_dn.c_str(), LDAP_SASL_SIMPLE, &password, nullptr, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return c->error(rc, "bind as", s.bind_dn);
    return c;
}

Connection::~Connection() { ldap_unbind_ext_s(ld_, nullptr, nullptr); }

Error Connection::error(int rc, std::string_view what, std::string_view dn) const {
    char* diagnostic = nullptr;
    ldap_get_option(ld_, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic);
    std::string detail = diagnostic && *diagnostic ? fmt::format(" ({})", diagnostic) : "";
    ldap_memfree(diagnostic);
    return fail(unreachable(rc) ? ErrorKind::Io : ErrorKind::Invalid,
                fmt::format("slapd: {} {}: {}{}", what, dn, ldap_err2string(rc), detail));
}

// A modify first: most increments change entries slapd holds (one operation); an added mailbox
// costs a failed modify and the add.
Status Connection::put(const LdapEntry& entry) {
    Mods replace(entry, LDAP_MOD_REPLACE, true);
    int rc = ldap_modify_ext_s(ld_, entry.dn.c_str(), replace.get(), nullptr, nullptr);
    if (rc == LDAP_SUCCESS) return Ok{};
    if (rc != LDAP_NO_SUCH_OBJECT) return error(rc, "modify", entry.dn);
    Mods add(entry, LDAP_MOD_ADD, false);
    rc = ldap_add_ext_s(ld_, entry.dn.c_str(), add.get(), nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return error(rc, "add", entry.dn);
    return Ok{};
}

Status Connection::ensure(const LdapEntry& entry) {
    Mods add(entry, LDAP_MOD_ADD, false);
    int rc = ldap_add_ext_s(ld_, entry.dn.c_str(), add.get(), nullptr, nullptr);
    if (rc == LDAP_SUCCESS || rc == LDAP_ALREADY_EXISTS) return Ok{};
    return error(rc, "add", entry.dn);
}

Result<bool> Connection::remove(std::string_view dn) {
    std::string text(dn);
    int rc = ldap_delete_ext_s(ld_, text.c_str(), nullptr, nullptr);
    if (rc == LDAP_SUCCESS) return true;
    if (rc == LDAP_NO_SUCH_OBJECT) return false;
    return error(rc, "delete", dn);
}

// The filter a typed term makes; the only way user text reaches it is escape_filter_value.
std::string address_book_filter(std::string_view term) {
    if (term.empty()) return "(objectClass=inetOrgPerson)";  // "**" is no substring filter
    std::string t = escape_filter_value(term);
    return fmt::format("(|(mail=*{0}*)(cn=*{0}*)(sn=*{0}*)(givenName=*{0}*))", t);
}

Result<std::vector<LdapEntry>> Connection::address_book_search(std::string_view base_dn, std::string_view term, int limit) {
    std::string base(base_dn), filter = address_book_filter(term);
    char mail[] = "mail", cn[] = "cn";
    char* attributes[] = {mail, cn, nullptr};
    LDAPMessage* answer = nullptr;
    int rc = ldap_search_ext_s(ld_, base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attributes, 0, nullptr, nullptr,
                               nullptr, limit, &answer);
    std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> owned(answer, ldap_msgfree);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) return error(rc, "search", base);
    std::vector<LdapEntry> out;
    for (LDAPMessage* m = ldap_first_entry(ld_, answer); m; m = ldap_next_entry(ld_, m)) {
        char* dn = ldap_get_dn(ld_, m);
        LdapEntry e{dn ? dn : "", {}};
        ldap_memfree(dn);
        for (char* type : {mail, cn}) {
            berval** values = ldap_get_values_len(ld_, m, type);
            for (int i = 0; values && values[i]; ++i) e.attributes.push_back({type, std::string(values[i]->bv_val, values[i]->bv_len)});
            ldap_value_free_len(values);
        }
        out.push_back(std::move(e));
    }
    return out;
}

Result<SyncReport> sync(directory::Directory& directory, const Certificates& certificates, const FeedSettings& settings,
                        std::size_t page_size) {
    auto base = base_entry(settings.base_dn);
    if (!base) return base.error();
    auto connection = Connection::open(settings);
    if (!connection) return connection.error();
    Connection& ldap = **connection;
    if (auto s = ldap.ensure(*base); !s) return s.error();
    SyncReport report;
    for (uint64_t after = 0;;) {
        auto page = directory.mailbox_changes(after, page_size);
        if (!page) return page.error();
        if (page->empty()) return report;
        for (const auto& change : *page) {
            auto mailbox = directory.find_mailbox(change.address);
            if (!mailbox) return mailbox.error();
            if (*mailbox && !(*mailbox)->liste_rouge) {
                auto held = certificates.find(change.address);
                const PublishedCertificate* certificate = held == certificates.end() ? nullptr : &held->second;
                if (auto s = ldap.put(mailbox_entry(**mailbox, settings.base_dn, certificate)); !s) return s.error();
                ++report.written;
            } else {
                auto removed = ldap.remove(mailbox_dn(change.address, settings.base_dn));
                if (!removed) return removed.error();
                report.removed += *removed;
            }
        }
        after = page->back().seq;
        if (auto s = directory.acknowledge_mailbox_changes(after); !s) return s.error();
    }
}

}  // namespace mss::ldap
