// Reads [auth]: every value range-checked, unknown keys refused, and the durations kept consistent
// (a lock-out never outlasts the memory of the failures that caused it).
#include "core/config_auth.h"

#include <fmt/format.h>

#include "core/config_toml.h"

namespace mss {
namespace {

Status read_count(const toml::table& t, std::string_view key, unsigned& out, int64_t min, int64_t max) {
    auto node = t[key];
    if (!node) return Ok{};
    auto v = node.value<int64_t>();
    if (!v || *v < min || *v > max)
        return fail(ErrorKind::Invalid, fmt::format("auth.{} must be an integer from {} to {}", key, min, max));
    out = static_cast<unsigned>(*v);
    return Ok{};
}

Status read_seconds(const toml::table& t, std::string_view key, std::chrono::seconds& out, int64_t min, int64_t max) {
    unsigned s = static_cast<unsigned>(out.count());
    auto st = read_count(t, key, s, min, max);
    out = std::chrono::seconds(s);
    return st;
}

}  // namespace

Status read_auth_settings(const toml::table& t, AuthGuardSettings& a) {
    if (auto s = check_known(t, {"hash_threads", "hash_queue", "hash_queue_per_ip", "session_failures",
                                 "lockout_after", "ip_lockout_after", "account_delay_after", "lockout",
                                 "max_lockout", "max_delay", "forget_after"},
                             "auth.");
        !s)
        return s;
    Status s = Ok{};
    if (!(s = read_count(t, "hash_threads", a.hash_threads, 1, 64))) return s;
    if (!(s = read_count(t, "hash_queue", a.hash_queue, 1, 100000))) return s;
    if (!(s = read_count(t, "hash_queue_per_ip", a.hash_queue_per_ip, 1, 100000))) return s;
    if (!(s = read_count(t, "session_failures", a.session_failures, 1, 100))) return s;
    if (!(s = read_count(t, "lockout_after", a.lockout_after, 1, 1000))) return s;
    if (!(s = read_count(t, "ip_lockout_after", a.ip_lockout_after, 1, 100000))) return s;
    if (!(s = read_count(t, "account_delay_after", a.account_delay_after, 1, 100000))) return s;
    if (!(s = read_seconds(t, "lockout", a.lockout, 1, 86400))) return s;
    if (!(s = read_seconds(t, "max_lockout", a.max_lockout, 1, 86400))) return s;
    if (!(s = read_seconds(t, "max_delay", a.max_delay, 1, 300))) return s;
    if (!(s = read_seconds(t, "forget_after", a.forget_after, 1, 7 * 86400))) return s;
    if (a.hash_queue_per_ip > a.hash_queue)
        return fail(ErrorKind::Invalid, "auth.hash_queue_per_ip cannot exceed auth.hash_queue");
    if (a.lockout > a.max_lockout) return fail(ErrorKind::Invalid, "auth.lockout cannot exceed auth.max_lockout");
    if (a.max_lockout > a.forget_after || a.max_delay > a.forget_after)
        return fail(ErrorKind::Invalid, "auth.max_lockout and auth.max_delay cannot exceed auth.forget_after");
    return Ok{};
}

}  // namespace mss
