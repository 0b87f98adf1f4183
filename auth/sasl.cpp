// SASL mechanism steps. Identities are capped at 255 octets, passwords at 1024 (RFC 4616 allows more;
// no real client needs it and it bounds the KDF's input).
#include "auth/sasl.h"

#include <algorithm>
#include <cctype>

#include "auth/jwt.h"
#include "core/base64.h"

namespace mss::auth {
namespace {
constexpr std::size_t kMaxIdentity = 255;
constexpr std::size_t kMaxPassword = 1024;
const std::string kUsername = "VXNlcm5hbWU6";  // "Username:"
const std::string kPassword = "UGFzc3dvcmQ6";  // "Password:"
constexpr char kSeparator = '\x01';  // RFC 7628's kvsep

// RFC 6750 section 2.1: "Bearer" (any case), one space, a b64token of at most kMaxTokenSize.
std::optional<std::string> bearer_token(std::string_view value) {
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size() || value.size() - kScheme.size() > kMaxTokenSize) return std::nullopt;
    for (std::size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return std::nullopt;
    std::string_view token = value.substr(kScheme.size());
    std::string_view body = token.substr(0, token.find_last_not_of('=') + 1);
    if (body.empty() || !std::all_of(body.begin(), body.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
                   c == '+' || c == '/';
        }))
        return std::nullopt;
    return std::string(token);
}

// RFC 5801 saslname: "=2C" for ',' and "=3D" for '='; any other '=' is malformed.
std::optional<std::string> sasl_name(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out += text[i];
            continue;
        }
        std::string_view escape = text.substr(i, 3);
        if (escape != "=2C" && escape != "=3D") return std::nullopt;
        out += escape == "=2C" ? ',' : '=';
        i += 2;
    }
    return out;
}
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
    } else if (mechanism == "OAUTHBEARER" || mechanism == "XOAUTH2") {
        result_.mechanism = mechanism == "XOAUTH2" ? SaslMechanism::XOAuth2 : SaslMechanism::OAuthBearer;
        challenge_ = "";
    } else {
        finish(SaslFailure::Unsupported);
        return;
    }
    if (initial) take(*initial == "=" ? std::string_view() : std::string_view(*initial));
}

void SaslExchange::respond(std::string_view line) {
    if (!challenge_) return;
    if (refusing_) return finish(SaslFailure::BadCredentials);
    if (line == "*") return finish(SaslFailure::Cancelled);
    take(line);
}

void SaslExchange::refuse_token(std::string_view error_json) {
    refusing_ = true;
    challenge_ = base64_encode(error_json);
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
        case SaslMechanism::OAuthBearer: return take_oauthbearer(*decoded);
        case SaslMechanism::XOAuth2: return take_xoauth2(*decoded);
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

namespace mss::auth {

// gs2-header kvsep *(key "=" value kvsep) kvsep (RFC 7628 section 3.1), where the gs2-header is
// "n" or "y" (no channel binding), ",", optionally "a=" authzid, ",".
void SaslExchange::take_oauthbearer(const std::string& decoded) {
    auto gs2_end = decoded.find(kSeparator);
    if (gs2_end == std::string::npos || decoded.back() != kSeparator) return finish(SaslFailure::Malformed);
    std::string_view gs2(decoded.data(), gs2_end);
    if (gs2.size() < 3 || (gs2[0] != 'n' && gs2[0] != 'y') || gs2[1] != ',' || gs2.back() != ',')
        return finish(SaslFailure::Malformed);
    std::string_view authzid = gs2.substr(2, gs2.size() - 3);
    if (!authzid.empty()) {
        auto name = authzid.starts_with("a=") ? sasl_name(authzid.substr(2)) : std::nullopt;
        if (!name || name->empty() || name->size() > kMaxIdentity) return finish(SaslFailure::Malformed);
        result_.authzid = std::move(*name);
    }
    std::string_view pairs(decoded);
    pairs = pairs.substr(gs2_end + 1, pairs.size() - gs2_end - 2);  // without the final kvsep
    std::optional<std::string> token;
    while (!pairs.empty()) {
        auto end = pairs.find(kSeparator);
        if (end == std::string_view::npos) return finish(SaslFailure::Malformed);
        std::string_view pair = pairs.substr(0, end);
        pairs.remove_prefix(end + 1);
        auto equals = pair.find('=');
        if (equals == 0 || equals == std::string_view::npos) return finish(SaslFailure::Malformed);
        if (pair.substr(0, equals) != "auth") continue;  // host, port: not needed
        if (token || !(token = bearer_token(pair.substr(equals + 1)))) return finish(SaslFailure::Malformed);
    }
    if (!token) return finish(SaslFailure::Malformed);
    result_.token = std::move(*token);
    finish();
}

// "user=" address ^A "auth=Bearer " token ^A ^A
void SaslExchange::take_xoauth2(const std::string& decoded) {
    std::string_view rest(decoded);
    if (!rest.starts_with("user=") || !rest.ends_with("\x01\x01")) return finish(SaslFailure::Malformed);
    rest = rest.substr(5, rest.size() - 7);
    auto split = rest.find(kSeparator);
    if (split == std::string_view::npos || split == 0 || split > kMaxIdentity) return finish(SaslFailure::Malformed);
    std::string_view auth = rest.substr(split + 1);
    auto token = auth.starts_with("auth=") ? bearer_token(auth.substr(5)) : std::nullopt;
    if (!token) return finish(SaslFailure::Malformed);
    result_.authzid = std::string(rest.substr(0, split));
    result_.token = std::move(*token);
    finish();
}

}  // namespace mss::auth
