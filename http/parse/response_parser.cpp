// The response side of Boost.Beast's HTTP/1.1 parser (see response_parser.h): fed the octets in one
// call, then told of the connection's end, so that a body without Content-Length ends there.
#include "http/parse/response_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

namespace mss::http {

namespace bhttp = boost::beast::http;

Result<ClientResponse> parse_response(std::string_view bytes, const ResponseLimits& limits) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header));
    parser.body_limit(limits.max_body);
    parser.eager(false);  // the header first: its Content-Length is checked before any body is read
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (used < bytes.size() && !parser.is_done()) {
        auto n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        if (ec == bhttp::error::need_more) break;
        if (ec) return fail(ErrorKind::Invalid, fmt::format("malformed HTTP response: {}", ec.message()));
        used += n;
        if (parser.is_header_done() && !parser.eager()) {
            // Beast's string body reserves the announced length before its own limit applies.
            if (auto length = parser.content_length(); length && *length > limits.max_body)
                return fail(ErrorKind::Invalid, fmt::format("the HTTP response's body is larger than {} octets", limits.max_body));
            parser.eager(true);
        } else if (n == 0) {
            break;
        }
    }
    if (!parser.is_header_done()) return fail(ErrorKind::Invalid, "the HTTP response ends within its header");
    if (!parser.is_done()) {
        ec = {};
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return fail(ErrorKind::Invalid, "the HTTP response ends before its end");
    }
    const auto& message = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(message.result_int());
    if (out.status < 100 || out.status > 599)  // three digits, but no HTTP status (RFC 9110 section 15)
        return fail(ErrorKind::Invalid, fmt::format("the HTTP response's status {} is none", out.status));
    if (auto type = message.find(bhttp::field::content_type); type != message.end())
        out.content_type = std::string(type->value());
    out.body = message.body();
    return out;
}

}  // namespace mss::http
