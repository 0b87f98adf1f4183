// What an HTTP handler sees and answers: a parsed request (with the peer's address, its TLS client
// certificate verdict and its Authorization header) and a response to be framed by the session.
// Modules that serve HTTP include this and http/router.h only, never the session. Holds data only:
// everything in a Request came from the peer and is untrusted, but for peer_ip and client_certificate.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/peer_certificate.h"

namespace mss::http {

struct Field {
    std::string name;   // as received; compare without case
    std::string value;  // without surrounding whitespace
};

struct Request {
    std::string method;  // case-sensitive token, as sent (RFC 9110 section 9.1)
    std::string target;  // request-target as sent
    std::string path;    // its path, percent-decoded
    std::string query;   // its query, raw (after '?')
    int version = 11;    // 10 or 11
    std::vector<Field> fields;
    std::string body;    // the whole body, chunked coding removed

    // Set by the session from the connection, not by the parser.
    std::string peer_ip;
    tls::PeerCertificate client_certificate;

    // The first field of that name (any case), or nothing.
    std::optional<std::string_view> field(std::string_view name) const;
    // The first query parameter of that name, percent- and '+'-decoded (application/x-www-form-urlencoded).
    std::optional<std::string> query_param(std::string_view name) const;
    // The Authorization field (RFC 9110 section 11.6.2), for passwords and bearer tokens.
    std::optional<std::string_view> authorization() const { return field("Authorization"); }
};

struct Response {
    int status = 200;
    std::vector<Field> fields;  // Content-Length, Connection and Date are the session's
    std::string body;

    static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    Response& set(std::string name, std::string value);
};

// "%41b+c" -> "Ab c" when plus_is_space; nothing when an escape is malformed or decodes to NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// The reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status);

}  // namespace mss::http
