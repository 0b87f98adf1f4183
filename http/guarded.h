// Routes for our users only (the directory's FHIR look-ups): a verified TLS client certificate (it
// chains to pki/trust.pem, is in its dates, not revoked) or HTTP Basic over TLS with the address and
// password of one of our accounts, checked by auth::Guard (the same lock-outs and delays as SMTP
// AUTH and IMAP LOGIN). Anything else is refused before the handler runs. Trusts the TLS layer's
// verdict and the guard; the Authorization field is the client's.
#pragma once
#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "auth/guard.h"
#include "core/config.h"
#include "http/router.h"
#include "store/store.h"

namespace mss::http {

struct GuardedServices {
    store::Store& store;
    asio::thread_pool& blocking;
    auth::Guard& guard;
    std::function<std::shared_ptr<const Config>()> config;
};

struct Guarding {
    std::string realm;                                                 // of WWW-Authenticate
    std::function<bool(const Config&)> anonymous_allowed;              // read at each request
    std::function<Response(int status, std::string_view why)> refusal;  // the body of 401, 403, 429, 503
};

// user and password of an "Authorization: Basic ..." value (RFC 7617), UTF-8; nothing when malformed.
struct BasicCredentials {
    std::string user, password;
};
std::optional<BasicCredentials> basic_credentials(std::string_view authorization);

// handler runs on the blocking pool once the request is let in.
void add_guarded_route(Router& router, std::string method, std::string prefix, Handler handler,
                       GuardedServices& services, Guarding guarding);

}  // namespace mss::http
