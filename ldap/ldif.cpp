// LDIF writing for slapadd: one snapshot of the directory, entry by entry to the stream.
#include "ldap/ldif.h"

#include <fmt/format.h>

#include "ldap/escape.h"

namespace mss::ldap {

std::string ldif_entry(const LdapEntry& entry) {
    std::string out = ldif_line("dn", entry.dn);
    for (const auto& a : entry.attributes) out += ldif_line(a.type, a.value);
    out += '\n';
    return out;
}

Result<ExportReport> export_ldif(directory::Directory& directory, const Certificates& certificates,
                                 std::string_view base_dn, std::ostream& out) {
    auto base = base_entry(base_dn);
    if (!base) return base.error();
    out << ldif_entry(*base);  // no "version: 1" line: slapadd takes it for an entry without a dn
    ExportReport report;
    auto last = directory.each_mailbox([&](const directory::MailboxEntry& m) -> Status {
        if (m.liste_rouge) return ++report.liste_rouge, Ok{};
        auto held = certificates.find(m.address);
        const PublishedCertificate* certificate = held == certificates.end() ? nullptr : &held->second;
        report.certificates += certificate != nullptr;
        out << ldif_entry(mailbox_entry(m, base_dn, certificate));
        ++report.entries;
        if (!out) return fail(ErrorKind::Io, "cannot write the LDIF file");
        return Ok{};
    });
    if (!last) return last.error();
    report.changes_up_to = *last;
    out.flush();
    if (!out) return fail(ErrorKind::Io, "cannot write the LDIF file");
    return report;
}

}  // namespace mss::ldap
