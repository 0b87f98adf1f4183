// CI-SIS header rules and message-header consistency. Pure.
#include "cda/checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "directory/ps_idnat.h"

namespace mss::cda {
namespace {

constexpr std::string_view kCisisTemplate = "1.2.250.1.213.1.1.1.1";
constexpr std::string_view kHl7FranceTemplate = "2.16.840.1.113883.2.8.2.1";
constexpr std::string_view kUnstructuredTemplate = "1.3.6.1.4.1.19376.1.2.20";
constexpr std::string_view kConfidentialitySystem = "2.16.840.1.113883.5.25";

bool has_template(const CdaHeader& h, std::string_view root) {
    return std::find(h.template_ids.begin(), h.template_ids.end(), root) != h.template_ids.end();
}

bool positive_integer(std::string_view s) {
    return !s.empty() && s.size() <= 9 && s[0] != '0' &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

bool ts_valid(std::string_view ts) {  // an HL7 TS: at least YYYYMMDD, digits up to an offset
    auto digits_end = std::find_if(ts.begin(), ts.end(), [](unsigned char c) { return c < '0' || c > '9'; });
    return digits_end - ts.begin() >= 8;
}

bool ps_idnat(const InstanceId& id) { return id.root == kPsIdNatOid && directory::parse_ps_idnat(id.extension).ok(); }

class Rules {
public:
    explicit Rules(std::vector<Refusal>& out) : out_(out) {}
    void require(bool holds, std::string what) {
        if (!holds) out_.push_back(refuse(AckCode::Other, std::move(what)));
    }

private:
    std::vector<Refusal>& out_;
};

void identity_rules(const CdaHeader& h, Rules& r) {
    r.require(h.realm_code == "FR", "realmCode is not FR");
    r.require(h.type_id.root == "2.16.840.1.113883.1.3" && h.type_id.extension == "POCD_HD000040",
              "typeId is not 2.16.840.1.113883.1.3/POCD_HD000040");
    r.require(has_template(h, kHl7FranceTemplate), "templateId 2.16.840.1.113883.2.8.2.1 missing");
    r.require(has_template(h, kCisisTemplate), "templateId 1.2.250.1.213.1.1.1.1 missing");
    r.require(!h.id.root.empty(), "no document id");
    r.require(!h.code.code.empty() && !h.code.code_system.empty() && !h.code.display_name.empty(),
              "code without its code, codeSystem or displayName");
    r.require(!h.title.empty(), "no title");
    r.require(ts_valid(h.effective_time), "effectiveTime missing or not a date");
    const auto& c = h.confidentiality.code;
    r.require((c == "N" || c == "R" || c == "V") && h.confidentiality.code_system == kConfidentialitySystem,
              "confidentialityCode is not N, R or V of 2.16.840.1.113883.5.25");
    r.require(h.language_code == "fr-FR", "languageCode is not fr-FR");
    r.require(!h.set_id.root.empty(), "no setId");
    r.require(positive_integer(h.version_number), "versionNumber is not a positive integer");
}

void participant_rules(const CdaHeader& h, Rules& r) {
    r.require(h.record_targets == 1, fmt::format("{} recordTarget (one expected)", h.record_targets));
    r.require(!h.authors.empty(), "no author");
    r.require(!h.authors.empty() && ps_idnat(h.authors.front().id),
              "the author is not identified by a valid PS_IdNat (assignedAuthor/id root 1.2.250.1.71.4.2.1)");
    r.require(!h.custodian.root.empty(), "no custodian organisation id");
    r.require(h.legal_authenticators == 1, fmt::format("{} legalAuthenticator (one expected)", h.legal_authenticators));
    r.require(h.legal_authenticators != 1 || ps_idnat(h.legal_authenticator.id),
              "the legal authenticator is not identified by a valid PS_IdNat");
}

void context_rules(const CdaHeader& h, Rules& r) {
    r.require(h.documentation_ofs >= 1, "no documentationOf");
    r.require(h.component_ofs == 1, fmt::format("{} componentOf (one expected)", h.component_ofs));
    r.require(h.related_documents <= 1, fmt::format("{} relatedDocument (at most one)", h.related_documents));
    r.require(!h.replaces || !h.replaces->root.empty(), "relatedDocument RPLC without the replaced document's id");
    r.require(h.body != BodyKind::None, "neither structuredBody nor nonXMLBody");
    r.require(h.body != BodyKind::NonXml || !h.body_media_type.empty(), "nonXMLBody without a mediaType");
    r.require(h.body != BodyKind::NonXml || has_template(h, kUnstructuredTemplate),
              "nonXMLBody without templateId 1.3.6.1.4.1.19376.1.2.20");
}

std::string trimmed(std::string_view s) {
    auto first = s.find_first_not_of(" \t"), last = s.find_last_not_of(" \t");
    return first == std::string_view::npos ? std::string() : std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> code_list(std::string_view header) {
    std::vector<std::string> out;
    for (std::size_t start = 0; start <= header.size();) {
        auto comma = header.find(',', start);
        if (comma == std::string_view::npos) comma = header.size();
        out.push_back(trimmed(header.substr(start, comma - start)));
        start = comma + 1;
    }
    return out;
}

}  // namespace

std::vector<Refusal> header_rule_breaches(const CdaHeader& header) {
    std::vector<Refusal> out;
    Rules r(out);
    identity_rules(header, r);
    participant_rules(header, r);
    context_rules(header, r);
    return out;
}

Outcome<Ins> check_document(const CdaHeader& header) {
    if (header.record_targets == 0) return refuse(AckCode::InsMissing, "no recordTarget: the document names no patient");
    auto ins = qualified_ins(header.patient);
    if (!ins) return ins;
    auto breaches = header_rule_breaches(header);
    if (!breaches.empty()) return breaches.front();
    return ins;
}

Outcome<Ins> one_patient(const std::vector<const CdaHeader*>& documents) {
    std::optional<Ins> first;
    for (const CdaHeader* d : documents) {
        auto ins = qualified_ins(d->patient);
        if (!ins) return ins;
        if (!first) first = ins.value();
        else if (first->matricule != ins->matricule || first->oid != ins->oid)
            return refuse(AckCode::Other, fmt::format("two patients in one message: INS {} and {}", first->matricule,
                                                      ins->matricule));
    }
    if (!first) return refuse(AckCode::Other, "no CDA document");
    return *first;
}

std::optional<Refusal> check_mss_headers(std::optional<std::string_view> code_cda, std::optional<std::string_view> ins,
                                         const std::vector<const CdaHeader*>& documents) {
    if (documents.empty()) {
        if (code_cda || ins) return refuse(AckCode::Other, "X-MSS-CODECDA or X-MSS-INS on a message without CDA document");
        return std::nullopt;
    }
    if (code_cda) {
        auto listed = code_list(*code_cda);
        std::vector<std::string> carried;
        for (const CdaHeader* d : documents) carried.push_back(d->code.code);
        std::sort(listed.begin(), listed.end());
        std::sort(carried.begin(), carried.end());
        if (listed != carried)
            return refuse(AckCode::Other, fmt::format("X-MSS-CODECDA \"{}\" does not list the documents' codes", *code_cda));
    }
    if (!ins) return std::nullopt;
    std::string flag = trimmed(*ins);
    if (flag != "O" && flag != "N") return refuse(AckCode::Other, fmt::format("X-MSS-INS \"{}\" is neither O nor N", flag));
    std::optional<Refusal> unqualified;
    for (const CdaHeader* d : documents) {
        auto q = qualified_ins(d->patient);
        if (!q && !unqualified) unqualified = q.refusal();
    }
    if (flag == "O" && unqualified) return unqualified;
    if (flag == "N" && !unqualified)
        return refuse(AckCode::Other, "X-MSS-INS: N but every document carries a qualified INS");
    return std::nullopt;
}

}  // namespace mss::cda
