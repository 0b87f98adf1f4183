// PS_IdNat syntax and RPPS check digit (domain.md section 5).
#include "directory/ps_idnat.h"

#include <algorithm>
#include <cctype>

namespace mss::directory {

bool luhn_valid(std::string_view digits) {
    if (digits.empty()) return false;
    int sum = 0;
    bool twice = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (!std::isdigit(static_cast<unsigned char>(*it))) return false;
        int d = *it - '0';
        if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
        twice = !twice;
    }
    return sum % 10 == 0;
}

Result<PsIdNat> parse_ps_idnat(std::string_view text) {
    auto all_digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    if (text.size() == 12 && text[0] == '8' && all_digits(text)) {
        if (!luhn_valid(text.substr(1)))
            return fail(ErrorKind::Invalid, "PS_IdNat: the RPPS number's check digit is wrong");
        return PsIdNat{PsIdNat::Type::Rpps, std::string(text)};
    }
    if (text.size() == 10 && text[0] == '0' &&
        std::all_of(text.begin() + 1, text.end(), [](unsigned char c) { return std::isalnum(c); }))
        return PsIdNat{PsIdNat::Type::Adeli, std::string(text)};
    return fail(ErrorKind::Invalid, "PS_IdNat must be 8 + an 11-digit RPPS number or 0 + a 9-character ADELI number");
}

}  // namespace mss::directory
