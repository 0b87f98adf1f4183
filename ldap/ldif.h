// The whole published directory as one LDIF file (RFC 2849) for a bulk load with slapadd: the base
// entry, then one inetOrgPerson per mailbox that is not liste rouge. Streamed: memory does not grow
// with the directory. Trusts the Directory's entries and the certificates it is given.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "directory/directory.h"
#include "ldap/entry.h"

namespace mss::ldap {

// S/MIME encryption certificates by lower-case address: our own users', a few thousand.
using Certificates = std::unordered_map<std::string, PublishedCertificate>;

// "dn: ..." then each attribute, one value a line, then an empty line.
std::string ldif_entry(const LdapEntry& entry);

struct ExportReport {
    uint64_t entries = 0;           // mailboxes written
    uint64_t liste_rouge = 0;       // left out
    uint64_t certificates = 0;      // entries written with a certificate
    uint64_t changes_up_to = 0;     // the directory's change seq the file includes
};

Result<ExportReport> export_ldif(directory::Directory& directory, const Certificates& certificates,
                                 std::string_view base_dn, std::ostream& out);

}  // namespace mss::ldap
