// Small checks on the DMP's vocabulary (INS shape and OIDs, visibility codes). Pure.
#include <algorithm>
#include <array>

#include "dmp/model.h"

namespace mss::dmp {

bool is_ins_oid(std::string_view oid) {
    return oid == kInsNirOid || oid == kInsNiaOid || oid == kInsNirTestOid || oid == kInsNiaTestOid;
}

bool ins_well_formed(std::string_view ins) {
    if (ins.size() != 15) return false;
    for (std::size_t i = 0; i < ins.size(); ++i) {
        char c = ins[i];
        bool corsica = i == 6 && (c == 'A' || c == 'B' || c == 'a' || c == 'b');
        if (!(c >= '0' && c <= '9') && !corsica) return false;
    }
    return true;
}

bool is_visibility_code(std::string_view code) {
    return code == kMasquePs || code == kInvisiblePatient || code == kInvisibleRepresentants;
}

bool Document::has_visibility(std::string_view code) const {
    return std::find(visibility.begin(), visibility.end(), code) != visibility.end();
}

bool DocumentSummary::has_visibility(std::string_view code) const {
    return std::find(visibility.begin(), visibility.end(), code) != visibility.end();
}

std::string to_string(Actor::Kind kind) {
    switch (kind) {
        case Actor::Kind::Professional: return "professional";
        case Actor::Kind::Feed: return "feed";
        case Actor::Kind::Operator: return "operator";
    }
    return "operator";
}

}  // namespace mss::dmp
