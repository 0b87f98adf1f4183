// Routing by method and path prefix, and the wire form of responses.
#include <doctest/doctest.h>

#include "http/json.h"
#include "http/router.h"
#include "http/wire.h"

using namespace mss::http;

namespace {

Handler says(std::string what) {
    return [what](const Request&) { return Response::text(200, what); };
}

std::string answer_of(const Router& router, std::string_view method, std::string_view path) {
    auto found = router.find(method, path);
    if (auto* r = std::get_if<Response>(&found)) return std::to_string(r->status);
    return std::get<const Router::Route*>(found)->handler(Request{}).body;
}

}  // namespace

TEST_CASE("longest prefix by whole path segments, then method") {
    Router router;
    router.add("GET", "/fhir/", says("fhir"));
    router.add("GET", "/fhir/Practitioner", says("practitioner"));
    router.add("POST", "/fhir/Practitioner", says("post practitioner"));
    router.add("GET", "/metrics", says("metrics"), Run::Inline);
    CHECK(answer_of(router, "GET", "/fhir/Organization") == "fhir");
    CHECK(answer_of(router, "GET", "/fhir/Practitioner") == "practitioner");
    CHECK(answer_of(router, "GET", "/fhir/Practitioner/123") == "practitioner");
    CHECK(answer_of(router, "POST", "/fhir/Practitioner") == "post practitioner");
    CHECK(answer_of(router, "GET", "/fhir/PractitionerRole") == "fhir");  // not a segment of /fhir/Practitioner
    CHECK(answer_of(router, "GET", "/metrics") == "metrics");
    CHECK(answer_of(router, "GET", "/metricsx") == "404");
    CHECK(answer_of(router, "GET", "/") == "404");
    CHECK(std::get<const Router::Route*>(router.find("GET", "/metrics"))->run == Run::Inline);
}

TEST_CASE("HEAD falls back to GET; other methods get 405 with Allow") {
    Router router;
    router.add("GET", "/metrics", says("metrics"));
    router.add("POST", "/fhir", says("post"));
    CHECK(answer_of(router, "HEAD", "/metrics") == "metrics");
    auto found = router.find("DELETE", "/metrics");
    auto* r = std::get_if<Response>(&found);
    REQUIRE(r);
    CHECK(r->status == 405);
    REQUIRE(r->fields.size() == 2);
    CHECK(r->fields[1].name == "Allow");
    CHECK(r->fields[1].value == "GET, HEAD");
    auto post_only = router.find("GET", "/fhir");
    CHECK(std::get<Response>(post_only).fields[1].value == "POST");
}

TEST_CASE("responses are framed by the session: Content-Length, Date, Connection") {
    auto text = render(Response::text(200, "hello").set("Content-Length", "999").set("X-A", "b"),
                       {false, false, 784111777});
    CHECK(text == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-A: b\r\n"
                  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 5\r\n\r\nhello");
    auto head = render(Response::text(200, "hello"), {true, true, 0});
    CHECK(head.find("Content-Length: 5\r\n") != std::string::npos);
    CHECK(head.find("Connection: close\r\n") != std::string::npos);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
    auto none = render(Response{204, {}, "dropped"}, {false, false, 0});
    CHECK(none.find("Content-Length") == std::string::npos);
    CHECK(none.find("dropped") == std::string::npos);
}

TEST_CASE("fields that could split a response are caught") {
    CHECK(safe_fields(Response::text(200, "x").set("Location", "/a")));
    CHECK_FALSE(safe_fields(Response::text(200, "x").set("Location", "/a\r\nSet-Cookie: s=1")));
    CHECK_FALSE(safe_fields(Response::text(200, "x").set("Bad Name", "v")));
    CHECK_FALSE(safe_fields(Response::text(200, "x").set("", "v")));
}

TEST_CASE("JSON answers survive text that is not UTF-8") {
    auto r = json(200, {{"resourceType", "Bundle"}, {"name", std::string("Fran\xe7ois")}});
    CHECK(r.fields[0].value == "application/json");
    CHECK(r.body == "{\"name\":\"Fran\xef\xbf\xbdois\",\"resourceType\":\"Bundle\"}");
}
