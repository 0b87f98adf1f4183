// Reads one HTTP/1.1 response (RFC 9112) from the bytes a server sent before closing, for mssd's own
// outbound HTTP (ITI-65 to a remote DMP): status, fields, a body framed by Content-Length, chunked or
// the connection's end, all through Boost.Beast's parser. Pure and bounded; trusts nothing it reads.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::http {

struct ClientResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

struct ResponseLimits {
    std::size_t max_header = 16384;
    uint64_t max_body = 4 * 1024 * 1024;
};

// The whole exchange's answer (the connection closed by the server after it), or Invalid naming why
// it cannot be read (truncated, malformed, past a bound).
Result<ClientResponse> parse_response(std::string_view bytes, const ResponseLimits& limits = {});

}  // namespace mss::http
