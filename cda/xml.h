// Hardened libxml2 parsing shared by the CDA and XDM readers: bounded size and depth, no network,
// no DTD, no entity substitution, and any DOCTYPE refused before libxml2 reads it, so that no
// entity declaration (XXE, billion laughs) is ever seen. Trusts nothing in the bytes.
#pragma once
#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cda/ack.h"

namespace mss::cda {

struct XmlLimits {
    std::size_t max_octets = 20 * 1024 * 1024;
    int max_depth = 128;  // element nesting; CDA level 3 bodies stay well under it
};

// What of the document becomes a tree. The whole document is always read and checked (well-formed,
// depth); a reader that needs only the top of a large subtree (the CDA header reader and the body)
// names the root's child element that opens it and how many levels of it to keep: below that,
// elements are checked and dropped, and no text inside the subtree is kept.
struct XmlKeep {
    std::string_view pruned_child;  // a local name; empty: keep everything
    int levels = 0;                 // the child itself is level 1
};

struct XmlDocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDoc = std::unique_ptr<xmlDoc, XmlDocFree>;

// what names the document in reasons ("METADATA.XML", "the CDA"). Refusals are 906.
Outcome<XmlDoc> parse_xml(std::string_view xml, std::string_view what, const XmlLimits& limits,
                          const XmlKeep& keep = {});

// Navigation helpers over parsed trees; ns is the element's namespace URI.
bool is_element(const xmlNode* n, std::string_view ns, std::string_view name);
const xmlNode* child(const xmlNode* n, std::string_view ns, std::string_view name);
std::vector<const xmlNode*> children(const xmlNode* n, std::string_view ns, std::string_view name);
// The node at the end of a path of child names (all in ns), or null.
const xmlNode* path(const xmlNode* n, std::string_view ns, std::initializer_list<std::string_view> names);
std::string attribute(const xmlNode* n, std::string_view name);
std::string text(const xmlNode* n);  // trimmed text content

}  // namespace mss::cda
