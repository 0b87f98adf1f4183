// The mapping of directory mailboxes to inetOrgPerson entries (see docs/directory.md, "LDAP address
// book"), and the base entry of a bulk load. Pure but for ldap_str2dn, which checks the base DN.
#include "ldap/entry.h"

#include <fmt/format.h>
#include <ldap.h>

#include "core/text.h"
#include "ldap/escape.h"

namespace mss::ldap {
namespace {

// What address books show: the person's name, else the service, the structure, the address.
std::string common_name(const directory::MailboxEntry& m) {
    std::string name = m.given.empty() ? m.family : m.family.empty() ? m.given : m.given + " " + m.family;
    for (const std::string* fallback : std::initializer_list<const std::string*>{&name, &m.service, &m.structure_name})
        if (!fallback->empty()) return *fallback;
    return m.address;
}

}  // namespace

std::string mailbox_dn(std::string_view address, std::string_view base_dn) {
    return fmt::format("mail={},{}", escape_dn_value(address), base_dn);
}

const std::vector<std::string_view>& published_types() {
    static const std::vector<std::string_view> types = {
        "mail", "cn", "sn", "givenName", "displayName", "o", "ou", "title", "businessCategory",
        "postalCode", "l", "employeeNumber", "employeeType", "userCertificate;binary", "userSMIMECertificate"};
    return types;
}

LdapEntry mailbox_entry(const directory::MailboxEntry& m, std::string_view base_dn,
                        const PublishedCertificate* certificate) {
    LdapEntry e;
    e.dn = mailbox_dn(m.address, base_dn);
    for (const char* oc : {"top", "person", "organizationalPerson", "inetOrgPerson"}) e.attributes.push_back({"objectClass", oc});
    std::string cn = common_name(m);
    auto put = [&](std::string_view type, const std::string& value) {
        if (!value.empty()) e.attributes.push_back({std::string(type), value});
    };
    put("mail", m.address);
    put("cn", cn);
    put("sn", m.family.empty() ? cn : m.family);  // person requires sn
    put("givenName", m.given);
    put("displayName", cn);
    put("o", m.structure_name);
    put("ou", m.service);
    put("title", m.profession);
    put("businessCategory", m.specialty);
    put("postalCode", m.postcode);
    put("l", m.city);
    put("employeeNumber", m.ps_idnat);
    put("employeeType", std::string(directory::to_string(m.type)));
    if (certificate) {
        put("userCertificate;binary", certificate->der);
        put("userSMIMECertificate", certificate->smime_pkcs7);
    }
    return e;
}

Result<LdapEntry> base_entry(std::string_view base_dn) {
    std::string text(base_dn);
    LDAPDN dn = nullptr;
    if (ldap_str2dn(text.c_str(), &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !dn || !dn[0])
        return fail(ErrorKind::Invalid, fmt::format("base DN '{}' is not an RFC 4514 DN", base_dn));
    LDAPAVA* first = dn[0][0];
    std::string type = ascii_lower(std::string(first->la_attr.bv_val, first->la_attr.bv_len));
    std::string value(first->la_value.bv_val, first->la_value.bv_len);
    bool multi = dn[0][1] != nullptr;
    ldap_dnfree(dn);
    if (multi) return fail(ErrorKind::Invalid, fmt::format("base DN '{}': its first RDN must have one value", base_dn));
    LdapEntry e{text, {}};
    if (type == "ou") e.attributes = {{"objectClass", "top"}, {"objectClass", "organizationalUnit"}, {"ou", value}};
    else if (type == "o") e.attributes = {{"objectClass", "top"}, {"objectClass", "organization"}, {"o", value}};
    else if (type == "dc")
        e.attributes = {{"objectClass", "top"}, {"objectClass", "dcObject"}, {"objectClass", "organization"},
                        {"dc", value}, {"o", value}};
    else return fail(ErrorKind::Invalid, fmt::format("base DN '{}' must begin with ou=, o= or dc=", base_dn));
    return e;
}

}  // namespace mss::ldap
