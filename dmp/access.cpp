// The access matrix file and the reading decisions of the DMP (see access.h). Pure.
#include <fmt/format.h>

#include "dmp/access.h"

namespace mss::dmp {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> fields(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        auto end = line.find(sep, start);
        out.push_back(trim(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

}  // namespace

Result<AccessMatrix> AccessMatrix::parse(std::string_view text) {
    AccessMatrix m;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++line_no;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        if (trim(line).empty()) continue;
        auto f = fields(line, '\t');
        if (f.size() != 3 || f[0].empty())
            return fail(ErrorKind::Invalid, fmt::format("access matrix line {}: want profession, label, classes", line_no));
        Row row;
        if (f[2] == "*") {
            row.all = true;
        } else {
            for (auto c : fields(f[2], ','))
                if (!c.empty()) row.classes.emplace(c);
        }
        m.rows_[std::string(f[0])] = std::move(row);
    }
    return m;
}

bool AccessMatrix::allows(std::string_view profession, std::string_view class_code) const {
    auto it = rows_.find(profession);
    if (it == rows_.end()) return false;
    return it->second.all || it->second.classes.count(std::string(class_code)) != 0;
}

std::string_view to_string(Denial denial) {
    switch (denial) {
        case Denial::None: return "allowed";
        case Denial::FeedOnly: return "a feeding credential cannot read";
        case Denial::NotAProfessional: return "not a health professional";
        case Denial::NoDmp: return "no DMP for this patient";
        case Denial::Blocked: return "the patient blocked this professional";
        case Denial::NoCareRelationship: return "no care relationship with the patient";
        case Denial::EmergencyRefused: return "the patient refused emergency access";
        case Denial::NoJustification: return "emergency access needs a justification";
        case Denial::ProfessionNotAllowed: return "profession not allowed by the access matrix";
    }
    return "refused";
}

Denial may_open(const std::optional<Patient>& patient, const ReadRequest& r, bool blocked, bool has_care,
                const AccessMatrix& matrix) {
    if (r.actor.kind == Actor::Kind::Feed) return Denial::FeedOnly;
    if (r.actor.kind != Actor::Kind::Professional) return Denial::NotAProfessional;
    if (!patient || !patient->consent) return Denial::NoDmp;
    if (blocked) return Denial::Blocked;
    bool known = false;
    for (const auto& p : r.professions) known = known || matrix.knows(p);
    if (!known) return Denial::ProfessionNotAllowed;
    if (r.emergency) {
        if (!patient->emergency_allowed) return Denial::EmergencyRefused;
        if (r.justification.empty()) return Denial::NoJustification;
        return Denial::None;
    }
    if (patient->medecin_traitant == r.actor.id || has_care || r.declares_care) return Denial::None;
    return Denial::NoCareRelationship;
}

bool may_see(const DocumentSummary& d, const Patient& patient, const ReadRequest& r, const AccessMatrix& matrix) {
    bool author = d.author == r.actor.id;
    if (d.has_visibility(kMasquePs) && !author && patient.medecin_traitant != r.actor.id) return false;
    if (author) return true;
    for (const auto& p : r.professions)
        if (matrix.allows(p, d.class_code)) return true;
    return false;
}

std::string_view to_string(PatientSide side) {
    return side == PatientSide::Patient ? "patient" : "legal-representative";
}

bool may_see(const DocumentSummary& d, PatientSide side) {
    if (d.has_visibility(kInvisiblePatient)) return false;
    return side == PatientSide::Patient || !d.has_visibility(kInvisibleRepresentants);
}

}  // namespace mss::dmp
