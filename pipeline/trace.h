// Authentication-Results (RFC 8601) with the S/MIME method (RFC 7281): the verdict a mail client
// shows, and the removal of every such field that claims our authserv-id, so that a sender cannot
// forge one (RFC 8601 section 5). Pure and linear in the message; trusts nothing in it.
#pragma once
#include <string>
#include <string_view>

namespace mss::pipeline {

struct SmimeResult {
    std::string result;      // RFC 7281 3: none, pass, fail, neutral, temperror, permerror, policy
    std::string comment;     // why, in words; made a safe RFC 5322 comment
    std::string identifier;  // body.smime-identifier: the signer's address ("" when none)
    std::string serial;      // body.smime-serial: the signer certificate's serial, hex
    std::string issuer;      // body.smime-issuer: its issuer's name (RFC 2253)
};

// The whole field, CRLF-terminated and folded: "Authentication-Results: host;\r\n\tsmime=pass (...) ...".
std::string authentication_results(std::string_view authserv_id, const SmimeResult& result);

// The message without the Authentication-Results fields of its header whose authserv-id is
// authserv_id in any spelling RFC 8601 section 5 makes equivalent (case, quoted string, quoted-pairs,
// trailing dot, comments and folding around it), nor those whose authserv-id cannot be read; nor the
// continuation lines that open a header, which would fold into the fields put on top of it. The body
// and every other field untouched. Given back as it came, without a copy, when it holds none of these
// (nearly always).
std::string without_our_results(std::string message, std::string_view authserv_id);

}  // namespace mss::pipeline
