// SASL mechanism steps. Identities are capped at 255 octets, passwords at 1024 (RFC 4616 allows more;
// no real client needs it and it bounds the KDF's input).
#include "auth/sasl.h"

#include "core/base64.h"

namespace mss::auth {
namespace {
constexpr std::size_t kMaxIdentity = 255;
constexpr std::size_t kMaxPassword = 1024;
const std::string kUsername = "VXNlcm5hbWU6";  // "Username:"
const std::string kPassword = "UGFzc3dvcmQ6";  // "Password:"
}  // namespace

SaslExchange::SaslExchange(std::string_view mechanism, const std::optional<std::string>& initial) {
    if (mechanism == "PLAIN") {
        result_.mechanism = SaslMechanism::Plain;
        challenge_ = "";
    } else if (mechanism == "LOGIN") {
        result_.mechanism = SaslMechanism::Login;
        challenge_ = kUsername;
    } else if (mechanism == "EXTERNAL") {
        result_.mechanism = SaslMechanism::External;
        challenge_ = "";
    } else {
        finish(SaslFailure::Unsupported);
        return;
    }
    if (initial) take(*initial == "=" ? std::string_view() : std::string_view(*initial));
}

void SaslExchange::respond(std::string_view line) {
    if (!challenge_) return;
    if (line == "*") return finish(SaslFailure::Cancelled);
    take(line);
}

void SaslExchange::finish(SaslFailure failure) {
    challenge_.reset();
    result_.failure = failure;
}

void SaslExchange::take(std::string_view encoded) {
    auto decoded = base64_decode(encoded);
    if (!decoded) return finish(SaslFailure::Malformed);
    switch (result_.mechanism) {
        case SaslMechanism::Plain: return take_plain(*decoded);
        case SaslMechanism::External:
            if (decoded->size() > kMaxIdentity || decoded->find('\0') != std::string::npos)
                return finish(SaslFailure::BadCredentials);
            result_.authzid = *decoded;
            return finish();
        case SaslMechanism::Login:
            if (step_++ == 0) {
                if (decoded->size() > kMaxIdentity) return finish(SaslFailure::BadCredentials);
                result_.authcid = *decoded;
                challenge_ = kPassword;
                return;
            }
            if (decoded->size() > kMaxPassword) return finish(SaslFailure::BadCredentials);
            result_.password = *decoded;
            return finish();
    }
}

// message = [authzid] NUL authcid NUL passwd (RFC 4616 section 2)
void SaslExchange::take_plain(const std::string& decoded) {
    auto first = decoded.find('\0');
    auto second = first == std::string::npos ? first : decoded.find('\0', first + 1);
    if (second == std::string::npos || decoded.find('\0', second + 1) != std::string::npos)
        return finish(SaslFailure::Malformed);
    result_.authzid = decoded.substr(0, first);
    result_.authcid = decoded.substr(first + 1, second - first - 1);
    result_.password = decoded.substr(second + 1);
    if (result_.authcid.empty() || result_.authcid.size() > kMaxIdentity || result_.authzid.size() > kMaxIdentity ||
        result_.password.size() > kMaxPassword)
        return finish(SaslFailure::BadCredentials);
    // We authenticate as ourselves only: no proxy authorisation.
    if (!result_.authzid.empty() && result_.authzid != result_.authcid) return finish(SaslFailure::BadCredentials);
    finish();
}

}  // namespace mss::auth
