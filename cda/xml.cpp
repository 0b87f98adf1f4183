// libxml2 behind a bounded, network-free, DTD-free parse. Pure.
#include "cda/xml.h"

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <mutex>

namespace mss::cda {
namespace {

void ignore_libxml2_message(void*, const char*, ...) {}

std::string trimmed(std::string_view m) {
    auto first = m.find_first_not_of(" \t\r\n"), last = m.find_last_not_of(" \t\r\n");
    return first == std::string_view::npos ? std::string() : std::string(m.substr(first, last - first + 1));
}

// The tree builder's own SAX2 handlers, wrapped: depth counted on the way (a document deeper than
// the bound stops the parse), and a pruned subtree's deeper elements and text never reach them.
struct Pruning {
    xmlSAXHandler tree;  // libxml2's tree builder, as the context had it
    XmlKeep keep;
    int max_depth = 0;
    int depth = 0;         // the open element's depth, the root being 1
    int subtree = 0;       // depth of the open pruned child (2), or 0
    int dropped_from = 0;  // depth of the outermost element dropped, or 0
    bool too_deep = false;
};

Pruning& pruning_of(void* ctx) { return *static_cast<Pruning*>(static_cast<xmlParserCtxtPtr>(ctx)->_private); }

void start_element(void* ctx, const xmlChar* local, const xmlChar* prefix, const xmlChar* uri, int nb_namespaces,
                   const xmlChar** namespaces, int nb_attributes, int nb_defaulted, const xmlChar** attributes) {
    Pruning& p = pruning_of(ctx);
    if (++p.depth > p.max_depth) {
        p.too_deep = true;
        xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
        return;
    }
    if (p.dropped_from) return;
    if (p.depth == 2 && !p.keep.pruned_child.empty() && reinterpret_cast<const char*>(local) == p.keep.pruned_child)
        p.subtree = 2;
    if (p.subtree && p.depth - p.subtree >= p.keep.levels) {
        p.dropped_from = p.depth;
        return;
    }
    p.tree.startElementNs(ctx, local, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted, attributes);
}

void end_element(void* ctx, const xmlChar* local, const xmlChar* prefix, const xmlChar* uri) {
    Pruning& p = pruning_of(ctx);
    int depth = p.depth--;
    if (p.dropped_from) {
        if (depth == p.dropped_from) p.dropped_from = 0;
        return;
    }
    if (depth == p.subtree) p.subtree = 0;
    p.tree.endElementNs(ctx, local, prefix, uri);
}

void characters(void* ctx, const xmlChar* text, int length) {
    Pruning& p = pruning_of(ctx);
    if (!p.subtree && p.tree.characters) p.tree.characters(ctx, text, length);
}

void whitespace(void* ctx, const xmlChar* text, int length) {
    Pruning& p = pruning_of(ctx);
    if (!p.subtree && p.tree.ignorableWhitespace) p.tree.ignorableWhitespace(ctx, text, length);
}

void comment(void* ctx, const xmlChar* text) {
    Pruning& p = pruning_of(ctx);
    if (!p.subtree && p.tree.comment) p.tree.comment(ctx, text);
}

void processing_instruction(void* ctx, const xmlChar* target, const xmlChar* data) {
    Pruning& p = pruning_of(ctx);
    if (!p.subtree && p.tree.processingInstruction) p.tree.processingInstruction(ctx, target, data);
}

struct ParserCtxtFree {
    void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

// The context's handlers wrapped (after its options, which may change them, are set).
void wrap_handlers(xmlSAXHandler& sax) {
    sax.startElementNs = start_element;
    sax.endElementNs = end_element;
    sax.characters = characters;
    sax.ignorableWhitespace = whitespace;
    sax.comment = comment;
    sax.processingInstruction = processing_instruction;
}

}  // namespace

Outcome<XmlDoc> parse_xml(std::string_view xml, std::string_view what, const XmlLimits& limits, const XmlKeep& keep) {
    if (xml.size() > limits.max_octets)
        return refuse(AckCode::Other, fmt::format("{} is larger than {} octets: refused unread", what, limits.max_octets));
    if (xml.find("<!DOCTYPE") != std::string_view::npos || xml.find("<!ENTITY") != std::string_view::npos)
        return refuse(AckCode::Other, fmt::format("{} holds a DOCTYPE or entity declaration: refused", what));
    if (xml.empty()) return refuse(AckCode::Other, fmt::format("{} is not well-formed XML: it is empty", what));
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });
    xmlSetGenericErrorFunc(nullptr, ignore_libxml2_message);
    std::unique_ptr<xmlParserCtxt, ParserCtxtFree> ctxt(xmlCreateMemoryParserCtxt(xml.data(), static_cast<int>(xml.size())));
    if (!ctxt) return refuse(AckCode::Other, fmt::format("{}: no memory to parse it", what));
    // No XML_PARSE_NOENT (entities never substituted), no XML_PARSE_DTDLOAD, no XML_PARSE_HUGE
    // (libxml2 keeps its own depth and text-node limits), no network. The bytes are read as UTF-8
    // whatever they declare (CI-SIS documents are UTF-8): in UTF-16 or UTF-7 a DOCTYPE would not be
    // the octets searched for above, and libxml2 would read its entity declarations.
    xmlCtxtUseOptions(ctxt.get(),
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC);
    if (xmlCharEncodingHandlerPtr utf8 = xmlFindCharEncodingHandler("UTF-8")) xmlSwitchToEncoding(ctxt.get(), utf8);
    Pruning pruning{*ctxt->sax, keep, limits.max_depth};
    wrap_handlers(*ctxt->sax);
    ctxt->_private = &pruning;
    xmlParseDocument(ctxt.get());
    XmlDoc doc(ctxt->myDoc);
    ctxt->myDoc = nullptr;
    if (pruning.too_deep)
        return refuse(AckCode::Other, fmt::format("{} nests elements deeper than {}", what, limits.max_depth));
    if (!ctxt->wellFormed || !doc) {
        const xmlError* e = xmlCtxtGetLastError(ctxt.get());
        return refuse(AckCode::Other, fmt::format("{} is not well-formed XML{}{}", what, e && e->message ? ": " : "",
                                                  e && e->message ? trimmed(e->message) : ""));
    }
    if (doc->intSubset || doc->extSubset) return refuse(AckCode::Other, fmt::format("{} holds a DOCTYPE: refused", what));
    if (!xmlDocGetRootElement(doc.get())) return refuse(AckCode::Other, fmt::format("{} has no root element", what));
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
