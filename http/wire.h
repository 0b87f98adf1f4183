// A Response as bytes on the wire (RFC 9112 section 4 and 6): status line, the handler's fields,
// then the framing the session owns (Date, Content-Length, Connection). Pure; trusts handlers for
// content but not for framing: fields that could split a response are refused.
#pragma once
#include <ctime>
#include <string>

#include "http/message.h"

namespace mss::http {

struct Framing {
    bool head = false;   // answering HEAD: the fields of GET, no body
    bool close = false;  // the connection closes after this response
    std::time_t now = 0;
};

// Whether every field name is a token and no value holds CR, LF or NUL.
bool safe_fields(const Response& response);
std::string render(const Response& response, const Framing& framing);

}  // namespace mss::http
