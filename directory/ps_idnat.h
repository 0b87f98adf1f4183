// The professional national identifier PS_IdNat (OID 1.2.250.1.71.4.2.1): "8" + 11-digit RPPS
// number with its Luhn check digit, or "0" + 9-character ADELI number. Trusts nothing it is given.
#pragma once
#include <string>
#include <string_view>

#include "core/result.h"

namespace mss::directory {

struct PsIdNat {
    enum class Type { Rpps, Adeli };
    Type type;
    std::string value;  // the full PS_IdNat, prefix included, e.g. "810001045367"
};

bool luhn_valid(std::string_view digits);
Result<PsIdNat> parse_ps_idnat(std::string_view text);

}  // namespace mss::directory
