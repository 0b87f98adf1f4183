// The metrics route: an access check, then the registry's text exposition.
#include "http/metrics_route.h"

#include <algorithm>

#include "core/log.h"
#include "core/metrics.h"

namespace mss::http {

bool may_read_metrics(const Request& request, const HttpConfig& config) {
    std::string_view ip = request.peer_ip;
    if (ip.starts_with("::ffff:")) ip.remove_prefix(7);  // an IPv4 client of a dual-stack socket
    if (std::find(config.metrics_clients.begin(), config.metrics_clients.end(), ip) != config.metrics_clients.end())
        return true;
    const auto& cert = request.client_certificate;
    return cert.verified && std::find(config.metrics_certificates.begin(), config.metrics_certificates.end(),
                                      cert.sha256_hex) != config.metrics_certificates.end();
}

void add_metrics_route(Router& router, std::function<std::shared_ptr<const Config>()> config) {
    router.add(
        "GET", "/metrics",
        [config = std::move(config)](const Request& request) {
            if (!may_read_metrics(request, config()->http)) {
                log::warn("https", "metrics refused to {} (certificate: {})", request.peer_ip,
                          request.client_certificate.presented ? log::sanitize(request.client_certificate.subject)
                                                               : "none");
                return Response::text(403, "Forbidden\n");
            }
            return Response::text(200, metrics::process().prometheus_text(), "text/plain; version=0.0.4; charset=utf-8")
                .set("Cache-Control", "no-store");
        },
        Run::Inline);
}

}  // namespace mss::http
