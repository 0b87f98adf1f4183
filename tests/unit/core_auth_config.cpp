// mssd.toml's [auth] table: defaults, values read, ranges and consistency refused with the key named.
// Each case writes its own file in a temporary directory.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/config.h"

namespace fs = std::filesystem;

namespace {

struct DataDir {
    fs::path path;
    DataDir() {
        char tmpl[] = "/tmp/mss-auth-config-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~DataDir() { fs::remove_all(path); }
    mss::Result<mss::Config> load(const std::string& tables) {
        std::ofstream(path / "mssd.toml") << "domains = [\"a.fr\"]\n" << tables;
        return mss::load_config(path);
    }
};

}  // namespace

TEST_CASE("[auth] defaults: one hashing thread, 3 failures per session, lock-outs from 60 s to 900 s") {
    DataDir d;
    auto c = d.load("");
    REQUIRE(c);
    CHECK(c->auth.hash_threads == 1);
    CHECK(c->auth.session_failures == 3);
    CHECK(c->auth.lockout == std::chrono::seconds{60});
    CHECK(c->auth.max_lockout == std::chrono::seconds{900});
}

TEST_CASE("[auth] values are read; the file mssctl init writes loads as the defaults") {
    DataDir d;
    auto c = d.load("[auth]\nhash_threads = 2\nhash_queue = 40\nhash_queue_per_ip = 5\nsession_failures = 1\n"
                    "lockout_after = 4\nip_lockout_after = 20\naccount_delay_after = 8\nlockout = 5\n"
                    "max_lockout = 50\nmax_delay = 3\nforget_after = 60\n");
    REQUIRE(c);
    CHECK(c->auth.hash_threads == 2);
    CHECK(c->auth.hash_queue == 40);
    CHECK(c->auth.hash_queue_per_ip == 5);
    CHECK(c->auth.session_failures == 1);
    CHECK(c->auth.lockout_after == 4);
    CHECK(c->auth.ip_lockout_after == 20);
    CHECK(c->auth.account_delay_after == 8);
    CHECK(c->auth.lockout == std::chrono::seconds{5});
    CHECK(c->auth.max_lockout == std::chrono::seconds{50});
    CHECK(c->auth.max_delay == std::chrono::seconds{3});
    CHECK(c->auth.forget_after == std::chrono::seconds{60});

    std::ofstream(d.path / "mssd.toml") << mss::default_config_text("a.fr");
    auto init = mss::load_config(d.path);
    REQUIRE(init);
    CHECK(init->auth.hash_queue == mss::AuthGuardSettings{}.hash_queue);
    CHECK(init->auth.forget_after == mss::AuthGuardSettings{}.forget_after);
}

TEST_CASE("[auth] refuses values out of range, inconsistent durations and unknown keys") {
    DataDir d;
    const std::pair<const char*, const char*> bad[] = {
        {"[auth]\nhash_threads = 0\n", "auth.hash_threads"},
        {"[auth]\nhash_threads = 65\n", "auth.hash_threads"},
        {"[auth]\nsession_failures = 0\n", "auth.session_failures"},
        {"[auth]\nhash_queue = 2\nhash_queue_per_ip = 3\n", "auth.hash_queue_per_ip"},
        {"[auth]\nlockout = 100\nmax_lockout = 50\n", "auth.lockout"},
        {"[auth]\nmax_lockout = 900\nforget_after = 600\n", "auth.max_lockout"},
        {"[auth]\nlockout = \"60\"\n", "auth.lockout"},
        {"[auth]\ntarpit = 1\n", "auth.tarpit"},
        {"[security]\npassword_scrypt_log_n = 12\nlockout = 3\n", "security.lockout"},
    };
    for (auto [text, key] : bad) {
        CAPTURE(text);
        auto c = d.load(text);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find(key) != std::string::npos);
    }
}
