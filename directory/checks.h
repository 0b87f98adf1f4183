// Identifier and address checks of the directory (domain.md sections 5 and 7): FINESS key, INS
// matricule key, mailbox address syntax. Pure functions; trust nothing they are given.
#pragma once
#include <string_view>

namespace mss::directory {

// A FINESS number: 9 characters, the département first (2A/2B for Corsica), the last a Luhn key
// over the nine, Corsica's letters read as "20" (see docs/directory.md on this reading).
bool finess_valid(std::string_view finess);

// An INS matricule: 13-character NIR (2A/2B allowed as the département) then its 2-digit key,
// 97 - NIR mod 97, the NIR of Corsica read with 2A as 19 and 2B as 18 (either case).
bool ins_valid(std::string_view matricule);

// A mailbox address as the directory lists it: an ASCII dot-atom local part (at most 64 octets),
// '@', a domain of LDH labels with at least one dot (at most 253 octets).
bool address_valid(std::string_view address);

}  // namespace mss::directory
