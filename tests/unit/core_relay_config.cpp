// mssd.toml's [relay] table: defaults after RFC 5321 4.5.3.2, bounds, unlisted_senders, unknown keys.
#include <doctest/doctest.h>

#include <fstream>

#include "core/config.h"
#include "temp_dir.h"

namespace {

mss::Result<mss::Config> load(const unit_test::TempDir& d, const std::string& relay) {
    std::ofstream(d.path / "mssd.toml") << "domains = [\"a.fr\"]\n[relay]\n" << relay;
    return mss::load_config(d.path);
}

}  // namespace

TEST_CASE("[relay] defaults: retry after a minute, give up after 5 days, refuse unlisted senders") {
    unit_test::TempDir d;
    auto c = load(d, "");
    REQUIRE(c);
    CHECK(c->relay.first_retry.count() == 60);
    CHECK(c->relay.give_up.count() == 5 * 24 * 3600);
    CHECK(c->relay.command_timeout.count() == 300);
    CHECK(c->relay.data_end_timeout.count() == 600);
    CHECK(c->relay.unlisted_senders == mss::UnlistedSenders::Reject);
}

TEST_CASE("[relay] values are read and checked") {
    unit_test::TempDir d;
    auto c = load(d, "first_retry = 5\nmax_retry = 50\nconnections_per_domain = 4\nunlisted_senders = \"accept\"\n");
    REQUIRE(c);
    CHECK(c->relay.first_retry.count() == 5);
    CHECK(c->relay.connections_per_domain == 4);
    CHECK(c->relay.unlisted_senders == mss::UnlistedSenders::Accept);
    CHECK_FALSE(load(d, "unlisted_senders = \"maybe\"\n"));
    CHECK_FALSE(load(d, "first_retry = 100\nmax_retry = 10\n"));
    CHECK_FALSE(load(d, "connections_per_domain = 0\n"));
    CHECK_FALSE(load(d, "retry = 1\n"));
}

TEST_CASE("[relay] delay_warning: 4 hours by default, 0 turns it off, negative refused") {
    unit_test::TempDir d;
    CHECK(load(d, "")->relay.delay_warning.count() == 4 * 3600);
    CHECK(load(d, "delay_warning = 0\n")->relay.delay_warning.count() == 0);
    CHECK(load(d, "delay_warning = 3\n")->relay.delay_warning.count() == 3);
    CHECK_FALSE(load(d, "delay_warning = -1\n"));
}
