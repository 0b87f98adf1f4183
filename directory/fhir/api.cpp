// FHIR search and read over the directory: the query read by http/parse/fhir_query.h, checked
// against the parameters each resource type supports, turned into a PublishedQuery, answered as a
// searchset Bundle. Unknown parameters are ignored (FHIR's lenient default, said in an
// OperationOutcome entry) unless the client sends `Prefer: handling=strict`; a malformed value is
// always 400.
#include "directory/fhir/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/log.h"
#include "core/text.h"
#include "http/parse/fhir_query.h"
#include "http/json.h"

namespace mss::directory::fhir {
namespace {

using http::parse_search_query;
using http::SearchParam;

constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";
constexpr std::size_t kMailboxesPerEntry = 100;

enum class Kind { Practitioner, PractitionerRole, Organization };

std::optional<Kind> kind_of(std::string_view name) {
    if (name == "Practitioner") return Kind::Practitioner;
    if (name == "PractitionerRole") return Kind::PractitionerRole;
    if (name == "Organization") return Kind::Organization;
    return std::nullopt;
}

// What a search asks, once its parameters are checked.
struct Search {
    PublishedQuery query;
    bool include_practitioner = false, include_organization = false, revinclude_roles = false;
    bool matches_nothing = false;      // an identifier of a system we do not hold
    std::vector<std::string> ignored;  // unknown parameters (lenient handling)
};

Error invalid(std::string why) { return fail(ErrorKind::Invalid, std::move(why)); }

Result<std::size_t> number(const SearchParam& p) {
    if (p.values.size() != 1 || p.values[0].empty() || p.values[0].size() > 9)
        return invalid(fmt::format("{} takes one whole number", p.name));
    for (char c : p.values[0])
        if (c < '0' || c > '9') return invalid(fmt::format("{} takes one whole number", p.name));
    return static_cast<std::size_t>(std::stoul(p.values[0]));
}

// "system|code" or "code" (FHIR token).
std::pair<std::optional<std::string>, std::string> token(const std::string& value) {
    auto bar = value.find('|');
    if (bar == std::string::npos) return {std::nullopt, value};
    return {value.substr(0, bar), value.substr(bar + 1)};
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status practitioner_identifiers(const SearchParam& p, Search& s) {
    bool any = false;
    for (const auto& v : p.values) {
        auto [system, value] = token(v);
        if (!system || *system == kPsIdNatSystem) {
            s.query.ids.push_back(value), any = true;
            if (!system && value.size() == 11 && all_digits(value)) s.query.ids.push_back("8" + value);
        } else if (*system == kRppsSystem) {
            s.query.ids.push_back("8" + value), any = true;
        }
    }
    if (!any) s.matches_nothing = true;
    return Ok{};
}

Status organization_identifiers(const SearchParam& p, Search& s) {
    bool any = false;
    for (const auto& v : p.values) {
        auto [system, value] = token(v);
        if (!system || *system == kStructureSystem || *system == kFinessSystem || *system == kSiretSystem) {
            s.query.ids.push_back(value), any = true;
            if ((!system || *system == kStructureSystem) && value.size() > 1 && (value[0] == '1' || value[0] == '3'))
                s.query.ids.push_back(value.substr(1));
        }
    }
    if (!any) s.matches_nothing = true;
    return Ok{};
}

Status mailbox_types(const SearchParam& p, Search& s) {
    for (const auto& v : p.values) {
        auto [system, code] = token(v);
        if (system && !system->empty() && *system != kMailboxTypeSystem) {
            s.matches_nothing = true;
            continue;
        }
        auto type = mailbox_type_from(code);
        if (!type) return invalid(fmt::format("mailbox-mss-type: '{}' is not PER, ORG, APP or CAB", code));
        s.query.mailbox_types.push_back(*type);
    }
    return Ok{};
}

// "Practitioner/810001045367" or "810001045367".
std::vector<std::string> references(const SearchParam& p, std::string_view type) {
    std::vector<std::string> out;
    for (const auto& v : p.values) {
        std::string_view id = v;
        if (id.starts_with(type) && id.size() > type.size() && id[type.size()] == '/') id.remove_prefix(type.size() + 1);
        out.emplace_back(id);
    }
    return out;
}

// The parameters each type takes, with the modifiers each allows.
const std::map<std::string, std::set<std::string>>& supported(Kind kind) {
    static const std::map<std::string, std::set<std::string>> practitioner = {
        {"_id", {""}}, {"identifier", {""}}, {"name", {""}}, {"family", {""}}, {"given", {""}},
        {"mailbox-mss", {"", "exact", "contains"}}, {"mailbox-mss-type", {""}}, {"address-postalcode", {""}},
    };
    static const std::map<std::string, std::set<std::string>> role = {
        {"practitioner", {""}}, {"organization", {""}}, {"mailbox-mss", {"", "exact", "contains"}},
        {"mailbox-mss-type", {""}}};
    static const std::map<std::string, std::set<std::string>> organization = {
        {"_id", {""}}, {"identifier", {""}}, {"name", {""}}, {"mailbox-mss", {"", "exact", "contains"}},
        {"mailbox-mss-type", {""}}, {"address-postalcode", {""}}};
    switch (kind) {
        case Kind::Practitioner: return practitioner;
        case Kind::PractitionerRole: return role;
        case Kind::Organization: return organization;
    }
    return practitioner;
}

Status apply(Kind kind, const SearchParam& p, Search& s) {
    auto& q = s.query;
    const std::string& n = p.name;
    if (n == "_id") {
        q.ids.insert(q.ids.end(), p.values.begin(), p.values.end());
        return Ok{};
    }
    if (n == "identifier")
        return kind == Kind::Practitioner ? practitioner_identifiers(p, s) : organization_identifiers(p, s);
    if (n == "mailbox-mss") {
        auto& into = p.modifier == "contains" ? q.mailbox_parts : q.mailboxes;
        for (const auto& v : p.values) into.push_back(ascii_lower(v));
        return Ok{};
    }
    if (n == "mailbox-mss-type") return mailbox_types(p, s);
    auto& list = n == "name" ? q.name : n == "family" ? q.family : n == "given" ? q.given
               : n == "address-postalcode" ? q.postcodes : n == "practitioner" ? q.practitioners : q.organizations;
    if (n == "practitioner" || n == "organization") {
        auto ids = references(p, n == "practitioner" ? "Practitioner" : "Organization");
        list.insert(list.end(), ids.begin(), ids.end());
    } else {
        list.insert(list.end(), p.values.begin(), p.values.end());
    }
    return Ok{};
}

// _include on PractitionerRole searches, _revinclude on Practitioner searches; anything else is 400
// (an include silently dropped would look like missing data).
Status include(Kind kind, const SearchParam& p, Search& s) {
    if (!p.modifier.empty()) return invalid(fmt::format("{}:{}: modifier not supported", p.name, p.modifier));
    bool roles = kind == Kind::PractitionerRole, practitioners = kind == Kind::Practitioner;
    for (const auto& v : p.values) {
        if (roles && p.name == "_include" && v == "PractitionerRole:practitioner") s.include_practitioner = true;
        else if (roles && p.name == "_include" && v == "PractitionerRole:organization") s.include_organization = true;
        else if (practitioners && p.name == "_revinclude" && v == "PractitionerRole:practitioner") s.revinclude_roles = true;
        else return invalid(fmt::format("{}={} is not supported here", p.name, v));
    }
    return Ok{};
}

Result<Search> read_search(Kind kind, const std::vector<SearchParam>& params, const ApiLimits& limits, bool strict) {
    Search s;
    s.query.limit = limits.default_count;
    const auto& known = supported(kind);
    for (const auto& p : params) {
        if (p.name == "_count") {
            auto n = number(p);
            if (!n) return n.error();
            s.query.limit = std::min(*n, limits.max_count);
            continue;
        }
        if (p.name == "_offset") {
            auto n = number(p);
            if (!n) return n.error();
            if (*n > limits.max_offset)
                return invalid(fmt::format("_offset above {}: narrow the search instead", limits.max_offset));
            s.query.offset = *n;
            continue;
        }
        if (p.name == "_format") {
            for (const auto& v : p.values)
                if (v != "json" && v != "application/fhir+json" && v != "application/json")
                    return invalid("only JSON is served (_format=json)");
            continue;
        }
        if (p.name == "_include" || p.name == "_revinclude") {
            if (auto done = include(kind, p, s); !done) return done.error();
            continue;
        }
        auto it = known.find(p.name);
        if (it == known.end()) {
            if (strict) return invalid(fmt::format("unknown or unsupported parameter {}", p.name));
            s.ignored.push_back(p.name);
            continue;
        }
        if (!it->second.contains(p.modifier))
            return invalid(fmt::format("{}:{}: modifier not supported", p.name, p.modifier));
        for (const auto& v : p.values)
            if (v.empty()) return invalid(fmt::format("{}: an empty value", p.name));
        if (auto done = apply(kind, p, s); !done) return done.error();
    }
    return s;
}

http::Response fhir_json(int status, const Json& body) { return http::json(status, body, std::string(kFhirJson)); }

// "https://host:port/fhir", from the request's Host when it looks like one.
std::string base_url(const http::Request& request) {
    std::string host = std::string(request.field("Host").value_or("localhost"));
    bool plausible = !host.empty() && host.size() < 256 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
    return fmt::format("https://{}/fhir", plausible ? host : "localhost");
}

// The request's query without _count and _offset, for the paging links.
std::string query_without_paging(std::string_view raw) {
    std::string out;
    while (!raw.empty()) {
        auto amp = raw.find('&');
        std::string_view pair = raw.substr(0, amp);
        raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
        if (pair.empty() || pair.starts_with("_count=") || pair.starts_with("_offset=")) continue;
        out += out.empty() ? "" : "&";
        out += pair;
    }
    return out;
}

class Answer {
public:
    Answer(Directory& directory, const CertificateLookup& certificate) : dir_(directory), certificate_(certificate) {}

    Result<std::vector<MailboxEntry>> professional_mailboxes(const std::string& ps_idnat) {
        SearchQuery q;
        q.ps_idnat = ps_idnat;
        q.include_liste_rouge = false;
        q.limit = kMailboxesPerEntry;
        return dir_.search(q);
    }

    Result<std::optional<Json>> practitioner_of(const std::string& ps_idnat) {
        auto acts = dir_.activities(ps_idnat);
        if (!acts) return acts.error();
        auto boxes = professional_mailboxes(ps_idnat);
        if (!boxes) return boxes.error();
        return practitioner(ps_idnat, *acts, *boxes, certificate_);
    }

    Result<std::optional<Json>> organization_of(const std::string& structure_id) {
        auto acts = dir_.structure_activities(structure_id, 1);
        if (!acts) return acts.error();
        SearchQuery q;
        q.structure_id = structure_id;
        q.include_liste_rouge = false;
        q.limit = kMailboxesPerEntry;
        auto boxes = dir_.search(q);
        if (!boxes) return boxes.error();
        return organization(structure_id, *acts, *boxes, certificate_);
    }

    Result<std::vector<Json>> roles_of(const std::string& ps_idnat) {
        auto acts = dir_.activities(ps_idnat);
        if (!acts) return acts.error();
        auto boxes = professional_mailboxes(ps_idnat);
        if (!boxes) return boxes.error();
        std::vector<Json> out;
        for (const auto& a : *acts) out.push_back(practitioner_role(a, *boxes, certificate_));
        return out;
    }

    // A role by id: "<PS_IdNat>-<hex>".
    Result<std::optional<Json>> role_of(const std::string& id) {
        auto dash = id.rfind('-');
        if (dash == std::string::npos) return std::optional<Json>();
        std::string ps_idnat = id.substr(0, dash);
        auto acts = dir_.activities(ps_idnat);
        if (!acts) return acts.error();
        for (const auto& a : *acts)
            if (role_id(a) == id) {
                auto boxes = professional_mailboxes(ps_idnat);
                if (!boxes) return boxes.error();
                return std::optional<Json>(practitioner_role(a, *boxes, certificate_));
            }
        return std::optional<Json>();
    }

    const CertificateLookup& certificate() const { return certificate_; }

private:
    Directory& dir_;
    const CertificateLookup& certificate_;
};

struct Entries {
    Json list = Json::array();
    std::set<std::string> seen;  // "Type/id" already in the bundle
    std::string base;

    void add(const Json& resource, std::string_view mode) {
        std::string key = fmt::format("{}/{}", resource["resourceType"].get<std::string>(), resource["id"].get<std::string>());
        if (!seen.insert(key).second) return;
        list.push_back({{"fullUrl", fmt::format("{}/{}", base, key)}, {"resource", resource}, {"search", {{"mode", mode}}}});
    }
};

// Fills entries with one page of matches and what they include; returns the total.
Result<uint64_t> run_search(Kind kind, const Search& s, Directory& dir, Answer& answer, Entries& entries) {
    if (kind == Kind::PractitionerRole) {
        auto page = dir.roles(s.query);
        if (!page) return page.error();
        std::map<std::string, std::vector<MailboxEntry>> mailboxes;  // by PS_IdNat
        for (const auto& a : page->items) {
            if (!mailboxes.contains(a.ps_idnat)) {
                auto boxes = answer.professional_mailboxes(a.ps_idnat);
                if (!boxes) return boxes.error();
                mailboxes[a.ps_idnat] = std::move(boxes).value();
            }
            entries.add(practitioner_role(a, mailboxes[a.ps_idnat], answer.certificate()), "match");
        }
        for (const auto& a : page->items) {
            if (s.include_practitioner) {
                auto p = answer.practitioner_of(a.ps_idnat);
                if (!p) return p.error();
                if (*p) entries.add(**p, "include");
            }
            if (s.include_organization && !a.structure_id.empty()) {
                auto o = answer.organization_of(a.structure_id);
                if (!o) return o.error();
                if (*o) entries.add(**o, "include");
            }
        }
        return page->total;
    }
    auto page = kind == Kind::Practitioner ? dir.practitioner_ids(s.query) : dir.organization_ids(s.query);
    if (!page) return page.error();
    for (const auto& id : page->items) {
        auto resource = kind == Kind::Practitioner ? answer.practitioner_of(id) : answer.organization_of(id);
        if (!resource) return resource.error();
        if (*resource) entries.add(**resource, "match");
    }
    if (kind == Kind::Practitioner && s.revinclude_roles)
        for (const auto& id : page->items) {
            auto roles = answer.roles_of(id);
            if (!roles) return roles.error();
            for (const auto& r : *roles) entries.add(r, "include");
        }
    return page->total;
}

Json link(std::string_view relation, const std::string& url) { return {{"relation", relation}, {"url", url}}; }

http::Response answer_search(Kind kind, std::string_view type, const http::Request& request, Directory& dir,
                      const CertificateLookup& certificate, const ApiLimits& limits) {
    auto params = parse_search_query(request.query);
    if (!params) return outcome_response(400, "invalid", params.error().message);
    auto prefer = request.field("Prefer");
    bool strict = prefer && prefer->find("handling=strict") != std::string_view::npos;
    auto s = read_search(kind, *params, limits, strict);
    if (!s) return outcome_response(400, "invalid", s.error().message);
    Answer answer(dir, certificate);
    Entries entries{Json::array(), {}, base_url(request)};
    uint64_t total = 0;
    if (!s->matches_nothing) {
        auto n = run_search(kind, *s, dir, answer, entries);
        if (!n) {
            log::error("fhir", "{} search failed: {}", type, n.error().message);
            return outcome_response(500, "exception", "the directory could not be read");
        }
        total = *n;
    }
    const auto& q = s->query;
    std::string rest = query_without_paging(request.query);
    auto page_url = [&](std::size_t offset) {
        return fmt::format("{}/{}?{}{}_count={}&_offset={}", entries.base, type, rest, rest.empty() ? "" : "&", q.limit, offset);
    };
    Json links = Json::array({link("self", page_url(q.offset))});
    if (q.limit > 0 && q.offset + q.limit < total) links.push_back(link("next", page_url(q.offset + q.limit)));
    if (q.offset > 0) links.push_back(link("previous", page_url(q.offset > q.limit ? q.offset - q.limit : 0)));
    if (!s->ignored.empty()) {
        std::string names;
        for (const auto& n : s->ignored) names += (names.empty() ? "" : ", ") + n;
        entries.list.push_back({{"resource", operation_outcome("warning", "not-supported",
                                                               fmt::format("parameters ignored: {}", names))},
                                {"search", {{"mode", "outcome"}}}});
    }
    Json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", total}, {"link", links},
                   {"entry", entries.list}};
    return fhir_json(200, bundle);
}

bool valid_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    });
}

http::Response answer_read(Kind kind, std::string_view type, const std::string& id, Directory& dir,
                    const CertificateLookup& certificate) {
    auto not_found = [&] { return outcome_response(404, "not-found", fmt::format("{}/{} is not known", type, id)); };
    if (!valid_id(id)) return not_found();
    Answer answer(dir, certificate);
    auto resource = kind == Kind::Practitioner       ? answer.practitioner_of(id)
                    : kind == Kind::Organization     ? answer.organization_of(id)
                                                     : answer.role_of(id);
    if (!resource) {
        log::error("fhir", "read of {}/{} failed: {}", type, id, resource.error().message);
        return outcome_response(500, "exception", "the directory could not be read");
    }
    if (!*resource) return not_found();
    return fhir_json(200, **resource);
}

}  // namespace

http::Response outcome_response(int status, std::string_view code, std::string_view diagnostics) {
    return fhir_json(status, operation_outcome(status >= 500 ? "fatal" : "error", code, diagnostics));
}

}  // namespace mss::directory::fhir

namespace mss::directory::fhir {

http::Response Api::handle(const http::Request& request) const {
    std::string_view path = request.path;
    constexpr std::string_view kRoot = "/fhir/";
    if (!path.starts_with(kRoot)) return outcome_response(404, "not-found", "not a FHIR path");
    path.remove_prefix(kRoot.size());
    auto slash = path.find('/');
    std::string_view type = path.substr(0, slash);
    auto kind = kind_of(type);
    if (!kind) return outcome_response(404, "not-supported", fmt::format("no resource type {}", log::sanitize(type)));
    if (slash == std::string_view::npos || slash + 1 == path.size())
        return answer_search(*kind, type, request, directory_, certificate_, limits_);
    std::string id(path.substr(slash + 1));
    return answer_read(*kind, type, id, directory_, certificate_);
}

http::Response Api::capability_statement() {
    auto resource = [](std::string_view type, std::string_view profile, Json params, Json includes, Json revincludes) {
        Json r = {{"type", type},
                  {"profile", fmt::format("{}{}", kIgBase, profile)},
                  {"interaction", Json::array({{{"code", "read"}}, {{"code", "search-type"}}})},
                  {"searchParam", Json::array()}};
        for (const auto& [name, kind] : params.items()) r["searchParam"].push_back({{"name", name}, {"type", kind}});
        r["searchParam"].push_back({{"name", "_count"}, {"type", "number"}});
        if (!includes.empty()) r["searchInclude"] = includes;
        if (!revincludes.empty()) r["searchRevInclude"] = revincludes;
        return r;
    };
    Json rest = {
        {"mode", "server"},
        {"security", {{"description", "TLS only; a client certificate of a trusted IGC, or HTTP Basic with the address "
                                      "and password of one of this server's accounts"}}},
        {"resource",
         Json::array({resource("Practitioner", "as-practitioner",
                               {{"_id", "token"}, {"identifier", "token"}, {"name", "string"}, {"family", "string"},
                                {"given", "string"}, {"mailbox-mss", "string"}, {"mailbox-mss-type", "token"},
                                {"address-postalcode", "string"}},
                               Json::array(), Json::array({"PractitionerRole:practitioner"})),
                      resource("PractitionerRole", "as-practitionerrole",
                               {{"practitioner", "reference"}, {"organization", "reference"},
                                {"mailbox-mss", "string"}, {"mailbox-mss-type", "token"}},
                               Json::array({"PractitionerRole:practitioner", "PractitionerRole:organization"}),
                               Json::array()),
                      resource("Organization", "as-organization",
                               {{"_id", "token"}, {"identifier", "token"}, {"name", "string"},
                                {"mailbox-mss", "string"}, {"mailbox-mss-type", "token"},
                                {"address-postalcode", "string"}},
                               Json::array(), Json::array())})}};
    Json statement = {{"resourceType", "CapabilityStatement"}, {"status", "active"}, {"date", "2026-12-06"},
                      {"kind", "instance"}, {"software", {{"name", "mssd"}}}, {"fhirVersion", "4.0.1"},
                      {"format", Json::array({"application/fhir+json"})}, {"rest", Json::array({rest})}};
    return fhir_json(200, statement);
}

}  // namespace mss::directory::fhir
