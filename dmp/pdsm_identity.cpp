// Reading who a PDSm request names (see pdsm_identity.h). Pure.
#include "dmp/pdsm_identity.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace mss::dmp {
namespace {

// "CN=810001045367,OU=IGC-SANTE TEST,O=...,C=FR" -> the value of one attribute (first occurrence).
std::string attribute(std::string_view subject, std::string_view name) {
    std::size_t start = 0;
    while (start < subject.size()) {
        std::size_t end = start;
        while (end < subject.size() && subject[end] != ',') end += subject[end] == '\\' ? 2 : 1;
        auto part = subject.substr(start, std::min(end, subject.size()) - start);
        if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
            return std::string(part.substr(name.size() + 1));
        start = end + 1;
    }
    return {};
}

bool looks_like_ps_idnat(std::string_view cn) {
    auto alnum = std::all_of(cn.begin(), cn.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    return alnum && ((cn.size() == 12 && cn[0] == '8') || (cn.size() == 10 && cn[0] == '0'));
}

}  // namespace

std::optional<Actor> actor_of_certificate(bool verified, std::string_view subject, std::string_view issuer,
                                          const ProfessionalAuthorities& authorities) {
    if (!verified) return std::nullopt;
    auto cn = attribute(subject, "CN");
    bool personal_authority = std::find(authorities.begin(), authorities.end(), issuer) != authorities.end();
    if (personal_authority && attribute(subject, "OU") == "IGC-SANTE TEST" && looks_like_ps_idnat(cn))
        return Actor{Actor::Kind::Professional, cn};
    return Actor{Actor::Kind::Feed, std::string(subject)};
}

std::string common_name(std::string_view subject) { return attribute(subject, "CN"); }

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    auto space = authorization.find(' ');
    if (space != 6 || ascii_lower(authorization.substr(0, 6)) != "bearer") return std::nullopt;
    auto token = authorization.substr(space + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    return token;
}

}  // namespace mss::dmp
