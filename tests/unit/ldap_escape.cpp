// RFC 4515 filter values, RFC 4514 DN values (checked against OpenLDAP's own DN parser) and RFC 2849
// LDIF lines: special characters, NUL and control octets, UTF-8, edges, folding.
#include <doctest/doctest.h>
#include <ldap.h>

#include <string>

#include "core/base64.h"
#include "ldap/escape.h"
#include "ldap/feed.h"

using namespace mss::ldap;
using namespace std::string_literals;

namespace {

// The value of the first RDN's only AVA of "mail=<escaped>,ou=x", as libldap reads it.
std::optional<std::string> dn_value_read_back(const std::string& escaped) {
    std::string dn = "mail=" + escaped + ",ou=x";
    LDAPDN parsed = nullptr;
    if (ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) return std::nullopt;
    std::optional<std::string> out;
    if (parsed && parsed[0] && parsed[0][0] && !parsed[0][1] && parsed[1] && !parsed[2])
        out = std::string(parsed[0][0]->la_value.bv_val, parsed[0][0]->la_value.bv_len);
    ldap_dnfree(parsed);
    return out;
}

// The value back from an LDIF line: unfolded, then plain or base64.
std::string ldif_value(const std::string& line, const std::string& type) {
    std::string unfolded;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\n' && i + 1 < line.size() && line[i + 1] == ' ') {
            ++i;
            continue;
        }
        if (line[i] != '\n') unfolded += line[i];
    }
    REQUIRE(unfolded.starts_with(type + ":"));
    std::string rest = unfolded.substr(type.size() + 1);
    if (rest.starts_with(": ")) return mss::base64_decode(rest.substr(2)).value();
    return rest.empty() ? rest : rest.substr(1);
}

}  // namespace

TEST_CASE("filter values: the specials and every non-printable octet become \\XX") {
    CHECK(escape_filter_value("dupont") == "dupont");
    CHECK(escape_filter_value("*") == "\\2A");
    CHECK(escape_filter_value("*)(mail=*") == "\\2A\\29\\28mail=\\2A");
    CHECK(escape_filter_value("a\\b") == "a\\5Cb");
    CHECK(escape_filter_value("x\0y"s) == "x\\00y");
    CHECK(escape_filter_value("\x01\x7f") == "\\01\\7F");
    CHECK(escape_filter_value("Hélène") == "H\\C3\\A9l\\C3\\A8ne");
    CHECK(escape_filter_value("") == "");
}

TEST_CASE("filter values read back as they were; a bare special or a broken escape does not") {
    for (std::string v : {"dupont"s, "*)(|(mail=*"s, "\\2a"s, "x\0y"s, "Hélène"s, "\xff\xfe"s, ""s})
        CHECK(unescape_filter_value(escape_filter_value(v)) == v);
    CHECK_FALSE(unescape_filter_value("a*b"));
    CHECK_FALSE(unescape_filter_value("a(b"));
    CHECK_FALSE(unescape_filter_value("a\\2"));
    CHECK_FALSE(unescape_filter_value("a\\zz"));
    CHECK_FALSE(unescape_filter_value("\\"));
}

TEST_CASE("DN values: RFC 4514's specials escaped, edges too") {
    CHECK(escape_dn_value("dr.martin@chu-x.fr") == "dr.martin@chu-x.fr");
    CHECK(escape_dn_value(",+\"\\<>;=") == "\\,\\+\\\"\\\\\\<\\>\\;\\=");
    CHECK(escape_dn_value(" lead") == "\\ lead");
    CHECK(escape_dn_value("trail ") == "trail\\ ");
    CHECK(escape_dn_value("#x#") == "\\#x#");
    CHECK(escape_dn_value("a\0b"s) == "a\\00b");
    CHECK(escape_dn_value("\n") == "\\0A");
}

TEST_CASE("DN values stay one value of one RDN for OpenLDAP's parser") {
    for (std::string v : {"a+b=c#d'*x@chu-x.mssante.fr"s, ",+\"\\<>;="s, " both "s, "#"s, " "s, "x\0y"s,
                          "mail=evil,ou=other"s, "Hélène"s, "a\\2Cb"s, "\x01\x1f\x7f"s})
        CHECK(dn_value_read_back(escape_dn_value(v)) == v);
}

TEST_CASE("LDIF: SAFE-STRINGs as they are, anything else as base64") {
    CHECK(ldif_line("mail", "a@b.fr") == "mail: a@b.fr\n");
    CHECK(ldif_line("o", "") == "o:\n");
    CHECK(ldif_safe("inner: colon and < are fine"));
    for (std::string v : {" lead"s, ":colon"s, "<url"s, "trail "s, "Hélène"s, "a\nb"s, "a\rb"s, "a\0b"s}) {
        CAPTURE(v);
        CHECK_FALSE(ldif_safe(v));
        std::string line = ldif_line("cn", v);
        CHECK(line.starts_with("cn:: "));
        CHECK(ldif_value(line, "cn") == v);
    }
}

TEST_CASE("LDIF: long lines fold at 76 octets and unfold to the value") {
    std::string der(3000, '\0');
    for (std::size_t i = 0; i < der.size(); ++i) der[i] = static_cast<char>(i * 7);
    std::string line = ldif_line("userCertificate;binary", der);
    std::size_t start = 0;
    while (start < line.size()) {
        auto end = line.find('\n', start);
        REQUIRE(end != std::string::npos);
        CHECK(end - start <= 76);
        if (start) CHECK(line[start] == ' ');
        start = end + 1;
    }
    CHECK(ldif_value(line, "userCertificate;binary") == der);
    std::string plain(200, 'x');
    CHECK(ldif_value(ldif_line("description", plain), "description") == plain);
}

TEST_CASE("the address-book filter: the term escaped in each of the four substring assertions") {
    CHECK(address_book_filter("dup") == "(|(mail=*dup*)(cn=*dup*)(sn=*dup*)(givenName=*dup*))");
    CHECK(address_book_filter("*)(mail=*") ==
          "(|(mail=*\\2A\\29\\28mail=\\2A*)(cn=*\\2A\\29\\28mail=\\2A*)(sn=*\\2A\\29\\28mail=\\2A*)"
          "(givenName=*\\2A\\29\\28mail=\\2A*))");
    CHECK(address_book_filter("") == "(objectClass=inetOrgPerson)");
}
