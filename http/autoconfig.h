// Mail-client autoconfiguration (Thunderbird's clientConfig 1.1, domain.md section 9): tells a
// client setting up an address of our domains where our IMAP and submission listeners are. Answers
// from the configuration only; the address asked about is untrusted and only its domain is used.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/router.h"

namespace mss::http {

struct MailEndpoints {
    std::string hostname;              // what clients connect to
    std::vector<std::string> domains;  // ours; the first names the provider
    uint16_t imaps = 993, imap = 143, submissions = 465, submission = 587;
};

// The clientConfig document: IMAP over implicit TLS then STARTTLS, submission likewise, with
// password-cleartext (inside TLS) and the whole address as user name.
std::string client_config_xml(const MailEndpoints& endpoints);

// GET /mail/config-v1.1.xml?emailaddress=ADDR (https://autoconfig.<domain>/...) and
// GET /.well-known/autoconfig/mail/config-v1.1.xml (https://<domain>/...): 404 for another domain's address.
void add_autoconfig_routes(Router& router, std::function<MailEndpoints()> endpoints);

}  // namespace mss::http
