// mssd.toml's [http] table: defaults, bounds checked, who may read /metrics (IP addresses, certificate
// fingerprints as openssl prints them), unknown keys refused. Each case writes its own file.
#include <doctest/doctest.h>

#include <fstream>

#include "core/config.h"
#include "temp_dir.h"

namespace {

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& http) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n[http]\n" << http;
    return mss::load_config(d.path);
}

}  // namespace

TEST_CASE("[http] defaults: 8443, loopback may read the metrics") {
    unit_test::TempDir d;
    auto c = load(d, "");
    REQUIRE(c);
    CHECK(c->http.port == 8443);
    CHECK(c->http.request_timeout == std::chrono::seconds(30));
    CHECK(c->http.metrics_clients == std::vector<std::string>{"127.0.0.1", "::1"});
    CHECK(c->http.metrics_certificates.empty());
}

TEST_CASE("[http] values are read and checked") {
    unit_test::TempDir d;
    auto c = load(d, "port = 0\nmax_body_size = 1024\nidle_timeout = 5\nmetrics_clients = [\"10.0.0.7\", \"fd00::1\"]\n"
                     "metrics_certificates = [\"AB:" + std::string(31, 'C') + ":" + std::string(31, 'C') + "\"]\n");
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->http.port == 0);
    CHECK(c->http.max_body_size == 1024);
    CHECK(c->http.idle_timeout == std::chrono::seconds(5));
    CHECK(c->http.metrics_clients == std::vector<std::string>{"10.0.0.7", "fd00::1"});
    REQUIRE(c->http.metrics_certificates.size() == 1);
    CHECK(c->http.metrics_certificates[0].size() == 64);
    CHECK(c->http.metrics_certificates[0].substr(0, 4) == "abcc");
}

TEST_CASE("[http] refusals name the key") {
    unit_test::TempDir d;
    for (auto [text, words] : {std::pair{"prot = 1\n", "unknown key 'http.prot'"},
                               {"port = 70000\n", "port must be an integer"},
                               {"request_timeout = 0\n", "request_timeout must be an integer"},
                               {"metrics_clients = [\"localhost\"]\n", "'localhost' is not an IP address"},
                               {"metrics_clients = \"127.0.0.1\"\n", "metrics_clients must be a list"},
                               {"metrics_certificates = [\"abcd\"]\n", "'abcd' is not a SHA-256 fingerprint"},
                               {"max_request_line = 20000\nmax_header_size = 16384\n", "must not exceed"}}) {
        auto c = load(d, text);
        REQUIRE_FALSE(c);
        CHECK_MESSAGE(c.error().message.find(words) != std::string::npos, c.error().message);
    }
}

TEST_CASE("mssctl init's file has an [http] table that loads") {
    unit_test::TempDir d;
    std::ofstream(d.path / "mssd.toml") << mss::default_config_text("a.fr");
    auto c = mss::load_config(d.path);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->http.port == 8443);
    CHECK(c->http.max_connections == 1000);
}
