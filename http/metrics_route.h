// GET /metrics for Prometheus: the process's counters (core/metrics.h), to the clients the
// configuration names ([http] metrics_clients by IP address, metrics_certificates by the SHA-256 of
// a verified TLS client certificate). Everyone else gets 403.
#pragma once
#include <functional>
#include <memory>

#include "core/config.h"
#include "http/router.h"

namespace mss::http {

// Whether this request's peer may read the metrics under that configuration.
bool may_read_metrics(const Request& request, const HttpConfig& config);

void add_metrics_route(Router& router, std::function<std::shared_ptr<const Config>()> config);

}  // namespace mss::http
