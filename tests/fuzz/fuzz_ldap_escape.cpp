// libFuzzer target: the LDAP escaping functions on arbitrary bytes, with round-trip properties:
// a DN value escaped reads back through OpenLDAP's ldap_str2dn as one value of one RDN, equal to
// the input; a filter value escaped holds no bare special and unescapes to the input; an LDIF line
// unfolds and decodes to the input.
#include <ldap.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "ldap/escape.h"

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

void dn_round_trip(std::string_view value) {
    std::string dn = "mail=" + mss::ldap::escape_dn_value(value) + ",ou=mssante,dc=example,dc=org";
    LDAPDN parsed = nullptr;
    require(ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS);
    require(parsed && parsed[0] && parsed[0][0] && !parsed[0][1] && parsed[1] && parsed[2] && parsed[3] && !parsed[4]);
    require(std::string_view(parsed[0][0]->la_value.bv_val, parsed[0][0]->la_value.bv_len) == value);
    ldap_dnfree(parsed);
}

void filter_round_trip(std::string_view value) {
    std::string escaped = mss::ldap::escape_filter_value(value);
    for (char c : escaped) require(c != '*' && c != '(' && c != ')' && c != '\0' && static_cast<unsigned char>(c) < 0x80);
    require(mss::ldap::unescape_filter_value(escaped) == std::string(value));
    (void)mss::ldap::unescape_filter_value(value);  // arbitrary text: an answer, never a crash
}

void ldif_round_trip(std::string_view value) {
    std::string line = mss::ldap::ldif_line("cn", value), unfolded;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\n' && i + 1 < line.size() && line[i + 1] == ' ') ++i;
        else if (line[i] != '\n') unfolded += line[i];
        else require(i + 1 == line.size());  // the only bare LF ends the line
    }
    if (unfolded.starts_with("cn:: ")) require(mss::base64_decode(unfolded.substr(5)) == std::string(value));
    else require(unfolded == (value.empty() ? "cn:" : "cn: " + std::string(value)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view value(reinterpret_cast<const char*>(data), size);
    dn_round_trip(value);
    filter_round_trip(value);
    ldif_round_trip(value);
    return 0;
}
