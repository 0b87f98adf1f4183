// The one HTTPS client mssd needs: fetching the issuer's key set and asking its introspection
// endpoint (RFC 7662). Blocking (libcurl's easy interface): callers run it on the blocking pool.
// Trusts the configured URL and trust anchors; bounds the time and the size of every answer.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"

namespace mss::auth {

struct HttpsRequest {
    std::string url;                            // https:// only
    std::filesystem::path ca_file;              // trust anchors; the system's when empty
    std::optional<std::string> form;            // POST application/x-www-form-urlencoded when set
    std::string user, password;                 // HTTP Basic when user is set (RFC 6749 section 2.3.1)
    std::chrono::seconds timeout{10};           // the whole exchange
    std::size_t max_body = 256 * 1024;          // a longer answer is an error
};

// The body of a 200 answer; Io with the reason otherwise (network, TLS, status, size).
Result<std::string> https_fetch(const HttpsRequest& request);

// application/x-www-form-urlencoded escaping of one value.
std::string form_escape(std::string_view value);

}  // namespace mss::auth
