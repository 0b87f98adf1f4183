// Whitelist XML through libxml2: no DTD loaded, no entity substituted, no network, and any DOCTYPE
// refused before libxml2 sees the file, so no entity declaration is ever read. Pure.
#include "directory/whitelist.h"

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include "core/text.h"
#include "directory/checks.h"

namespace mss::directory {
namespace {

constexpr std::string_view kNamespace = "https://listeblanche.mssante.fr/schema";

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

std::string_view name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

bool is(const xmlNode* n, std::string_view name) {
    return n->type == XML_ELEMENT_NODE && name_of(n) == name && n->ns && n->ns->href &&
           std::string_view(reinterpret_cast<const char*>(n->ns->href)) == kNamespace;
}

std::string text_of(const xmlNode* n) {
    xmlChar* content = xmlNodeGetContent(n);
    std::string out = content ? reinterpret_cast<const char*>(content) : "";
    xmlFree(content);
    auto first = out.find_first_not_of(" \t\r\n"), last = out.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
}

Result<WhitelistEntry> entry_of(const xmlNode* domaine, int index) {
    WhitelistEntry e;
    std::pair<std::string_view, std::string*> fields[] = {
        {"Nom", &e.domain}, {"Description", &e.description}, {"DNCertificatOperateur", &e.operator_dn},
        {"ResponsableContact", &e.responsible_contact}, {"SupportContact", &e.support_contact},
        {"DateMAJ", &e.updated}};
    for (const xmlNode* c = domaine->children; c; c = c->next)
        for (auto& [name, field] : fields)
            if (is(c, name)) *field = text_of(c);
    e.domain = ascii_lower(e.domain);
    if (!address_valid("postmaster@" + e.domain))
        return fail(ErrorKind::Invalid, fmt::format("Domaine {}: Nom \"{}\" is not a domain name", index, e.domain));
    if (e.operator_dn.empty())
        return fail(ErrorKind::Invalid, fmt::format("Domaine {} ({}): no DNCertificatOperateur", index, e.domain));
    return e;
}

Result<Whitelist> read(const xmlNode* root) {
    if (!root || !is(root, "ListeBlancheMSSante"))
        return fail(ErrorKind::Invalid, fmt::format("the root is not ListeBlancheMSSante in namespace {}", kNamespace));
    Whitelist w;
    std::set<std::pair<std::string, std::string>> seen;
    int index = 0;
    for (const xmlNode* c = root->children; c; c = c->next) {
        if (is(c, "DateDeGeneration")) w.generated = text_of(c);
        if (!is(c, "ListeDomaines")) continue;
        for (const xmlNode* d = c->children; d; d = d->next) {
            if (!is(d, "Domaine")) continue;
            auto e = entry_of(d, ++index);
            if (!e) return e.error();
            if (!seen.emplace(e->domain, e->operator_dn).second)
                return fail(ErrorKind::Invalid, fmt::format("Domaine {}: {} listed twice with the same certificate DN",
                                                            index, e->domain));
            w.entries.push_back(std::move(e).value());
        }
    }
    if (w.entries.empty()) return fail(ErrorKind::Invalid, "no Domaine: an empty whitelist would shut out every operator");
    return w;
}

void ignore_libxml2_message(void*, const char*, ...) {}

std::string trimmed_message(std::string_view m) {
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.remove_suffix(1);
    return std::string(m);
}

}  // namespace

Result<Whitelist> parse_whitelist(std::string_view xml) {
    if (xml.size() > kMaxWhitelistOctets)
        return fail(ErrorKind::Invalid, fmt::format("larger than {} octets", kMaxWhitelistOctets));
    if (xml.find("<!DOCTYPE") != std::string_view::npos || xml.find("<!ENTITY") != std::string_view::npos)
        return fail(ErrorKind::Invalid, "a DOCTYPE or entity declaration: refused (no DTD is published for this file)");
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });
    // The reasons go into our Error; libxml2's own messages (e.g. encoder errors) stay off stderr.
    xmlSetGenericErrorFunc(nullptr, ignore_libxml2_message);
    // No XML_PARSE_NOENT (entities are not substituted), no XML_PARSE_DTDLOAD, no network. Read as
    // UTF-8 whatever the file declares: in UTF-16 or UTF-7 a DOCTYPE escapes the octet search above.
    const int options =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS | XML_PARSE_IGNORE_ENC;
    std::unique_ptr<xmlDoc, DocFree> doc(
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "whitelist.xml", "UTF-8", options));
    if (!doc) {
        const xmlError* e = xmlGetLastError();
        return fail(ErrorKind::Invalid, fmt::format("not well-formed XML{}{}", e && e->message ? ": " : "",
                                                    e && e->message ? trimmed_message(e->message) : ""));
    }
    if (doc->intSubset || doc->extSubset) return fail(ErrorKind::Invalid, "a DOCTYPE: refused");
    return read(xmlDocGetRootElement(doc.get()));
}

}  // namespace mss::directory
