// The PDSm handlers (see pdsm_routes.h): each identifies the actor, applies dmp/access.h's rules,
// calls the Dmp, traces what it decided and answers FHIR JSON; a refusal is an OperationOutcome
// with its HTTP status and, for deposits, the CI-SIS acknowledgement code. Runs on the blocking pool.
#include <fmt/format.h>

#include <algorithm>

#include "core/log.h"
#include "dmp/pdsm_request.h"
#include "dmp/pdsm_resources.h"
#include "dmp/pdsm_routes.h"
#include "http/json.h"
#include "http/parse/fhir_query.h"

namespace mss::dmp {
namespace {

using nlohmann::json;
constexpr const char* kWhere = "dmp";
constexpr const char* kFhirJson = "application/fhir+json";
constexpr const char* kRealm = "mssd DMP";
constexpr std::size_t kDefaultPage = 50, kMaxPage = 500;

http::Response fhir(int status, const json& body) { return http::json(status, body, kFhirJson); }

http::Response outcome(int status, std::string_view issue, std::string_view message, AckCode ack = AckCode::None) {
    return fhir(status, operation_outcome(issue, message, ack));
}

int status_of(AckCode ack) {
    switch (ack) {
        case AckCode::WrongVersion: return 409;
        case AckCode::NotTheAuthor: return 403;
        case AckCode::NoDmp: return 404;
        case AckCode::InsMissing:
        case AckCode::TraitsDiffer:
        case AckCode::InsIncomplete: return 422;
        default: return 400;
    }
}

std::string_view issue_of(int status) {
    switch (status) {
        case 401: return "login";
        case 403: return "forbidden";
        case 404: return "not-found";
        case 409: return "conflict";
        case 413: return "too-costly";
        case 422: return "processing";
        default: return status >= 500 ? "exception" : "invalid";
    }
}

http::Response refused(const Refusal& r) {
    int status = status_of(r.ack);
    return outcome(status, issue_of(status), r.message, r.ack);
}

// A query the FHIR search reader refuses (a bad escape, a NUL, a bound passed): 400, said why.
http::Response malformed_query(std::string_view search, const Error& e) {
    log::info(kWhere, "{} refused: malformed query: {}", search, e.message);
    return outcome(400, "invalid", fmt::format("malformed search query: {}", e.message));
}

http::Response database_error(const Error& e) {
    log::error(kWhere, "DMP database: {}", e.message);
    return outcome(500, "exception", "the DMP cannot answer now");
}

// The query's parameters in order, read by the shared FHIR search reader (bounded, percent-decoded,
// comma lists split into alternatives). A modifier stays in its parameter's name ("status:not"),
// which no PDSm search here reads: such a parameter is ignored, as an unknown one is.
struct Query {
    std::vector<http::SearchParam> params;

    static Result<Query> parse(std::string_view raw) {
        auto params = http::parse_search_query(raw);
        if (!params) return params.error();
        Query q{std::move(params).value()};
        for (auto& p : q.params)
            if (!p.modifier.empty()) p.name += ":" + p.modifier;
        return q;
    }
    std::vector<std::string> all(std::string_view name) const {
        std::vector<std::string> out;
        for (const auto& p : params)
            if (p.name == name)
                for (const auto& v : p.values)
                    if (!v.empty()) out.push_back(v);
        return out;
    }
    std::optional<std::string> first(std::string_view name) const {
        for (const auto& p : params)
            if (p.name == name) return p.values.empty() ? std::string() : p.values.front();
        return std::nullopt;
    }
};

std::string after_bar(const std::string& token) {
    auto bar = token.find('|');
    return bar == std::string::npos ? token : token.substr(bar + 1);
}

std::string after_slash(const std::string& reference) {
    auto slash = reference.rfind('/');
    return slash == std::string::npos ? reference : reference.substr(slash + 1);
}

// The INS a search names: patient.identifier=system|INS, or patient=Patient/INS.
std::optional<std::string> ins_of(const Query& q) {
    if (auto id = q.first("patient.identifier")) return after_bar(*id);
    if (auto p = q.first("patient")) return after_slash(*p);
    return std::nullopt;
}

// Date prefixes of FHIR search: ge/gt set the lower bound, le/lt the upper, eq or none both.
void date_bounds(const std::vector<std::string>& values, std::optional<std::string>& from, std::optional<std::string>& to) {
    for (const auto& v : values) {
        std::string prefix = v.size() > 2 && std::isalpha(static_cast<unsigned char>(v[0])) ? v.substr(0, 2) : "";
        std::string date = v.substr(prefix.size());
        if (prefix == "ge" || prefix == "gt" || prefix == "sa") from = date;
        else if (prefix == "le" || prefix == "lt" || prefix == "eb") to = date;
        else from = to = date;
    }
}

// A date search value: an optional prefix, then YYYY, YYYY-MM, YYYY-MM-DD or a dateTime.
bool date_well_formed(std::string_view v) {
    if (v.size() > 2 && std::isalpha(static_cast<unsigned char>(v[0]))) {
        static constexpr std::string_view kPrefixes[] = {"eq", "ge", "gt", "le", "lt", "sa", "eb"};
        if (std::find(std::begin(kPrefixes), std::end(kPrefixes), v.substr(0, 2)) == std::end(kPrefixes)) return false;
        v.remove_prefix(2);
    }
    auto digits = [&](std::size_t from, std::size_t n) {
        if (v.size() < from + n) return false;
        for (std::size_t i = from; i < from + n; ++i)
            if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
        return true;
    };
    if (!digits(0, 4) || v.size() > 35) return false;
    if (v.size() == 4) return true;
    if (v[4] != '-' || !digits(5, 2)) return false;
    if (v.size() == 7) return true;
    if (v.size() < 10 || v[7] != '-' || !digits(8, 2)) return false;
    return v.size() == 10 || (v[10] == 'T' && digits(11, 2));
}

class Pdsm {
public:
    explicit Pdsm(PdsmServices s) : s_(std::move(s)) {}

    http::Response transaction(const http::Request& request) {
        auto identified = identify(request);
        if (auto* answer = std::get_if<http::Response>(&identified)) return std::move(*answer);
        const Actor* actor = &std::get<Actor>(identified);
        auto parsed = parse_provide_bundle(request.body);
        if (auto* bad = std::get_if<BadRequest>(&parsed)) {
            log::info(kWhere, "ITI-65 from {} refused: {} ({})", log::sanitize(actor->id), log::sanitize(bad->message),
                      static_cast<int>(bad->ack));
            return outcome(bad->http_status, issue_of(bad->http_status), bad->message, bad->ack);
        }
        auto& bundle = std::get<ProvideBundle>(parsed);
        auto filed = s_.deposit.provide(bundle, *actor);
        if (!filed) return outcome(500, "exception", "the DMP cannot answer now");
        if (auto* refusal = std::get_if<Refusal>(&*filed)) return refused(*refusal);
        const auto& receipts = std::get<std::vector<DepositReceipt>>(*filed);
        json entries = json::array({{{"response", {{"status", "201 Created"}, {"location", "List/" + after_slash(bundle.submission_set)}}}}});
        for (const auto& r : receipts)
            entries.push_back({{"response", {{"status", r.duplicate ? "200 OK" : "201 Created"},
                                             {"location", "DocumentReference/" + r.id}}}});
        for (const auto& r : receipts)
            entries.push_back({{"response", {{"status", r.duplicate ? "200 OK" : "201 Created"}, {"location", "Binary/" + r.id}}}});
        return fhir(200, {{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", entries}});
    }

    http::Response search_documents(const http::Request& request) {
        auto parsed = Query::parse(request.query);
        if (!parsed) return malformed_query("ITI-67", parsed.error());
        const Query& q = *parsed;
        auto ins = ins_of(q);
        if (!ins || ins->empty() || q.all("status").empty()) {
            log::info(kWhere, "ITI-67 refused: {}", log::sanitize(request.query));
            return outcome(400, "required", "ITI-67 needs patient or patient.identifier, and status");
        }
        DocumentQuery query{.ins = *ins, .statuses = q.all("status")};
        query.types = q.all("type");
        query.classes = q.all("category");
        query.formats = q.all("format");
        query.settings = q.all("setting");
        query.facilities = q.all("facility");
        query.security_labels = q.all("security-label");
        for (const auto& a : q.all("author.identifier")) query.authors.push_back(after_bar(a));
        date_bounds(q.all("period"), query.date_from, query.date_to);
        date_bounds(q.all("date"), query.creation_from, query.creation_to);
        date_bounds(q.all("creation"), query.creation_from, query.creation_to);
        if (auto r = q.first("relatesto")) query.relates_to = after_slash(*r);
        if (auto id = q.first("identifier")) {
            auto v = after_bar(*id);
            query.unique_id = v.rfind("urn:oid:", 0) == 0 ? v.substr(8) : v;
        }
        auto opened = open(request, *ins);
        if (auto* denied = std::get_if<http::Response>(&opened)) return std::move(*denied);
        auto& reader = std::get<Reader>(opened);
        auto found = s_.dmp.find_summaries(query);
        if (!found) return database_error(found.error());
        std::vector<const DocumentSummary*> visible;
        for (const auto& d : *found)
            if (may_see(d, reader.patient, reader.request, *reader.matrix)) visible.push_back(&d);
        Page window = page_of(q, visible.size());
        std::vector<json> page;
        auto base = binary_base(request);
        std::vector<std::string> page_ids;
        for (std::size_t i = window.offset; i < window.end(visible.size()); ++i) page_ids.push_back(visible[i]->id);
        auto docs = s_.dmp.documents(page_ids);
        if (!docs) return database_error(docs.error());
        for (const auto& d : *docs) page.push_back(document_reference(d, reader.patient, base));
        if (!trace(reader, "search", "", fmt::format("{} ({} found)", request.query, visible.size()))) return untraced();
        std::string self = std::string(kPdsmBase) + "/DocumentReference?" + request.query;
        return fhir(200, searchset(std::move(page), visible.size(), self, next_link("DocumentReference", q, visible.size(), window)));
    }

    // ITI-66: the patient's submission sets, each listing only the documents this caller may see;
    // a set whose every document is hidden is left out. Same opening, rules and trace as ITI-67.
    http::Response search_lists(const http::Request& request) {
        auto parsed = Query::parse(request.query);
        if (!parsed) return malformed_query("ITI-66", parsed.error());
        const Query& q = *parsed;
        auto ins = ins_of(q);
        auto codes = q.all("code");
        if (!ins || ins->empty() || codes.empty()) {
            log::info(kWhere, "ITI-66 refused: {}", log::sanitize(request.query));
            return outcome(400, "required", "ITI-66 needs patient or patient.identifier, and code=submissionset");
        }
        auto dates = q.all("date");
        for (const auto& d : dates)
            if (!date_well_formed(d)) {
                log::info(kWhere, "ITI-66 refused: {}", log::sanitize(request.query));
                return outcome(400, "invalid", "date is [ge|gt|le|lt|eq]YYYY[-MM[-DD[Thh:mm:ss...]]]");
            }
        ListQuery query{.ins = *ins, .statuses = q.all("status")};
        query.designation_types = q.all("designationType");
        query.source_ids = q.all("sourceId");
        query.identifiers = q.all("identifier");
        date_bounds(dates, query.date_from, query.date_to);
        auto opened = open(request, *ins);
        if (auto* denied = std::get_if<http::Response>(&opened)) return std::move(*denied);
        auto& reader = std::get<Reader>(opened);
        bool submission_sets = std::any_of(codes.begin(), codes.end(), [](const std::string& c) { return after_bar(c) == "submissionset"; });
        std::vector<SubmissionSet> found;
        if (submission_sets) {
            auto lists = s_.dmp.find_lists(query);
            if (!lists) return database_error(lists.error());
            found = std::move(*lists);
        }
        std::vector<std::pair<const SubmissionSet*, std::vector<std::string>>> visible;
        for (const auto& set : found) {
            auto docs = s_.dmp.documents(set.documents);
            if (!docs) return database_error(docs.error());
            std::vector<std::string> shown;
            for (const auto& d : *docs)
                if (may_see(d.summary(), reader.patient, reader.request, *reader.matrix)) shown.push_back(d.id);
            if (!shown.empty()) visible.emplace_back(&set, std::move(shown));
        }
        Page window = page_of(q, visible.size());
        std::vector<json> page;
        for (std::size_t i = window.offset; i < window.end(visible.size()); ++i)
            page.push_back(submission_set_list(*visible[i].first, reader.patient, visible[i].second));
        if (!trace(reader, "search-lists", "", fmt::format("{} ({} found)", request.query, visible.size()))) return untraced();
        return fhir(200, searchset(std::move(page), visible.size(), std::string(kPdsmBase) + "/List?" + request.query,
                                   next_link("List", q, visible.size(), window)));
    }

    http::Response read_document(const http::Request& request, const std::string& id, bool bytes) {
        auto doc = s_.dmp.document(id);
        if (!doc) return database_error(doc.error());
        if (!*doc) return outcome(404, "not-found", "no such document");
        auto opened = open(request, (*doc)->patient_ins);
        if (auto* denied = std::get_if<http::Response>(&opened)) return std::move(*denied);
        auto& reader = std::get<Reader>(opened);
        if (!may_see((*doc)->summary(), reader.patient, reader.request, *reader.matrix)) {
            (void)trace(reader, "read-refused", id, "document not visible to this professional");
            return outcome(403, "forbidden", "this document is not visible to you");
        }
        if (!bytes) {
            if (!trace(reader, "read", id, "metadata")) return untraced();
            return fhir(200, document_reference(**doc, reader.patient, binary_base(request)));
        }
        auto content = s_.dmp.content(id);
        if (!content) return database_error(content.error());
        if (!*content) return outcome(404, "not-found", "no content for this document");
        if (!trace(reader, "read", id, (*doc)->unique_id)) return untraced();
        http::Response r;
        r.status = 200;
        r.body = std::move(**content);
        r.set("Content-Type", (*doc)->content_type.empty() ? "application/octet-stream" : (*doc)->content_type);
        return r;
    }

    http::Response patch(const http::Request& request) {
        std::string id = after_slash(request.path);
        auto identified = identify(request);
        if (auto* answer = std::get_if<http::Response>(&identified)) return std::move(*answer);
        const Actor* actor = &std::get<Actor>(identified);
        if (actor->kind != Actor::Kind::Professional)
            return outcome(403, "forbidden", "only the author changes a document's metadata");
        auto parsed = parse_metadata_patch(request.body);
        if (auto* bad = std::get_if<BadRequest>(&parsed)) {
            log::info(kWhere, "PATCH of {} by {} refused: {}", log::sanitize(id), actor->id, log::sanitize(bad->message));
            return outcome(bad->http_status, issue_of(bad->http_status), bad->message);
        }
        auto& change = std::get<MetadataPatch>(parsed);
        auto doc = s_.dmp.document(id);
        if (!doc) return database_error(doc.error());
        if (!*doc) return outcome(404, "not-found", "no such document");
        Document current = **doc;
        if (change.visibility || !change.add_visibility.empty()) {
            auto labels = change.visibility.value_or(current.visibility);
            for (const auto& l : change.add_visibility)
                if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
            auto r = s_.dmp.set_visibility(id, labels, *actor);
            if (!r) return database_error(r.error());
            if (auto* refusal = std::get_if<Refusal>(&*r)) return refused_change(id, *actor, *refusal);
            current = std::get<Document>(*r);
        }
        if (change.supersede) {
            auto r = s_.dmp.supersede(id, *actor);
            if (!r) return database_error(r.error());
            if (auto* refusal = std::get_if<Refusal>(&*r)) return refused_change(id, *actor, *refusal);
            current = std::get<Document>(*r);
        }
        auto patient = s_.dmp.patient(current.patient_ins);
        if (!patient) return database_error(patient.error());
        if (!*patient) return outcome(404, "not-found", "no DMP for this document's patient");
        log::info(kWhere, "PATCH of {} by {}", id, actor->id);
        return fhir(200, document_reference(current, **patient, binary_base(request)));
    }

    http::Response patient_search(const http::Request& request) {
        auto identified = identify(request);
        if (auto* answer = std::get_if<http::Response>(&identified)) return std::move(*answer);
        auto parsed = Query::parse(request.query);
        if (!parsed) return malformed_query("Patient search", parsed.error());
        auto id = parsed->first("identifier");
        if (!id) return outcome(400, "required", "Patient search needs identifier=urn:oid:<INS OID>|<INS>");
        auto p = s_.dmp.patient(after_bar(*id));
        if (!p) return database_error(p.error());
        std::vector<json> found;
        if (*p && (*p)->consent) found.push_back(patient_resource(**p));
        return fhir(200, searchset(found, found.size(), std::string(kPdsmBase) + "/Patient?" + request.query, ""));
    }

    http::Response audit_events(const http::Request& request) {
        auto identified = identify(request);
        if (auto* answer = std::get_if<http::Response>(&identified)) return std::move(*answer);
        const Actor* actor = &std::get<Actor>(identified);
        auto parsed = Query::parse(request.query);
        if (!parsed) return malformed_query("AuditEvent search", parsed.error());
        const Query& q = *parsed;
        auto ins = ins_of(q);
        if (!ins) return outcome(400, "required", "AuditEvent search needs patient or patient.identifier");
        auto p = s_.dmp.patient(*ins);
        if (!p) return database_error(p.error());
        if (!*p) return outcome(404, "not-found", "no DMP for this patient");
        if (actor->kind != Actor::Kind::Professional || (*p)->medecin_traitant != actor->id) {
            (void)s_.dmp.trace({.ins = *ins, .action = "traces-refused", .actor_kind = to_string(actor->kind), .actor = actor->id});
            return outcome(403, "forbidden", "only the patient's médecin traitant reads the traces");
        }
        auto traces = s_.dmp.traces(*ins);
        if (!traces) return database_error(traces.error());
        std::vector<json> events;
        int64_t seq = 0;
        for (const auto& t : *traces) events.push_back(audit_event(t, **p, ++seq));
        if (!s_.dmp.trace({.ins = *ins, .action = "read-traces", .actor_kind = "professional", .actor = actor->id}))
            return untraced();
        return fhir(200, searchset(events, events.size(), std::string(kPdsmBase) + "/AuditEvent?" + request.query, ""));
    }

private:
    struct Reader {
        Patient patient;
        ReadRequest request;
        std::shared_ptr<const AccessMatrix> matrix;
    };

    static std::size_t number(const std::optional<std::string>& text, std::size_t fallback) {
        if (!text || text->empty() || text->size() > 6 || text->find_first_not_of("0123456789") != std::string::npos)
            return fallback;
        return std::stoul(*text);
    }

    // The next page's link of a search, or "" on its last page.
    // One page of a search's results: _count of them (1 to kMaxPage; kDefaultPage unless given) from
    // _offset (at most the total).
    struct Page {
        std::size_t count;
        std::size_t offset;
        std::size_t end(std::size_t total) const { return std::min(total, offset + count); }
    };

    static Page page_of(const Query& q, std::size_t total) {
        return {std::min(kMaxPage, std::max<std::size_t>(1, number(q.first("_count"), kDefaultPage))),
                std::min(total, number(q.first("_offset"), 0))};
    }

    static std::string next_link(std::string_view resource, const Query& q, std::size_t total, Page page) {
        if (page.offset + page.count >= total) return "";
        return fmt::format("{}/{}?{}&_count={}&_offset={}", kPdsmBase, resource, without_paging(q), page.count,
                           page.offset + page.count);
    }

    // The query again, percent-encoded, without its paging parameters (for the next link).
    static std::string without_paging(const Query& q) {
        auto encode = [](const std::string& text) {
            std::string out;
            for (unsigned char c : text) {
                if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '|') out += static_cast<char>(c);
                else out += fmt::format("%{:02X}", c);
            }
            return out;
        };
        // Each value's own commas and backslashes escaped again with FHIR's backslash, then joined.
        auto list = [](const std::vector<std::string>& values) {
            std::string out;
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (i) out += ',';
                for (char c : values[i]) {
                    if (c == ',' || c == '\\') out += '\\';
                    out += c;
                }
            }
            return out;
        };
        std::string out;
        for (const auto& p : q.params) {
            if (p.name == "_count" || p.name == "_offset") continue;
            out += fmt::format("{}{}={}", out.empty() ? "" : "&", encode(p.name), encode(list(p.values)));
        }
        return out;
    }

    static std::string binary_base(const http::Request& request) {
        auto host = request.field("Host");
        std::string path = std::string(kPdsmBase) + "/Binary/";
        return host ? fmt::format("https://{}{}", *host, path) : path;
    }

    // Who acts, or the answer to a request that names nobody (401), whose token cannot be checked
    // now (503), or whose client is locked out after failed sign-ins (429): a bearer token first,
    // then the client certificate. A refused token or certificate counts as a failed sign-in.
    std::variant<Actor, http::Response> identify(const http::Request& r) const {
        if (auto authorization = r.authorization()) {
            if (auto token = bearer_token(*authorization)) {
                const SignIn who{r.peer_ip, *token, ""};
                if (auto refusal = locked_out(r, who)) return std::move(*refusal);
                return actor_of_token(r, who);
            }
        }
        const auto& cert = r.client_certificate;
        if (!cert.presented) return not_identified();
        const std::string cn = common_name(cert.subject);
        const SignIn who{r.peer_ip, "", cn};
        if (auto refusal = locked_out(r, who)) return std::move(*refusal);
        auto authorities = s_.professional_authorities();
        auto actor = actor_of_certificate(cert.verified, cert.subject, cert.issuer, *authorities);
        count(who, actor.has_value());
        if (!actor) {
            log::info(kWhere, "{} {} from {}: client certificate refused: {}", r.method, log::sanitize(r.path), r.peer_ip,
                      log::sanitize(cert.reason));
            return not_identified();
        }
        return *actor;
    }

    // 429 with Retry-After (RFC 6585) while the lock-outs hold this client back, else nothing.
    std::optional<http::Response> locked_out(const http::Request& r, const SignIn& who) const {
        if (!s_.sign_in_limits.wait) return std::nullopt;
        auto wait = s_.sign_in_limits.wait(who);
        if (wait.count() <= 0) return std::nullopt;
        log::info(kWhere, "{} {} from {}: refused for {} s after failed sign-ins", r.method, log::sanitize(r.path),
                  r.peer_ip, wait.count());
        auto answer = outcome(429, "throttled", "too many failed sign-ins from this address or as this professional; try again later");
        answer.set("Retry-After", std::to_string(wait.count()));
        return answer;
    }

    void count(const SignIn& who, bool granted) const {
        if (s_.sign_in_limits.count) s_.sign_in_limits.count(who, granted);
    }

    std::variant<Actor, http::Response> actor_of_token(const http::Request& r, const SignIn& who) const {
        auto verdict = s_.bearer(who.token);
        switch (verdict.kind) {
            case BearerVerdict::Kind::Professional:
                count(who, true);
                return Actor{Actor::Kind::Professional, verdict.ps_idnat};
            case BearerVerdict::Kind::Unavailable: {
                log::error(kWhere, "{} {} from {}: bearer token not checked: {}", r.method, log::sanitize(r.path),
                           r.peer_ip, verdict.reason);
                auto answer = outcome(503, "transient", "Pro Santé Connect cannot be reached; try again later");
                answer.set("Retry-After", "30");
                return answer;
            }
            case BearerVerdict::Kind::Refused: break;
        }
        count(who, false);
        log::info(kWhere, "{} {} from {}: bearer token refused: {}", r.method, log::sanitize(r.path), r.peer_ip,
                  verdict.reason);
        auto answer = outcome(401, "login", "invalid bearer token: " + verdict.reason);
        answer.set("WWW-Authenticate", fmt::format("Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"{}\"",
                                                   kRealm, quotable(verdict.reason)));
        return answer;
    }

    // A quoted-string's content for WWW-Authenticate: printable ASCII without '"' or '\\'.
    static std::string quotable(std::string_view text) {
        std::string out;
        for (char c : text) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '_';
        return out;
    }

    static http::Response refused_change(const std::string& id, const Actor& actor, const Refusal& r) {
        log::info(kWhere, "PATCH of {} by {} refused: {} ({})", log::sanitize(id), actor.id, r.message,
                  static_cast<int>(r.ack));
        return refused(r);
    }

    static http::Response not_identified() {
        auto answer = outcome(401, "login", "a Pro Santé Connect bearer token or a verified client certificate of the IGC is required");
        answer.set("WWW-Authenticate", fmt::format("Bearer realm=\"{}\"", kRealm));
        return answer;
    }

    // Whether the act is traced (durably); nothing is disclosed untraced.
    [[nodiscard]] bool trace(const Reader& reader, std::string action, std::string document, std::string detail) {
        if (reader.request.emergency) detail = fmt::format("{} [bris de glace: {}]", detail, reader.request.justification);
        auto s = s_.dmp.trace({.ins = reader.patient.ins, .action = std::move(action), .actor_kind = "professional",
                               .actor = reader.request.actor.id, .document = std::move(document),
                               .detail = std::move(detail), .emergency = reader.request.emergency});
        if (!s) log::error(kWhere, "cannot trace: {}", s.error().message);
        return static_cast<bool>(s);
    }

    static http::Response untraced() { return outcome(503, "transient", "the DMP cannot trace this access now"); }

    // The actor and the patient's DMP, when the access rules let this actor open it; else the answer.
    std::variant<Reader, http::Response> open(const http::Request& request, const std::string& ins) {
        auto identified = identify(request);
        if (auto* answer = std::get_if<http::Response>(&identified)) return std::move(*answer);
        const Actor* actor = &std::get<Actor>(identified);
        ReadRequest rr{.actor = *actor};
        auto mode = request.field("X-DMP-Mode-Acces");
        rr.emergency = mode && *mode == "BRIS_DE_GLACE";
        rr.justification = std::string(request.field("X-DMP-Mode-Acces-Raison").value_or(""));
        auto authorised = request.field("X-DMP-Autorisation-Patient");
        rr.declares_care = authorised && *authorised == "true";
        if (actor->kind == Actor::Kind::Professional) rr.professions = s_.professions(actor->id);
        auto patient = s_.dmp.patient(ins);
        if (!patient) return database_error(patient.error());
        auto blocked = s_.dmp.blocked(ins);
        if (!blocked) return database_error(blocked.error());
        auto care = s_.dmp.has_care(ins, actor->id);
        if (!care) return database_error(care.error());
        auto matrix = s_.matrix();
        bool is_blocked = std::find(blocked->begin(), blocked->end(), actor->id) != blocked->end();
        Denial denial = may_open(*patient, rr, is_blocked, *care, *matrix);
        if (denial != Denial::None) {
            log::info(kWhere, "{} {} refused access to the DMP of {}: {}", to_string(actor->kind), log::sanitize(actor->id),
                      log::sanitize(ins), to_string(denial));
            if (*patient)
                (void)s_.dmp.trace({.ins = ins, .action = "access-refused", .actor_kind = to_string(actor->kind),
                                    .actor = actor->id, .detail = std::string(to_string(denial)), .emergency = rr.emergency});
            int status = denial == Denial::NoDmp ? 404 : 403;
            return outcome(status, issue_of(status), to_string(denial));
        }
        Reader reader{**patient, rr, matrix};
        if (rr.emergency && !trace(reader, "emergency", "", "bris de glace")) return untraced();
        else if (rr.declares_care && !*care && (*patient)->medecin_traitant != actor->id) {
            if (auto s = s_.dmp.declare_care(ins, actor->id, *actor); !s) return database_error(s.error());
        }
        return reader;
    }

    PdsmServices s_;
};

}  // namespace

void add_pdsm_routes(http::Router& router, PdsmServices services) {
    auto pdsm = std::make_shared<Pdsm>(std::move(services));
    const std::string base = kPdsmBase;
    router.add("POST", base, [pdsm, base](const http::Request& r) {
        if (r.path != base && r.path != base + "/") return outcome(404, "not-found", "POST the ITI-65 Bundle to " + base);
        return pdsm->transaction(r);
    });
    router.add("PATCH", base + "/DocumentReference/", [pdsm](const http::Request& r) { return pdsm->patch(r); });
    router.add("GET", base + "/", [pdsm, base](const http::Request& r) {
        std::string rest = r.path.substr(base.size() + 1);
        if (rest == "DocumentReference") return pdsm->search_documents(r);
        if (rest.rfind("DocumentReference/", 0) == 0) return pdsm->read_document(r, rest.substr(18), false);
        if (rest.rfind("Binary/", 0) == 0) return pdsm->read_document(r, rest.substr(7), true);
        if (rest == "List") return pdsm->search_lists(r);
        if (rest == "Patient") return pdsm->patient_search(r);
        if (rest == "AuditEvent") return pdsm->audit_events(r);
        return outcome(404, "not-supported", "no such PDSm resource");
    });
}

}  // namespace mss::dmp
