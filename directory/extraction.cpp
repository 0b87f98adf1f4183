// Extraction files: line splitting (LF, CRLF or a lone CR), the header matched by name, rows
// re-ordered to the published column order. Pure: no I/O, memory bounded by ReaderLimits.
#include "directory/extraction.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.h"

namespace mss::directory {
namespace {

constexpr std::string_view kCorrespondance[] = {
    "Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP", "Identification nationale PP",
    "Type identifiant structure", "Identification Structure", "Service de rattachement", "Civilité d'exercice",
    "Nom d'exercice", "Prénom d'exercice", "Catégorie profession", "Libellé de catégorie profession",
    "Code Profession", "Libellé Profession", "Code savoir-faire", "Libellé savoir-faire", "Dématérialisation",
    "Raison Sociale structure BAL", "Enseigne commerciale structure BAL", "L2COMPLEMENTLOCALISATION",
    "L3COMPLEMENTDISTRIBUTION", "L4NUMEROVOIE", "L4COMPLEMENTNUMEROVOIE", "NL4TYPEVOIE", "L4LIBELLEVOIE",
    "L5LIEUDITMENTION", "L6LIGNEACHEMINEMENT", "Code postal", "Département", "Pays"};
static_assert(std::size(kCorrespondance) == correspondance::kCount);

constexpr std::string_view kActivite[] = {
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP", "Code civilité d'exercice",
    "Libellé civilité d'exercice", "Code civilité", "Libellé civilité", "Nom d'exercice", "Prénom d'exercice",
    "Code profession", "Libellé profession", "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire", "Libellé savoir-faire",
    "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site", "Numéro SIREN site", "Numéro FINESS site",
    "Numéro FINESS établissement juridique", "Identifiant technique de la structure", "Raison sociale site",
    "Enseigne commerciale site", "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)", "Code commune (coord. structure)", "Libellé commune (coord. structure)",
    "Code pays (coord. structure)", "Libellé pays (coord. structure)", "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)", "Adresse e-mail (coord. structure)",
    "Code Département (structure)", "Libellé Département (structure)", "Ancien identifiant de la structure",
    "Autorité d'enregistrement", "Code secteur d'activité", "Libellé secteur d'activité",
    "Code section tableau pharmaciens", "Libellé section tableau pharmaciens"};
static_assert(std::size(kActivite) == activite::kCount);

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kStructureSuffix = " structure bal";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Header names compare without case and without the " structure BAL" some copies add.
std::string header_key(std::string_view name) {
    std::string key = ascii_lower(trim(name));
    if (key.ends_with(kStructureSuffix)) key.resize(key.size() - kStructureSuffix.size());
    return key;
}

void split(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    for (;;) {
        auto bar = line.find('|');
        out.push_back(trim(line.substr(0, bar)));
        if (bar == std::string_view::npos) return;
        line.remove_prefix(bar + 1);
    }
}

// The published trailing '|' leaves one empty field after the last column.
void drop_trailing_empty(std::vector<std::string_view>& fields, std::size_t columns) {
    if (fields.size() == columns + 1 && fields.back().empty()) fields.pop_back();
}

struct HeaderMatch {
    std::vector<int> position;
    std::vector<std::string> unknown, missing, repeated;
    bool exact() const { return unknown.empty() && missing.empty() && repeated.empty(); }
};

HeaderMatch match(std::span<const std::string_view> names, std::span<const std::string_view> published) {
    HeaderMatch m;
    std::vector<bool> seen(published.size(), false);
    for (auto name : names) {
        std::string key = header_key(name);
        auto it = std::find_if(published.begin(), published.end(),
                               [&](std::string_view p) { return header_key(p) == key; });
        if (it == published.end()) {
            m.unknown.emplace_back(name);
            continue;
        }
        auto column = static_cast<std::size_t>(it - published.begin());
        if (seen[column]) m.repeated.emplace_back(name);
        seen[column] = true;
        m.position.push_back(static_cast<int>(column));
    }
    for (std::size_t c = 0; c < published.size(); ++c)
        if (!seen[c]) m.missing.emplace_back(published[c]);
    return m;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < 3; ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
    if (names.size() > 3) out += fmt::format(" and {} more", names.size() - 3);
    return out;
}

}  // namespace

std::string_view to_string(ExtractionKind kind) {
    return kind == ExtractionKind::Correspondance ? "correspondance" : "personne-activite";
}

std::span<const std::string_view> published_header(ExtractionKind kind) {
    if (kind == ExtractionKind::Correspondance) return kCorrespondance;
    return kActivite;
}

Status ExtractionReader::header(std::string_view text) {
    split(text, split_);
    std::vector<std::string_view> names(split_.begin(), split_.end());
    if (names.size() > 1 && names.back().empty()) names.pop_back();
    HeaderMatch best;
    std::size_t best_known = 0;
    for (auto kind : {ExtractionKind::Correspondance, ExtractionKind::PersonneActivite}) {
        HeaderMatch m = match(names, published_header(kind));
        if (m.exact()) {
            kind_ = kind;
            position_ = std::move(m.position);
            fields_.assign(published_header(kind).size(), {});
            return Ok{};
        }
        if (m.position.size() >= best_known) best_known = m.position.size(), best = std::move(m);
    }
    std::string why = "line 1: not an extraction header (Extraction_Correspondance_MSSante or "
                      "PS_LibreAcces_Personne_activite)";
    if (!best.unknown.empty()) why += "; unknown column " + joined(best.unknown);
    if (!best.missing.empty()) why += "; missing column " + joined(best.missing);
    if (!best.repeated.empty()) why += "; repeated column " + joined(best.repeated);
    return fail(ErrorKind::Invalid, why);
}

Status ExtractionReader::line(std::string_view text, const Visit& visit, const Reject& reject) {
    ++line_no_;
    if (!is_valid_utf8(text))
        return fail(ErrorKind::Invalid,
                    fmt::format("line {}: not UTF-8 (a Latin-1 or Windows-1252 file?); the file is refused whole",
                                line_no_));
    if (!kind_) return header(text);
    if (trim(text).empty()) return Ok{};  // blank lines carry no row
    ++rows_;
    split(text, split_);
    drop_trailing_empty(split_, position_.size());
    if (split_.size() != position_.size()) {
        reject({line_no_, fmt::format("{} columns where the header has {}", split_.size(), position_.size())});
        return Ok{};
    }
    for (std::size_t i = 0; i < split_.size(); ++i) fields_[static_cast<std::size_t>(position_[i])] = split_[i];
    visit(RawRow{line_no_, fields_});
    return Ok{};
}

Status ExtractionReader::feed(std::string_view bytes, const Visit& visit, const Reject& reject) {
    if (!started_) {
        // The BOM may itself arrive in pieces: hold the first three octets before deciding.
        std::size_t take = std::min(kBom.size() - pending_.size(), bytes.size());
        pending_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (pending_.size() < kBom.size()) return Ok{};
        if (auto s = start(visit, reject); !s) return s;
    }
    while (!bytes.empty()) {
        if (after_cr_ && bytes.front() == '\n') bytes.remove_prefix(1);
        after_cr_ = false;
        auto end = bytes.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            if (pending_.size() + bytes.size() > limits_.max_line)
                return fail(ErrorKind::Invalid, fmt::format("line {}: longer than {} octets", line_no_ + 1, limits_.max_line));
            pending_.append(bytes);
            return Ok{};
        }
        if (pending_.size() + end > limits_.max_line)
            return fail(ErrorKind::Invalid, fmt::format("line {}: longer than {} octets", line_no_ + 1, limits_.max_line));
        after_cr_ = bytes[end] == '\r';
        Status s = Ok{};
        if (pending_.empty()) {
            s = line(bytes.substr(0, end), visit, reject);
        } else {
            pending_.append(bytes.substr(0, end));
            s = line(pending_, visit, reject);
            pending_.clear();
        }
        if (!s) return s;
        bytes.remove_prefix(end + 1);
    }
    return Ok{};
}

Status ExtractionReader::start(const Visit& visit, const Reject& reject) {
    started_ = true;
    std::string head;
    head.swap(pending_);
    if (head == kBom) return Ok{};
    return feed(head, visit, reject);
}

Status ExtractionReader::finish(const Visit& visit, const Reject& reject) {
    if (!started_)
        if (auto s = start(visit, reject); !s) return s;
    if (!pending_.empty()) {
        std::string last;
        last.swap(pending_);
        if (auto s = line(last, visit, reject); !s) return s;
    }
    if (!kind_) return fail(ErrorKind::Invalid, "empty file: no extraction header");
    return Ok{};
}

}  // namespace mss::directory
