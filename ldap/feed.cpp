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

// Every attribute type of the entry, each once, in the entry's order.
std::vector<std::string> types_of(const LdapEntry& entry) {
    std::vector<std::string> out;
    for (const auto& a : entry.attributes)
        if (std::find(out.begin(), out.end(), a.type) == out.end()) out.push_back(a.type);
    return out;
}

// One LDAPMod per attribute type, values as bervals; the arrays libldap wants point into it.
class Mods {
public:
    // These types, with the entry's values for them (none: the type is removed by a replace).
    Mods(const LdapEntry& entry, int op, std::vector<std::string> types) : types_(std::move(types)) {
        auto& order = types_;
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

// The entry as slapd holds it, published types only; nullopt when there is none.
Result<std::optional<LdapEntry>> Connection::held(const std::string& dn) {
    std::vector<std::string> names(published_types().begin(), published_types().end());
    std::vector<char*> attributes;
    for (auto& n : names) attributes.push_back(n.data());
    attributes.push_back(nullptr);
    LDAPMessage* answer = nullptr;
    int rc = ldap_search_ext_s(ld_, dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attributes.data(), 0, nullptr,
                               nullptr, nullptr, 1, &answer);
    std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> owned(answer, ldap_msgfree);
    if (rc == LDAP_NO_SUCH_OBJECT) return std::optional<LdapEntry>();
    if (rc != LDAP_SUCCESS) return error(rc, "read", dn);
    LDAPMessage* m = ldap_first_entry(ld_, answer);
    if (!m) return std::optional<LdapEntry>();
    LdapEntry e{dn, {}};
    for (auto& n : names) {
        berval** values = ldap_get_values_len(ld_, m, n.c_str());
        for (int i = 0; values && values[i]; ++i) e.attributes.push_back({n, std::string(values[i]->bv_val, values[i]->bv_len)});
        ldap_value_free_len(values);
    }
    return std::optional<LdapEntry>(std::move(e));
}

// Read first, then write only what differs: an entry slapd holds gets a modify replacing the types
// whose values changed (an unchanged cn never touches its substring index; an unchanged entry costs
// no write), one it lacks gets an add.
Status Connection::put(const LdapEntry& entry) {
    auto now = held(entry.dn);
    if (!now) return now.error();
    if (!*now) {
        Mods add(entry, LDAP_MOD_ADD, types_of(entry));
        int rc = ldap_add_ext_s(ld_, entry.dn.c_str(), add.get(), nullptr, nullptr);
        if (rc != LDAP_SUCCESS) return error(rc, "add", entry.dn);
        return Ok{};
    }
    LdapEntry changed{entry.dn, {}};
    std::vector<std::string> types;
    for (auto t : published_types()) {
        auto values_of = [&](const LdapEntry& e) {
            std::vector<std::string> v;
            for (const auto& a : e.attributes)
                if (a.type == t) v.push_back(a.value);
            std::sort(v.begin(), v.end());
            return v;
        };
        auto wanted = values_of(entry);
        if (wanted == values_of(**now)) continue;
        types.emplace_back(t);
        for (auto& v : wanted) changed.attributes.push_back({std::string(t), std::move(v)});
    }
    if (types.empty()) return Ok{};
    Mods replace(changed, LDAP_MOD_REPLACE, types);
    int rc = ldap_modify_ext_s(ld_, entry.dn.c_str(), replace.get(), nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return error(rc, "modify", entry.dn);
    return Ok{};
}

Status Connection::ensure(const LdapEntry& entry) {
    Mods add(entry, LDAP_MOD_ADD, types_of(entry));
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
