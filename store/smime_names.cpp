// Names of the S/MIME usages and key custodies as operators type them (mssctl) and as stored.
#include "store/store.h"

#include "core/text.h"

namespace mss::store {

std::string_view to_string(SmimeUsage usage) { return usage == SmimeUsage::Signing ? "sign" : "encryption"; }

std::string sealing_label(std::string_view address, SmimeUsage usage) {
    return std::string(to_string(usage)) + ":" + ascii_lower(address);
}

std::string_view to_string(KeyCustody custody) { return custody == KeyCustody::Server ? "server" : "client"; }

std::optional<KeyCustody> key_custody_from(std::string_view text) {
    for (auto c : {KeyCustody::Server, KeyCustody::Client})
        if (text == to_string(c)) return c;
    return std::nullopt;
}

}  // namespace mss::store
