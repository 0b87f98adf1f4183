// The whitelist reader: the published shape, a domain once per operator certificate, and every
// DOCTYPE, entity or malformed file refused whole.
#include <doctest/doctest.h>

#include <string>

#include "directory/whitelist.h"

using namespace mss::directory;

namespace {

std::string domaine(const std::string& nom, const std::string& dn) {
    return "<Domaine><Nom>" + nom + "</Nom><Description>CHU X</Description><DNCertificatOperateur>" + dn +
           "</DNCertificatOperateur><ResponsableContact>rssi@chu-x.fr</ResponsableContact>"
           "<SupportContact>support@chu-x.fr</SupportContact><DateMAJ>2025-01-15</DateMAJ></Domaine>";
}

std::string file(const std::string& domaines, const std::string& prolog = "") {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + prolog +
           "<ListeBlancheMSSante xmlns=\"https://listeblanche.mssante.fr/schema\">"
           "<DateDeGeneration>2025-02-01T00:00:00</DateDeGeneration><ListeDomaines>" +
           domaines + "</ListeDomaines></ListeBlancheMSSante>";
}

}  // namespace

TEST_CASE("the published whitelist: a domain repeats once per operator certificate") {
    auto w = parse_whitelist(file(domaine("CHU-X.mssante.fr", "CN=smtp-1.chu-x.fr,O=CHU X,C=FR") +
                                  domaine("chu-x.mssante.fr", "CN=smtp-2.chu-x.fr,O=CHU X,C=FR")));
    REQUIRE(w.ok());
    CHECK(w->generated == "2025-02-01T00:00:00");
    REQUIRE(w->entries.size() == 2);
    CHECK(w->entries[0].domain == "chu-x.mssante.fr");
    CHECK(w->entries[1].operator_dn == "CN=smtp-2.chu-x.fr,O=CHU X,C=FR");
    CHECK(w->entries[0].support_contact == "support@chu-x.fr");
    CHECK(w->entries[0].updated == "2025-01-15");
}

TEST_CASE("whitelists refused whole") {
    const std::string one = domaine("chu-x.mssante.fr", "CN=a");
    SUBCASE("a DOCTYPE, even harmless") {
        CHECK_FALSE(parse_whitelist(file(one, "<!DOCTYPE ListeBlancheMSSante>")).ok());
    }
    SUBCASE("billion laughs") {
        std::string lol = "<!DOCTYPE l [<!ENTITY a \"lol\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                          "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>";
        auto r = parse_whitelist(file(domaine("&c;.fr", "CN=a"), lol));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("DOCTYPE") != std::string::npos);
    }
    SUBCASE("an external entity") {
        CHECK_FALSE(parse_whitelist(file(domaine("&x;", "CN=a"), "<!DOCTYPE l [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>")).ok());
    }
    SUBCASE("another encoding than UTF-8, whatever the file declares") {
        // UTF-7 hides "<!DOCTYPE" from the octet search above; the file is read as the UTF-8 it must be.
        std::string utf7 = file(one);
        utf7.replace(utf7.find("UTF-8"), 5, "UTF-7");
        const auto body = utf7.find("?>") + 2;
        std::string encoded = utf7.substr(0, body);
        for (char c : utf7.substr(body)) encoded += c == '<' ? std::string("+ADw-") : std::string(1, c);
        auto r = parse_whitelist(encoded);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("not well-formed") != std::string::npos);
    }
    SUBCASE("an undeclared entity reference") { CHECK_FALSE(parse_whitelist(file(domaine("&x;", "CN=a"))).ok()); }
    SUBCASE("not well-formed") { CHECK_FALSE(parse_whitelist(file(one).substr(0, 200)).ok()); }
    SUBCASE("another namespace") {
        std::string other = file(one);
        other.replace(other.find("https://listeblanche"), 20, "https://example.org/");
        CHECK_FALSE(parse_whitelist(other).ok());
    }
    SUBCASE("no domain at all") { CHECK_FALSE(parse_whitelist(file("")).ok()); }
    SUBCASE("a Nom that is no domain name") { CHECK_FALSE(parse_whitelist(file(domaine("not a domain", "CN=a"))).ok()); }
    SUBCASE("no certificate DN") { CHECK_FALSE(parse_whitelist(file(domaine("chu-x.mssante.fr", ""))).ok()); }
    SUBCASE("the same domain and certificate twice") { CHECK_FALSE(parse_whitelist(file(one + one)).ok()); }
    SUBCASE("over the size bound") { CHECK_FALSE(parse_whitelist(std::string(kMaxWhitelistOctets + 1, ' ')).ok()); }
}
