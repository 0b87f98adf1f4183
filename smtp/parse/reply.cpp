// Wire form of one SMTP reply line.
#include "smtp/parse/reply.h"

#include <string>

namespace mss::smtp {

std::string format_reply(const Reply& reply) {
    std::string out = std::to_string(reply.code);
    out += ' ';
    if (!reply.enhanced.empty()) {
        out += reply.enhanced;
        out += ' ';
    }
    out += reply.text;
    out += "\r\n";
    return out;
}

}  // namespace mss::smtp
