// libFuzzer target: the HTTP request parser (http/parse) on arbitrary bytes. Beyond "no crash": the
// input fed whole and fed in pieces (as TCP delivers it, the first byte choosing the piece size)
// is accepted or refused alike, once both are decided, and gives the same request; a parser never takes more than it was given; bodies
// stay within their bound; every refusal is one of the statuses the session knows how to answer.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/parse/request_parser.h"

namespace {

using mss::http::ParseLimits;
using mss::http::RequestParser;

constexpr ParseLimits kLimits{256, 2048, 4096};

struct Verdict {
    bool complete = false;
    int status = 0;  // of the refusal, 0 when none
    std::size_t used = 0;
    std::string method, path, query, body;
    std::size_t fields = 0;
};

Verdict finish(RequestParser& p, std::size_t used) {
    Verdict v;
    v.used = used;
    v.complete = p.complete();
    if (p.error()) v.status = p.error()->status;
    if (v.complete) {
        auto r = p.take();
        v.method = r.method, v.path = r.path, v.query = r.query, v.body = r.body, v.fields = r.fields.size();
    }
    return v;
}

Verdict whole(std::string_view input) {
    RequestParser p(kLimits);
    std::size_t used = p.feed(input);
    if (used > input.size()) __builtin_trap();
    return finish(p, used);
}

Verdict in_pieces(std::string_view input, std::size_t piece) {
    RequestParser p(kLimits);
    std::string held;
    std::size_t used = 0;
    for (std::size_t at = 0; at < input.size() && !p.complete() && !p.error(); at += piece) {
        held.append(input.substr(at, piece));
        std::size_t n = p.feed(held);
        if (n > held.size()) __builtin_trap();
        held.erase(0, n);
        used += n;
    }
    return finish(p, used);
}

bool known_refusal(int status) {
    for (int s : {400, 413, 414, 417, 431, 501, 505})
        if (status == s) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::size_t piece = 1 + data[0] % 64;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    Verdict a = whole(input);
    Verdict b = in_pieces(input, piece);
    // Beast refuses a bad request line at once when it has it whole, but once it had to wait for
    // more it waits for the end of the header section: the same garbage may then outgrow a bound
    // first (414 or 431 rather than 400). Refused or accepted must agree once both are decided.
    bool decided = (a.complete || a.status) && (b.complete || b.status);
    if (decided && a.complete != b.complete) __builtin_trap();
    if (a.complete && (a.used != b.used || a.method != b.method || a.path != b.path || a.query != b.query ||
                       a.body != b.body || a.fields != b.fields))
        __builtin_trap();
    if (a.status != 0 && !known_refusal(a.status)) __builtin_trap();
    if (a.body.size() > kLimits.max_body) __builtin_trap();
    if (a.complete) whole(input.substr(a.used));  // a pipelined request after it
    return 0;
}
