// SASL exchanges shared by SMTP AUTH (RFC 4954) and IMAP AUTHENTICATE (RFC 3501 6.2.2): PLAIN
// (RFC 4616), LOGIN, EXTERNAL (RFC 4422 appendix A), OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's). Pure: the session feeds client lines and sends
// the challenges; no I/O, no account lookups. Trusts nothing in the responses; each protocol maps
// a SaslFailure to its own reply.
#pragma once
#include <optional>
#include <string>
#include <string_view>


namespace mss::auth {

enum class SaslMechanism { Plain, Login, External, OAuthBearer, XOAuth2 };

enum class SaslFailure {
    None,
    Unsupported,     // unknown mechanism: SMTP 504 5.5.4, IMAP NO
    Cancelled,       // the client sent "*": SMTP 501 5.7.0, IMAP BAD
    Malformed,       // not base64, or a PLAIN message without its two NULs: SMTP 501 5.5.2, IMAP BAD
    BadCredentials,  // identities too long, proxy authorisation: SMTP 535 5.7.8, IMAP NO [AUTHENTICATIONFAILED]
};

struct SaslResult {
    SaslMechanism mechanism = SaslMechanism::Plain;
    std::string authzid;
    std::string authcid;
    std::string password;
    std::string token;  // OAUTHBEARER, XOAUTH2: the bearer token; authzid is then the mailbox asked for
    SaslFailure failure = SaslFailure::None;  // set when the exchange failed: refuse and stop
};

class SaslExchange {
public:
    // mechanism upper-cased by the parser; initial is the AUTH command's initial response ("=" = empty).
    SaslExchange(std::string_view mechanism, const std::optional<std::string>& initial);
    // The next challenge to send in a 334 reply (already base64), or nullopt once finished.
    const std::optional<std::string>& challenge() const { return challenge_; }
    void respond(std::string_view line);
    const SaslResult& result() const { return result_; }
    bool bearer() const {
        return result_.mechanism == SaslMechanism::OAuthBearer || result_.mechanism == SaslMechanism::XOAuth2;
    }
    // A refused token (RFC 7628 section 3.2.3; XOAUTH2 alike): the error status goes to the client as
    // one more challenge; whatever it answers ends the exchange with BadCredentials.
    void refuse_token(std::string_view error_json);

private:
    void take(std::string_view encoded);
    void take_plain(const std::string& decoded);
    void take_oauthbearer(const std::string& decoded);
    void take_xoauth2(const std::string& decoded);
    void finish(SaslFailure failure = SaslFailure::None);

    SaslResult result_;
    std::optional<std::string> challenge_;
    int step_ = 0;
    bool refusing_ = false;
};

}  // namespace mss::auth
