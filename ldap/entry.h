// How a directory mailbox is published over LDAP: one inetOrgPerson (RFC 2798) per address, flat
// under the configured base DN, named by its mail. Pure; trusts the directory's checked entries.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "directory/entries.h"
#include "ldap/certificate.h"

namespace mss::ldap {

struct Attribute {
    std::string type;   // as written in LDIF and LDAP operations, options included ("...;binary")
    std::string value;  // octets
};

struct LdapEntry {
    std::string dn;
    std::vector<Attribute> attributes;  // objectClass values first
};

// "mail=<address, RFC 4514 escaped>,<base_dn>".
std::string mailbox_dn(std::string_view address, std::string_view base_dn);

// Never called for a liste rouge mailbox (the feed and the export leave those out). certificate:
// the address's S/MIME encryption certificate, if we hold one.
LdapEntry mailbox_entry(const directory::MailboxEntry& mailbox, std::string_view base_dn,
                        const PublishedCertificate* certificate);

// The attribute types mailbox_entry may write, objectClass aside: a modify replaces each of them,
// so one the mailbox no longer has is removed.
const std::vector<std::string_view>& published_types();

// The base DN's own entry for a bulk load, from its first RDN: ou= (organizationalUnit), o=
// (organization) or dc= (dcObject + organization). Another type, or a base DN that does not parse: Invalid.
Result<LdapEntry> base_entry(std::string_view base_dn);

}  // namespace mss::ldap
