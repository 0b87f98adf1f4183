// mssd.toml's [directory] fhir_anonymous: false by default, a boolean when given.
#include <doctest/doctest.h>

#include <fstream>

#include "core/config.h"
#include "temp_dir.h"

namespace {

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& directory) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n[directory]\n" << directory;
    return mss::load_config(d.path);
}

}  // namespace

TEST_CASE("FHIR look-ups need credentials unless fhir_anonymous is true") {
    unit_test::TempDir d;
    auto defaults = load(d, "");
    REQUIRE(defaults);
    CHECK_FALSE(defaults->directory.fhir_anonymous);
    auto open = load(d, "fhir_anonymous = true\n");
    REQUIRE(open);
    CHECK(open->directory.fhir_anonymous);
    auto wrong = load(d, "fhir_anonymous = \"yes\"\n");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("fhir_anonymous") != std::string::npos);
}
