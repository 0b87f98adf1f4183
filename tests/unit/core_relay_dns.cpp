// [relay] dns_server and mx_port (a test DNS server on loopback), and the name-server text they hold.
#include <doctest/doctest.h>

#include <fstream>

#include "core/config.h"
#include "core/dns.h"
#include "temp_dir.h"

namespace {

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& relay) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n[relay]\n" << relay;
    return mss::load_config(d.path);
}

}  // namespace

TEST_CASE("a name server is an IPv4 address with an optional port") {
    auto plain = mss::dns::parse_nameserver("192.0.2.53");
    REQUIRE(plain);
    CHECK(plain->address == "192.0.2.53");
    CHECK(plain->port == 53);
    auto ported = mss::dns::parse_nameserver("127.0.0.1:5353");
    REQUIRE(ported);
    CHECK(ported->address == "127.0.0.1");
    CHECK(ported->port == 5353);
    for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:53x",
                            "127.0.0.1:123456", "::1", "256.0.0.1:53"})
        CHECK_FALSE(mss::dns::parse_nameserver(bad));
}

TEST_CASE("[relay] dns_server and mx_port: the resolver of /etc/resolv.conf and port 25 unless set") {
    unit_test::TempDir d;
    auto c = load(d, "");
    REQUIRE(c);
    CHECK(c->relay.dns_server.empty());
    CHECK(c->relay.mx_port == 25);
    c = load(d, "dns_server = \"127.0.0.1:5353\"\nmx_port = 2525\n");
    REQUIRE(c);
    CHECK(c->relay.dns_server == "127.0.0.1:5353");
    CHECK(c->relay.mx_port == 2525);
    CHECK_FALSE(load(d, "dns_server = \"ns.example\"\n"));
    CHECK_FALSE(load(d, "dns_server = 53\n"));
    CHECK_FALSE(load(d, "mx_port = 0\n"));
}
