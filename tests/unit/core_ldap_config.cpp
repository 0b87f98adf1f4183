// mssd.toml's [ldap] table: off unless a url is given, paths relative to the data directory, the
// url's scheme and the values a feed needs checked, unknown keys refused.
#include <doctest/doctest.h>

#include <fstream>

#include "core/config.h"
#include "temp_dir.h"

namespace {

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& ldap) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n" << ldap;
    return mss::load_config(d.path);
}

}  // namespace

TEST_CASE("[ldap] absent: no feed") {
    unit_test::TempDir d;
    auto c = load(d, "");
    REQUIRE(c);
    CHECK_FALSE(c->ldap.enabled());
    CHECK(c->ldap.base_dn == "ou=mssante,dc=example,dc=org");
}

TEST_CASE("[ldap] values are read, paths resolved in the data directory") {
    unit_test::TempDir d;
    auto c = load(d, "[ldap]\nurl = \"ldap://127.0.0.1:3389\"\nbind_dn = \"cn=feeder,o=x\"\npassword_file = "
                     "\"ldap.secret\"\nbase_dn = \"o=x\"\nstarttls = true\nca_file = \"/etc/ssl/ca.pem\"\ntimeout = 5\n");
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->ldap.enabled());
    CHECK(c->ldap.url == "ldap://127.0.0.1:3389");
    CHECK(c->ldap.bind_dn == "cn=feeder,o=x");
    CHECK(c->ldap.password_file == d.path / "ldap.secret");
    CHECK(c->ldap.base_dn == "o=x");
    CHECK(c->ldap.starttls);
    CHECK(c->ldap.ca_file == "/etc/ssl/ca.pem");
    CHECK(c->ldap.timeout == std::chrono::seconds(5));
}

TEST_CASE("[ldap] refusals") {
    unit_test::TempDir d;
    const char* bad[] = {
        "[ldap]\nurl = \"http://x\"\nbind_dn = \"cn=a\"\npassword_file = \"p\"\n",
        "[ldap]\nurl = \"ldap://x\"\n",                                       // no bind DN nor password
        "[ldap]\nurl = \"ldap://x\"\nbind_dn = \"cn=a\"\n",                   // no password file
        "[ldap]\nbase_dn = \"\"\n",
        "[ldap]\ntimeout = 0\n",
        "[ldap]\nstarttls = \"yes\"\n",
        "[ldap]\nurl = 3\n",
        "[ldap]\nbind_password = \"inline secrets are not read\"\n",
    };
    for (const char* text : bad) {
        CAPTURE(text);
        auto c = load(d, text);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("ldap.") != std::string::npos);
    }
}
