// Splitting and decoding a JWS: lengths checked before decoding, JSON depth before parsing, so
// that neither memory nor recursion grows beyond a small multiple of kMaxTokenSize.
#include "auth/jwt.h"

#include <array>

#include "core/json_depth.h"

namespace mss::auth {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> decoding_table() {
    std::array<int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<unsigned char>(kAlphabet[i])] = int8_t(i);
    return table;
}
constexpr auto kDecoding = decoding_table();

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        int8_t v = kDecoding[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | uint32_t(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(char((bits >> count) & 0xFF));
        }
    }
    if (bits & ((1u << count) - 1)) return std::nullopt;  // leftover bits must be zero
    return out;
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (unsigned char b : bytes) {
        bits = (bits << 8) | b;
        count += 8;
        while (count >= 6) {
            count -= 6;
            out.push_back(kAlphabet[(bits >> count) & 0x3F]);
        }
    }
    if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
    return out;
}

std::optional<nlohmann::json> parse_json_object(std::string_view text) {
    if (json_depth(text, kMaxJsonDepth) > kMaxJsonDepth) return std::nullopt;
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    return json;
}

Result<Jws> parse_jws(std::string_view token) {
    if (token.size() > kMaxTokenSize) return fail(ErrorKind::Invalid, "token too long");
    auto first = token.find('.');
    auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return fail(ErrorKind::Invalid, "not a JWS compact serialization (three parts)");
    auto header_text = base64url_decode(token.substr(0, first));
    auto claims_text = base64url_decode(token.substr(first + 1, second - first - 1));
    auto signature = base64url_decode(token.substr(second + 1));
    if (!header_text || !claims_text || !signature) return fail(ErrorKind::Invalid, "a part is not base64url");
    auto header = parse_json_object(*header_text);
    if (!header) return fail(ErrorKind::Invalid, "the header is not a JSON object");
    auto claims = parse_json_object(*claims_text);
    if (!claims) return fail(ErrorKind::Invalid, "the claims are not a JSON object");
    auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string()) return fail(ErrorKind::Invalid, "the header has no alg");
    if (header->contains("crit")) return fail(ErrorKind::Invalid, "the header has critical extensions");
    Jws jws;
    jws.alg = alg->get<std::string>();
    if (auto kid = header->find("kid"); kid != header->end()) {
        if (!kid->is_string()) return fail(ErrorKind::Invalid, "the header's kid is not a string");
        jws.kid = kid->get<std::string>();
    }
    jws.claims = std::move(*claims);
    jws.signing_input = std::string(token.substr(0, second));
    jws.signature = std::move(*signature);
    return jws;
}

}  // namespace mss::auth
