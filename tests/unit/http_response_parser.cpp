// The HTTP response reader of mssd's outbound HTTP: the three framings, and what it refuses (found
// by fuzz_http_response: a status that is none, a Content-Length past the bound announced up front).
#include <doctest/doctest.h>

#include "http/parse/response_parser.h"

using namespace mss::http;

TEST_CASE("a response framed by Content-Length, chunked, or the connection's end") {
    auto length = parse_response("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 2\r\n\r\n{}");
    REQUIRE(length.ok());
    CHECK(length->status == 200);
    CHECK(length->content_type == "application/fhir+json");
    CHECK(length->body == "{}");
    auto chunked = parse_response("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n");
    REQUIRE(chunked.ok());
    CHECK((chunked->status == 404 && chunked->body == "abc"));
    auto closed = parse_response("HTTP/1.0 500 Oops\r\n\r\nuntil the end");
    REQUIRE(closed.ok());
    CHECK((closed->status == 500 && closed->body == "until the end"));
}

TEST_CASE("truncated, malformed, past a bound, or no HTTP status: refused") {
    CHECK_FALSE(parse_response("").ok());
    CHECK_FALSE(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").ok());
    CHECK_FALSE(parse_response("HTTP/1.1 200 OK\r\nContent-Le").ok());
    CHECK_FALSE(parse_response("SMTP 220 hello\r\n\r\n").ok());
    CHECK_FALSE(parse_response("HTTP/1.1 004 Bad Request\r\nContent-Length: 0\r\n\r\n").ok());
    ResponseLimits small;
    small.max_body = 4;
    auto huge = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 666666666666667\r\n\r\nx", small);
    REQUIRE_FALSE(huge.ok());
    CHECK_MESSAGE(huge.error().message.find("body") != std::string::npos, huge.error().message);
    CHECK_FALSE(parse_response("HTTP/1.1 200 OK\r\n\r\n123456", small).ok());
}
