// Mailbox names on the wire: quoting and LIST wildcard matching (iterative, with a memo table so a
// pattern of many "*" cannot take exponential time).
#include "imap/names.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "imap/parse/mutf7.h"

namespace mss::imap {

std::string quoted_mailbox(std::string_view name, NameEncoding encoding) {
    std::string out = "\"";
    std::string wire = encoding == NameEncoding::Utf8 ? std::string(name) : mutf7_encode(name);
    for (char c : wire) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

bool list_match(std::string_view pattern, std::string_view name) {
    // can[j] after processing i pattern characters: pattern[0..i) matches name[0..j).
    std::vector<char> can(name.size() + 1, 0), next(name.size() + 1, 0);
    can[0] = 1;
    for (char p : pattern) {
        std::fill(next.begin(), next.end(), 0);
        for (std::size_t j = 0; j <= name.size(); ++j) {
            if (!can[j]) continue;
            if (p == '*' || p == '%') {
                for (std::size_t k = j; k <= name.size(); ++k) {
                    next[k] = 1;
                    if (k < name.size() && p == '%' && name[k] == '/') break;
                }
            } else if (j < name.size() && name[j] == p) {
                next[j + 1] = 1;
            }
        }
        can.swap(next);
    }
    return can[name.size()] != 0;
}

std::string uid_set(const std::vector<uint32_t>& ascending) {
    std::string out;
    for (std::size_t i = 0; i < ascending.size();) {
        std::size_t j = i;
        while (j + 1 < ascending.size() && ascending[j + 1] == ascending[j] + 1) ++j;
        out += out.empty() ? "" : ",";
        out += i == j ? std::to_string(ascending[i]) : fmt::format("{}:{}", ascending[i], ascending[j]);
        i = j + 1;
    }
    return out;
}

}  // namespace mss::imap
