// Who may call a guarded route: certificate first (no password needed), then Basic through the
// guard; 401 with a challenge when neither is offered, 403 for a certificate the TLS layer refused.
#include "http/guarded.h"

#include "core/base64.h"
#include "core/blocking.h"
#include "core/log.h"
#include "core/text.h"

namespace mss::http {
namespace {

constexpr std::string_view kWhere = "https";

std::string challenge(const std::string& realm) { return fmt::format("Basic realm=\"{}\", charset=\"UTF-8\"", realm); }

// The answer when the request may not go on, or nothing when it may.
asio::awaitable<std::optional<Response>> admit(const Request& request, GuardedServices& services,
                                               const Guarding& guarding) {
    auto config = services.config();
    auto refuse = [&](int status, std::string why) -> std::optional<Response> {
        log::info(kWhere, "{} {} refused to {}: {}", request.method, log::sanitize(request.path), request.peer_ip, why);
        Response r = guarding.refusal(status, why);
        if (status == 401) r.set("WWW-Authenticate", challenge(guarding.realm));
        if (status == 429 || status == 503) r.set("Retry-After", "60");
        return r;
    };
    const auto& cert = request.client_certificate;
    if (cert.verified) co_return std::nullopt;
    auto authorization = request.authorization();
    if (!authorization) {
        if (cert.presented) co_return refuse(403, fmt::format("client certificate refused ({})", cert.reason));
        if (guarding.anonymous_allowed(*config)) co_return std::nullopt;
        co_return refuse(401, "no credentials");
    }
    auto basic = basic_credentials(*authorization);
    if (!basic) co_return refuse(401, "an Authorization field that is not Basic user:password");
    auth::PasswordRequest check{services.store, services.blocking, *config, request.peer_ip, basic->user,
                                basic->password};
    auto checking = services.guard.check_password(check);
    auth::PasswordCheck result = co_await std::move(checking);
    switch (result.outcome) {
        case auth::PasswordOutcome::Granted: co_return std::nullopt;
        case auth::PasswordOutcome::Refused:
            co_return refuse(401, fmt::format("wrong password for {}", log::sanitize(basic->user)));
        case auth::PasswordOutcome::LockedOut:
            co_return refuse(429, "too many failed sign-ins: locked out for a while");
        case auth::PasswordOutcome::Busy: co_return refuse(503, "too many password checks queued");
    }
    co_return refuse(401, "refused");
}

}  // namespace

std::optional<BasicCredentials> basic_credentials(std::string_view authorization) {
    auto space = authorization.find(' ');
    if (space == std::string_view::npos || ascii_lower(std::string(authorization.substr(0, space))) != "basic")
        return std::nullopt;
    auto token = authorization.substr(space + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    auto decoded = base64_decode(token);
    if (!decoded) return std::nullopt;
    auto colon = decoded->find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

void add_guarded_route(Router& router, std::string method, std::string prefix, Handler handler,
                       GuardedServices& services, Guarding guarding) {
    router.add_async(std::move(method), std::move(prefix),
                     [&services, guarding = std::move(guarding), handler = std::move(handler)](
                         const Request& request) -> asio::awaitable<Response> {
                         auto admitting = admit(request, services, guarding);
                         std::optional<Response> refused = co_await std::move(admitting);
                         if (refused) co_return std::move(*refused);
                         auto work = run_blocking(services.blocking, [&handler, &request] { return handler(request); });
                         co_return co_await std::move(work);
                     });
}

}  // namespace mss::http
