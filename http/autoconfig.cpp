// The clientConfig XML, written from our configuration (values XML-escaped all the same).
#include "http/autoconfig.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.h"

namespace mss::http {
namespace {

std::string xml_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string server(std::string_view element, std::string_view type, std::string_view hostname, uint16_t port,
                   std::string_view socket_type) {
    return fmt::format(R"(    <{0} type="{1}">
      <hostname>{2}</hostname>
      <port>{3}</port>
      <socketType>{4}</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </{0}>
)",
                       element, type, xml_escape(hostname), port, socket_type);
}

Response answer(const Request& request, const MailEndpoints& endpoints) {
    if (auto address = request.query_param("emailaddress")) {
        auto at = address->rfind('@');
        std::string domain = at == std::string::npos ? std::string() : ascii_lower(address->substr(at + 1));
        if (std::find(endpoints.domains.begin(), endpoints.domains.end(), domain) == endpoints.domains.end())
            return Response::text(404, "No configuration for this address here\n");
    }
    return Response::text(200, client_config_xml(endpoints), "application/xml; charset=utf-8")
        .set("Cache-Control", "max-age=3600");
}

}  // namespace

std::string client_config_xml(const MailEndpoints& e) {
    std::string provider = e.domains.empty() ? e.hostname : e.domains.front();
    std::string out = fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="{0}">
)",
                                  xml_escape(provider));
    for (const auto& d : e.domains) out += fmt::format("    <domain>{}</domain>\n", xml_escape(d));
    out += fmt::format("    <displayName>{0}</displayName>\n    <displayShortName>{0}</displayShortName>\n",
                       xml_escape(provider));
    out += server("incomingServer", "imap", e.hostname, e.imaps, "SSL");
    out += server("incomingServer", "imap", e.hostname, e.imap, "STARTTLS");
    out += server("outgoingServer", "smtp", e.hostname, e.submissions, "SSL");
    out += server("outgoingServer", "smtp", e.hostname, e.submission, "STARTTLS");
    out += "  </emailProvider>\n</clientConfig>\n";
    return out;
}

void add_autoconfig_routes(Router& router, std::function<MailEndpoints()> endpoints) {
    Handler handler = [endpoints = std::move(endpoints)](const Request& r) { return answer(r, endpoints()); };
    router.add("GET", "/mail/config-v1.1.xml", handler, Run::Inline);
    router.add("GET", "/.well-known/autoconfig/mail/config-v1.1.xml", handler, Run::Inline);
}

}  // namespace mss::http
