// The layer's own routes: the clientConfig document and who may read /metrics.
#include <doctest/doctest.h>

#include "core/metrics.h"
#include "http/autoconfig.h"
#include "http/metrics_route.h"

using namespace mss::http;

TEST_CASE("clientConfig names our host, both IMAP and both submission ports") {
    MailEndpoints e{"mail.test.mssante.fr", {"test.mssante.fr", "autre.mssante.fr"}, 993, 143, 465, 587};
    auto xml = client_config_xml(e);
    CHECK(xml.find("<emailProvider id=\"test.mssante.fr\">") != std::string::npos);
    CHECK(xml.find("<domain>autre.mssante.fr</domain>") != std::string::npos);
    CHECK(xml.find("<hostname>mail.test.mssante.fr</hostname>\n      <port>993</port>\n      "
                   "<socketType>SSL</socketType>") != std::string::npos);
    CHECK(xml.find("<port>587</port>\n      <socketType>STARTTLS</socketType>") != std::string::npos);
    CHECK(xml.find("<username>%EMAILADDRESS%</username>") != std::string::npos);
    CHECK(xml.find("<authentication>password-cleartext</authentication>") != std::string::npos);
    e.hostname = "a<b";
    CHECK(client_config_xml(e).find("<hostname>a&lt;b</hostname>") != std::string::npos);
}

TEST_CASE("autoconfig answers for our domains only") {
    Router router;
    add_autoconfig_routes(router, [] { return MailEndpoints{"h", {"test.mssante.fr"}}; });
    auto run = [&](std::string query) {
        Request r;
        r.query = std::move(query);
        return std::get<const Router::Route*>(router.find("GET", "/mail/config-v1.1.xml"))->handler(r).status;
    };
    CHECK(run("emailaddress=jean.dupont%40TEST.mssante.fr") == 200);
    CHECK(run("emailaddress=jean.dupont%40gmail.com") == 404);
    CHECK(run("emailaddress=nobody") == 404);
    CHECK(run("") == 200);
}

TEST_CASE("metrics: listed IP addresses, or a verified certificate of a listed fingerprint") {
    mss::HttpConfig c;
    Request r;
    r.peer_ip = "127.0.0.1";
    CHECK(may_read_metrics(r, c));
    r.peer_ip = "::ffff:127.0.0.1";
    CHECK(may_read_metrics(r, c));
    r.peer_ip = "127.0.0.2";
    CHECK_FALSE(may_read_metrics(r, c));
    r.client_certificate.presented = true;
    r.client_certificate.sha256_hex = std::string(64, 'a');
    c.metrics_certificates = {std::string(64, 'a')};
    CHECK_FALSE(may_read_metrics(r, c));  // presented but not verified: grants nothing
    r.client_certificate.verified = true;
    CHECK(may_read_metrics(r, c));
    c.metrics_certificates = {std::string(64, 'b')};
    CHECK_FALSE(may_read_metrics(r, c));
}

TEST_CASE("Prometheus text: HELP, TYPE, escaped label values") {
    mss::metrics::Registry registry;
    ++registry.counter("mssd_x_total", "Things\ncounted", {{"listener", "a\"b"}});
    registry.gauge("mssd_open", "Open now") = 3;
    CHECK(registry.prometheus_text() ==
          "# HELP mssd_open Open now\n# TYPE mssd_open gauge\nmssd_open 3\n"
          "# HELP mssd_x_total Things\\ncounted\n# TYPE mssd_x_total counter\nmssd_x_total{listener=\"a\\\"b\"} 1\n");
}
