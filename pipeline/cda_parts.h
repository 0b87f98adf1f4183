// Which parts of a submitted message carry CDA documents (issue 12): an IHE_XDM.ZIP attachment or a
// bare CDA XML attachment, told by the MIME part's name and type alone, so that intake decides
// cheaply whether the message needs filing; the filing worker then takes the parts' decoded octets.
// Pure and bounded by mime::parse_structure's limits; trusts nothing in the message.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mss::pipeline {

struct AttachedPart {
    std::string filename;      // as the part names it ("" when it has none)
    std::string content_type;  // "type/subtype", lower case
    std::string octets;        // Content-Transfer-Encoding removed
    bool xdm = false;          // IHE_XDM.ZIP
    bool cda = false;          // a bare CDA document (an XML attachment)
};

// True when a leaf part other than the message itself is named IHE_XDM.ZIP, or is an XML attachment
// (named *.xml, or typed text/xml, application/xml or application/hl7-v3+xml). Reads headers only.
bool carries_cda(std::string_view message);

// Every attachment (a leaf part with a file name, or an XDM/CDA part), decoded, in message order.
std::vector<AttachedPart> attached_parts(std::string_view message);

}  // namespace mss::pipeline
