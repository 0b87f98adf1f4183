// The MIME scan for CDA attachments (see cda_parts.h): names and types from the part tree, octets
// decoded only when asked.
#include "pipeline/cda_parts.h"

#include "core/text.h"
#include "mime/bodystructure.h"
#include "mime/structure.h"

namespace mss::pipeline {
namespace {

std::string param(const std::vector<mime::Param>& params, std::string_view name) {
    for (const auto& p : params)
        if (ascii_lower(p.name) == name) return p.value;
    return {};
}

std::string filename_of(const mime::Part& part) {
    auto name = param(part.disposition_params, "filename");
    return name.empty() ? param(part.params, "name") : name;
}

struct Kind {
    bool xdm = false, cda = false;
};

Kind kind_of(const mime::Part& part) {
    auto name = ascii_lower(filename_of(part));
    auto type = ascii_lower(part.type + "/" + part.subtype);
    Kind k;
    k.xdm = name == "ihe_xdm.zip";
    k.cda = !k.xdm && (name.ends_with(".xml") || type == "text/xml" || type == "application/xml" ||
                       type == "application/hl7-v3+xml");
    return k;
}

template <class Visit>
void each_leaf(const mime::Part& part, bool root, Visit& visit) {
    if (part.kind == mime::PartKind::Multipart) {
        for (const auto& child : part.children) each_leaf(child, false, visit);
        return;
    }
    if (part.kind == mime::PartKind::Leaf && !root) visit(part);
}

}  // namespace

bool carries_cda(std::string_view message) {
    auto tree = mime::parse_structure(message);
    bool found = false;
    auto visit = [&](const mime::Part& part) {
        auto k = kind_of(part);
        found = found || k.xdm || k.cda;
    };
    each_leaf(tree, true, visit);
    return found;
}

std::vector<AttachedPart> attached_parts(std::string_view message) {
    auto tree = mime::parse_structure(message);
    std::vector<AttachedPart> out;
    auto visit = [&](const mime::Part& part) {
        auto k = kind_of(part);
        auto name = filename_of(part);
        if (name.empty() && !k.xdm && !k.cda) return;
        auto body = message.substr(part.body_start, part.end - part.body_start);
        auto encoding = ascii_lower(part.encoding.value_or(""));
        std::string octets = encoding == "base64"             ? mime::decode_base64(body)
                             : encoding == "quoted-printable" ? mime::decode_quoted_printable(body)
                                                              : std::string(body);
        out.push_back({name, ascii_lower(part.type + "/" + part.subtype), std::move(octets), k.xdm, k.cda});
    };
    each_leaf(tree, true, visit);
    return out;
}

}  // namespace mss::pipeline
