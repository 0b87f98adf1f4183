// FINESS and INS keys, address syntax. Pure.
#include "directory/checks.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "directory/ps_idnat.h"

namespace mss::directory {
namespace {

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

bool atext(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == '.' || atext(c); });
}

bool label(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
}

}  // namespace

bool finess_valid(std::string_view finess) {
    if (finess.size() != 9) return false;
    std::string read(finess);
    if (read[0] == '2' && (read[1] == 'A' || read[1] == 'B')) read[1] = '0';
    return digits(read) && luhn_valid(read);
}

bool ins_valid(std::string_view matricule) {
    if (matricule.size() != 15) return false;
    std::string nir(matricule.substr(0, 13));
    std::string_view key = matricule.substr(13);
    if (!digits(key)) return false;
    char corsica = static_cast<char>(nir[6] & ~0x20);  // addresses often arrive lower-cased: 2a, 2b
    if (nir[5] == '2' && (corsica == 'A' || corsica == 'B')) {
        nir[5] = '1';
        nir[6] = corsica == 'A' ? '9' : '8';
    }
    if (!digits(nir)) return false;
    uint64_t value = std::stoull(nir);
    unsigned expected = static_cast<unsigned>(97 - value % 97);
    return expected == static_cast<unsigned>((key[0] - '0') * 10 + (key[1] - '0'));
}

bool address_valid(std::string_view address) {
    auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at > 64) return false;
    std::string_view local = address.substr(0, at), domain = address.substr(at + 1);
    if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
    if (!dot_atom(local)) return false;
    for (std::size_t start = 0;;) {
        auto dot = domain.find('.', start);
        if (!label(domain.substr(start, dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

}  // namespace mss::directory
