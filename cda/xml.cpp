// libxml2 behind a bounded, network-free, DTD-free parse. Pure.
#include "cda/xml.h"

#include <fmt/format.h>
#include <libxml/parser.h>

#include <mutex>

namespace mss::cda {
namespace {

void ignore_libxml2_message(void*, const char*, ...) {}

std::string trimmed(std::string_view m) {
    auto first = m.find_first_not_of(" \t\r\n"), last = m.find_last_not_of(" \t\r\n");
    return first == std::string_view::npos ? std::string() : std::string(m.substr(first, last - first + 1));
}

// Depth of the element tree, walked without recursion; stops once past limit.
bool deeper_than(const xmlNode* root, int limit) {
    if (!root->children) return false;
    int depth = 1;
    const xmlNode* n = root;
    for (;;) {
        if (n->type == XML_ELEMENT_NODE && n->children) {
            if (++depth > limit) return true;
            n = n->children;
            continue;
        }
        while (!n->next) {
            n = n->parent;
            --depth;
            if (n == root) return false;
        }
        n = n->next;
    }
}

}  // namespace

Outcome<XmlDoc> parse_xml(std::string_view xml, std::string_view what, const XmlLimits& limits) {
    if (xml.size() > limits.max_octets)
        return refuse(AckCode::Other, fmt::format("{} is larger than {} octets: refused unread", what, limits.max_octets));
    if (xml.find("<!DOCTYPE") != std::string_view::npos || xml.find("<!ENTITY") != std::string_view::npos)
        return refuse(AckCode::Other, fmt::format("{} holds a DOCTYPE or entity declaration: refused", what));
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });
    xmlSetGenericErrorFunc(nullptr, ignore_libxml2_message);
    // No XML_PARSE_NOENT (entities never substituted), no XML_PARSE_DTDLOAD, no XML_PARSE_HUGE
    // (libxml2 keeps its own depth and text-node limits), no network. The bytes are read as UTF-8
    // whatever they declare (CI-SIS documents are UTF-8): in UTF-16 or UTF-7 a DOCTYPE would not be
    // the octets searched for above, and libxml2 would read its entity declarations.
    const int options =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC;
    XmlDoc doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "document.xml", "UTF-8", options));
    if (!doc) {
        const xmlError* e = xmlGetLastError();
        return refuse(AckCode::Other, fmt::format("{} is not well-formed XML{}{}", what, e && e->message ? ": " : "",
                                                  e && e->message ? trimmed(e->message) : ""));
    }
    if (doc->intSubset || doc->extSubset) return refuse(AckCode::Other, fmt::format("{} holds a DOCTYPE: refused", what));
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (!root) return refuse(AckCode::Other, fmt::format("{} has no root element", what));
    if (deeper_than(root, limits.max_depth))
        return refuse(AckCode::Other, fmt::format("{} nests elements deeper than {}", what, limits.max_depth));
    return doc;
}

bool is_element(const xmlNode* n, std::string_view ns, std::string_view name) {
    if (!n || n->type != XML_ELEMENT_NODE || reinterpret_cast<const char*>(n->name) != name) return false;
    std::string_view href = n->ns && n->ns->href ? reinterpret_cast<const char*>(n->ns->href) : "";
    return href == ns;
}

const xmlNode* child(const xmlNode* n, std::string_view ns, std::string_view name) {
    for (const xmlNode* c = n ? n->children : nullptr; c; c = c->next)
        if (is_element(c, ns, name)) return c;
    return nullptr;
}

std::vector<const xmlNode*> children(const xmlNode* n, std::string_view ns, std::string_view name) {
    std::vector<const xmlNode*> out;
    for (const xmlNode* c = n ? n->children : nullptr; c; c = c->next)
        if (is_element(c, ns, name)) out.push_back(c);
    return out;
}

const xmlNode* path(const xmlNode* n, std::string_view ns, std::initializer_list<std::string_view> names) {
    for (auto name : names) n = child(n, ns, name);
    return n;
}

std::string attribute(const xmlNode* n, std::string_view name) {
    if (!n) return {};
    std::string key(name);
    xmlChar* v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(key.c_str()));
    std::string out = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return out;
}

std::string text(const xmlNode* n) {
    if (!n) return {};
    xmlChar* content = xmlNodeGetContent(n);
    std::string out = content ? trimmed(reinterpret_cast<const char*>(content)) : "";
    xmlFree(content);
    return out;
}

}  // namespace mss::cda
