// SASL exchanges for SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN, EXTERNAL (RFC 4422 appendix A).
// Pure: the session feeds client lines and sends the challenges; no I/O, no account lookups.
// Trusts nothing in the responses: bad base64, "*" cancels, oversize fields all end with a Reply.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "smtp/parse/reply.h"

namespace mss::smtp {

enum class SaslMechanism { Plain, Login, External };

struct SaslResult {
    SaslMechanism mechanism = SaslMechanism::Plain;
    std::string authzid;
    std::string authcid;
    std::string password;
    std::optional<Reply> reply;  // set when the exchange failed (501, 504, 535): say it and stop
};

class SaslExchange {
public:
    // mechanism upper-cased by the parser; initial is the AUTH command's initial response ("=" = empty).
    SaslExchange(std::string_view mechanism, const std::optional<std::string>& initial);
    // The next challenge to send in a 334 reply (already base64), or nullopt once finished.
    const std::optional<std::string>& challenge() const { return challenge_; }
    void respond(std::string_view line);
    const SaslResult& result() const { return result_; }

private:
    void take(std::string_view encoded);
    void take_plain(const std::string& decoded);
    void finish(std::optional<Reply> reply = std::nullopt);

    SaslResult result_;
    std::optional<std::string> challenge_;
    int step_ = 0;
};

}  // namespace mss::smtp
