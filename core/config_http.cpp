// Reads [http]: every number range-checked, metrics_clients as IP addresses, metrics_certificates as
// SHA-256 fingerprints (hex, colons allowed, as `openssl x509 -fingerprint -sha256` prints them).
#include "core/config_http.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

#include "core/config_toml.h"
#include "core/text.h"

namespace mss {
namespace {

bool is_ip_address(const std::string& text) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// "AB:CD:..." or "abcd...": 32 octets in hex; lower case without colons, or nothing.
std::optional<std::string> fingerprint(std::string text) {
    std::erase(text, ':');
    text = ascii_lower(text);
    if (text.size() != 64 || !std::all_of(text.begin(), text.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }))
        return std::nullopt;
    return text;
}

Result<std::vector<std::string>> read_strings(const toml::table& t, std::string_view key) {
    std::vector<std::string> out;
    auto* array = t[key].as_array();
    if (!array) return fail(ErrorKind::Invalid, fmt::format("http.{} must be a list of strings", key));
    for (auto& node : *array) {
        auto v = node.value<std::string>();
        if (!v) return fail(ErrorKind::Invalid, fmt::format("http.{} must be a list of strings", key));
        out.push_back(*v);
    }
    return out;
}

Status read_metrics_access(const toml::table& t, HttpConfig& out) {
    if (t["metrics_clients"]) {
        auto clients = read_strings(t, "metrics_clients");
        if (!clients) return clients.error();
        for (auto& ip : *clients)
            if (!is_ip_address(ip))
                return fail(ErrorKind::Invalid, fmt::format("http.metrics_clients: '{}' is not an IP address", ip));
        out.metrics_clients = std::move(clients).value();
    }
    if (t["metrics_certificates"]) {
        auto certificates = read_strings(t, "metrics_certificates");
        if (!certificates) return certificates.error();
        out.metrics_certificates.clear();
        for (auto& text : *certificates) {
            auto sha256 = fingerprint(text);
            if (!sha256)
                return fail(ErrorKind::Invalid,
                            fmt::format("http.metrics_certificates: '{}' is not a SHA-256 fingerprint", text));
            out.metrics_certificates.push_back(*sha256);
        }
    }
    return Ok{};
}

}  // namespace

Status read_http_config(const toml::table& t, HttpConfig& out) {
    if (auto s = check_known(t, {"port", "max_connections", "max_connections_per_ip", "max_request_line",
                                 "max_header_size", "max_body_size", "request_timeout", "idle_timeout",
                                 "metrics_clients", "metrics_certificates"},
                             "http.");
        !s)
        return s;
    Status s = Ok{};
    if (!(s = read_int(t, "port", out.port, 0, 65535))) return s;
    if (!(s = read_int(t, "max_connections", out.max_connections, 1, 1000000))) return s;
    if (!(s = read_int(t, "max_connections_per_ip", out.max_connections_per_ip, 1, 100000))) return s;
    if (!(s = read_int(t, "max_request_line", out.max_request_line, 256, 65536))) return s;
    if (!(s = read_int(t, "max_header_size", out.max_header_size, 1024, 1 << 20))) return s;
    if (!(s = read_int(t, "max_body_size", out.max_body_size, 0, int64_t{1} << 32))) return s;
    if (!(s = read_seconds(t, "request_timeout", out.request_timeout))) return s;
    if (!(s = read_seconds(t, "idle_timeout", out.idle_timeout))) return s;
    if (out.max_request_line > out.max_header_size)
        return fail(ErrorKind::Invalid, "http.max_request_line must not exceed http.max_header_size");
    return read_metrics_access(t, out);
}

}  // namespace mss
