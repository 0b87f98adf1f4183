// mssd.toml's [oauth] table: absent means no bearer sign-in; issuer, audience and one source of
// truth about tokens are required; URLs must be https; acr_minimum must be a known level.
#include <doctest/doctest.h>

#include <fstream>

#include "core/config.h"
#include "temp_dir.h"

namespace {

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& oauth) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n" << oauth;
    return mss::load_config(d.path);
}

const std::string kMinimal = "[oauth]\nissuer = \"https://psc.example/realms/w\"\naudience = \"mssd\"\n";

}  // namespace

TEST_CASE("[oauth] absent: no bearer sign-in") {
    unit_test::TempDir d;
    auto c = load(d, "");
    REQUIRE(c);
    CHECK_FALSE(c->oauth.has_value());
}

TEST_CASE("[oauth] with a key file: defaults and relative paths") {
    unit_test::TempDir d;
    auto c = load(d, kMinimal + "jwks_file = \"psc.json\"\n");
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    REQUIRE(c->oauth);
    CHECK(c->oauth->audiences == std::vector<std::string>{"mssd"});
    CHECK(c->oauth->jwks_file == d.path / "psc.json");
    CHECK(c->oauth->acr_minimum == "eidas1");
    CHECK(c->oauth->leeway == std::chrono::seconds(60));
    CHECK(c->oauth->jwks_refresh == std::chrono::seconds(3600));
}

TEST_CASE("[oauth] with a URL, several audiences, introspection") {
    unit_test::TempDir d;
    auto c = load(d, "[oauth]\nissuer = \"i\"\naudience = [\"a\", \"b\"]\nintrospection_url = \"https://i/introspect\"\n"
                     "client_id = \"mssd\"\nclient_secret_file = \"/etc/mssd/secret\"\nacr_minimum = \"\"\n");
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->oauth->audiences == std::vector<std::string>{"a", "b"});
    CHECK(c->oauth->client_secret_file == "/etc/mssd/secret");
    CHECK(c->oauth->acr_minimum.empty());
}

TEST_CASE("[oauth] refusals") {
    for (const std::string& bad : std::vector<std::string>{
             "[oauth]\naudience = \"mssd\"\njwks_file = \"k\"\n",                           // no issuer
             "[oauth]\nissuer = \"i\"\njwks_file = \"k\"\n",                                // no audience
             kMinimal,                                                                       // no key source
             kMinimal + "jwks_file = \"k\"\njwks_url = \"https://i/certs\"\n",              // two sources
             kMinimal + "jwks_url = \"http://i/certs\"\n",                                   // not https
             kMinimal + "introspection_url = \"https://i/x\"\n",                              // no client
             kMinimal + "jwks_file = \"k\"\nacr_minimum = \"eidas9\"\n",                     // unknown level
             kMinimal + "jwks_file = \"k\"\nleeway = 3600\n",                                // out of range
             "[oauth]\nissuer = \"i\"\naudience = []\njwks_file = \"k\"\n",          // empty audience list
             kMinimal + "jwks_file = \"k\"\nalgorithms = [\"HS256\"]\n",                      // unknown key
         }) {
        CAPTURE(bad);
        unit_test::TempDir d;
        CHECK_FALSE(load(d, bad).ok());
    }
}
