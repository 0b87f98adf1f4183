// Sends the directory's changes to a running slapd over LDAPv3 (libldap): each changed address is
// written as the directory now holds it (added, or its published attributes replaced) or deleted
// when withdrawn or liste rouge, then acknowledged. Trusts the [ldap] settings; slapd's answers are
// checked, and any failure leaves the unsent changes pending for the next sync.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "directory/directory.h"
#include "ldap/entry.h"
#include "ldap/ldif.h"

typedef struct ldap LDAP;

namespace mss::ldap {

struct FeedSettings {
    std::string url, bind_dn, password, base_dn;
    bool starttls = false;
    std::filesystem::path ca_file;  // empty: the system's trust anchors
    std::chrono::seconds timeout{30};
};

// One bound LDAPv3 session.
class Connection {
public:
    static Result<std::unique_ptr<Connection>> open(const FeedSettings& settings);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Adds the entry when its DN is not there; otherwise replaces the published types whose values
    // differ from the entry's (none differ: nothing is written).
    Status put(const LdapEntry& entry);
    // Adds the entry unless its DN exists (the base entry).
    Status ensure(const LdapEntry& entry);
    // false: there was no such entry.
    Result<bool> remove(std::string_view dn);
    // What a mail client's address book asks for a typed term, as Thunderbird does:
    // (|(mail=*T*)(cn=*T*)(sn=*T*)(givenName=*T*)) under base_dn, T escaped (RFC 4515). At most limit.
    Result<std::vector<LdapEntry>> address_book_search(std::string_view base_dn, std::string_view term, int limit);

private:
    explicit Connection(LDAP* ld) : ld_(ld) {}
    Error error(int rc, std::string_view what, std::string_view dn) const;
    Result<std::optional<LdapEntry>> held(const std::string& dn);
    LDAP* ld_;
};

std::string address_book_filter(std::string_view term);

struct SyncReport {
    uint64_t written = 0, removed = 0;
};

// Sends every pending change, in pages of page_size, each page acknowledged once slapd took it all.
Result<SyncReport> sync(directory::Directory& directory, const Certificates& certificates,
                        const FeedSettings& settings, std::size_t page_size = 500);

}  // namespace mss::ldap
