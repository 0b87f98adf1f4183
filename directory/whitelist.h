// The national whitelist of the space of trust ("liste blanche", domain.md sections 1 and 9): an
// XML file in namespace https://listeblanche.mssante.fr/schema, read with libxml2 without DTD,
// entities or network; a DOCTYPE refuses the file. Pure (bytes in, entries out), bounded.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::directory {

// One operator certificate allowed for one domain; a domain repeats once per certificate.
struct WhitelistEntry {
    std::string domain;       // Nom, lower case
    std::string operator_dn;  // DNCertificatOperateur
    std::string description;
    std::string responsible_contact, support_contact;
    std::string updated;      // DateMAJ as published
    bool operator==(const WhitelistEntry&) const = default;
};

struct Whitelist {
    std::string generated;  // DateDeGeneration
    std::vector<WhitelistEntry> entries;
};

inline constexpr std::size_t kMaxWhitelistOctets = 16 * 1024 * 1024;  // ~600 entries today: far below

// The whole file or an Error (Invalid) saying why it is refused.
Result<Whitelist> parse_whitelist(std::string_view xml);

}  // namespace mss::directory
