// Reads [relay]: delays and timeouts in seconds with their ranges, unlisted_senders as a word.
#include "core/config_relay.h"

#include "core/config_toml.h"
#include "core/dns.h"

namespace mss {
namespace {

Status read_long_seconds(const toml::table& t, std::string_view key, std::chrono::seconds& out, int64_t max) {
    int64_t s = out.count();
    auto st = read_int(t, key, s, 1, max);
    out = std::chrono::seconds(s);
    return st;
}

// "IPv4[:port]", checked here so that a typo fails at start rather than at the first look-up.
Status read_dns_server(const toml::table& t, std::string& out) {
    if (!t["dns_server"]) return Ok{};
    auto* v = t["dns_server"].as_string();
    if (!v || !dns::parse_nameserver(v->get()))
        return fail(ErrorKind::Invalid, "relay.dns_server must be an IPv4 address with an optional :port");
    out = v->get();
    return Ok{};
}

}  // namespace

std::string_view to_string(UnlistedSenders u) { return u == UnlistedSenders::Accept ? "accept" : "reject"; }

Status read_relay_config(const toml::table& t, RelayConfig& out) {
    if (auto s = check_known(t, {"first_retry", "max_retry", "give_up", "connections_per_domain",
                                 "messages_per_connection", "connect_timeout", "greeting_timeout",
                                 "command_timeout", "data_timeout", "data_end_timeout", "max_received",
                                 "unlisted_senders", "dns_server", "mx_port",
                                 "delay_warning"},
                             "relay.");
        !s)
        return s;
    Status s = Ok{};
    if (!(s = read_long_seconds(t, "first_retry", out.first_retry, 24 * 3600))) return s;
    if (!(s = read_long_seconds(t, "max_retry", out.max_retry, 24 * 3600))) return s;
    if (!(s = read_long_seconds(t, "give_up", out.give_up, 30 * 24 * 3600))) return s;
    if (!(s = read_int(t, "connections_per_domain", out.connections_per_domain, 1, 100))) return s;
    if (!(s = read_int(t, "messages_per_connection", out.messages_per_connection, 1, 10000))) return s;
    if (!(s = read_seconds(t, "connect_timeout", out.connect_timeout))) return s;
    if (!(s = read_seconds(t, "greeting_timeout", out.greeting_timeout))) return s;
    if (!(s = read_seconds(t, "command_timeout", out.command_timeout))) return s;
    if (!(s = read_seconds(t, "data_timeout", out.data_timeout))) return s;
    if (!(s = read_seconds(t, "data_end_timeout", out.data_end_timeout))) return s;
    if (!(s = read_int(t, "max_received", out.max_received, 5, 1000))) return s;
    if (!(s = read_int(t, "mx_port", out.mx_port, 1, 65535))) return s;
    if (!(s = read_dns_server(t, out.dns_server))) return s;
    int64_t warning = out.delay_warning.count();  // 0 turns the delay warning off
    if (!(s = read_int(t, "delay_warning", warning, 0, 30 * 24 * 3600))) return s;
    out.delay_warning = std::chrono::seconds(warning);
    if (out.max_retry < out.first_retry) return fail(ErrorKind::Invalid, "relay.max_retry must not be below relay.first_retry");
    if (auto* v = t["unlisted_senders"].as_string()) {
        if (v->get() == "accept") out.unlisted_senders = UnlistedSenders::Accept;
        else if (v->get() == "reject") out.unlisted_senders = UnlistedSenders::Reject;
        else return fail(ErrorKind::Invalid, "relay.unlisted_senders must be \"reject\" or \"accept\"");
    } else if (t["unlisted_senders"]) {
        return fail(ErrorKind::Invalid, "relay.unlisted_senders must be \"reject\" or \"accept\"");
    }
    return Ok{};
}

}  // namespace mss
