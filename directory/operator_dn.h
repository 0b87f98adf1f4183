// The whitelist rule of the space of trust (domain.md section 1): a peer's certificate subject must be
// the DNCertificatOperateur listed for the domain. Both sides are distinguished names in text form
// (RFC 4514 as OpenSSL prints them, or as the whitelist publishes them): compared as sets of
// attribute=value pairs, attribute types without case, values without case and with runs of spaces
// made one, escapes undone, whatever the order. Pure and bounded; trusts neither text.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mss::directory {

inline constexpr std::size_t kMaxDnLength = 4096;
inline constexpr std::size_t kMaxDnAttributes = 64;

// Sorted (TYPE, value) pairs, or nullopt for a text that is not a DN (empty part, no '=', a dangling
// escape, too long or too many parts).
using DnAttributes = std::vector<std::pair<std::string, std::string>>;
std::optional<DnAttributes> parse_dn(std::string_view text);

// True when both parse and name the same attributes.
bool same_operator_dn(std::string_view listed, std::string_view presented);

}  // namespace mss::directory
