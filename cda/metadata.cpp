// Sharing metadata from the CDA header and the CI-SIS tables; the acknowledgement subject. Pure.
#include "cda/metadata.h"

#include <fmt/format.h>

namespace mss::cda {

namespace data {
extern const std::string_view ass_x04, jdv_j57, ass_a11;  // generated from cda/data/*.tsv
}

namespace {

constexpr std::string_view kUnstructuredTemplate = "1.3.6.1.4.1.19376.1.2.20";
constexpr std::size_t kLabelCharacters = 40;

using Row = std::vector<std::string>;

// Non-comment, non-empty lines split on tabs; each must have at least `columns` fields.
Outcome<std::vector<Row>> rows_of(std::string_view tsv, std::string_view table, std::size_t columns) {
    std::vector<Row> rows;
    int number = 0;
    for (std::size_t start = 0; start < tsv.size();) {
        auto end = tsv.find('\n', start);
        if (end == std::string_view::npos) end = tsv.size();
        auto line = tsv.substr(start, end - start);
        start = end + 1;
        ++number;
        if (line.empty() || line.front() == '#') continue;
        Row row;
        for (std::size_t f = 0; f <= line.size();) {
            auto tab = line.find('\t', f);
            if (tab == std::string_view::npos) tab = line.size();
            row.emplace_back(line.substr(f, tab - f));
            f = tab + 1;
        }
        if (row.size() < columns || row[0].empty())
            return refuse(AckCode::Other, fmt::format("{} line {}: {} columns expected", table, number, columns));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string xds_id(const InstanceId& id) { return id.extension.empty() ? id.root : id.root + "^" + id.extension; }

// The first `limit` characters of UTF-8 text (continuation octets do not count).
std::string cut_characters(std::string_view s, std::size_t limit) {
    std::size_t count = 0, i = 0;
    for (; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
        if (count++ == limit) break;
    }
    return std::string(s.substr(0, i));
}

std::string birth_date_of(std::string_view ts) {
    if (ts.size() < 8) return std::string(ts);
    return fmt::format("{}/{}/{}", ts.substr(6, 2), ts.substr(4, 2), ts.substr(0, 4));
}

Outcome<CodedValue> format_of(const CdaHeader& h, const CodeTables& t) {
    if (h.body == BodyKind::NonXml) {
        auto f = t.format_of_media_type.find(h.body_media_type);
        if (f != t.format_of_media_type.end()) return f->second;
        return refuse(AckCode::Other, fmt::format("no formatCode in ASS_A11 for a nonXMLBody of {}", h.body_media_type));
    }
    for (const auto& root : h.template_ids)
        if (auto f = t.format_of_template.find(root); f != t.format_of_template.end()) return f->second;
    return refuse(AckCode::Other, "no templateId of the document has a formatCode in ASS_A11");
}

}  // namespace

Outcome<CodeTables> parse_code_tables(std::string_view ass_x04, std::string_view jdv_j57, std::string_view ass_a11) {
    auto x04 = rows_of(ass_x04, "ASS_X04", 3);
    if (!x04) return x04.refusal();
    auto j57 = rows_of(jdv_j57, "JDV_J57", 2);
    if (!j57) return j57.refusal();
    auto a11 = rows_of(ass_a11, "ASS_A11", 4);
    if (!a11) return a11.refusal();
    CodeTables t;
    for (auto& r : j57.value()) t.dmp_classes[r[0]] = r[1];
    for (auto& r : x04.value()) {
        auto display = t.dmp_classes.find(r[1]);
        t.class_of_type[r[0]] = CodedValue{r[1], r[2], display == t.dmp_classes.end() ? "" : display->second};
    }
    for (auto& r : a11.value()) {
        CodedValue format{r[2], r[3], ""};
        if (r[1] == "-") t.format_of_template.emplace(r[0], format);
        else if (r[0] == kUnstructuredTemplate) t.format_of_media_type.emplace(r[1], format);
        else return refuse(AckCode::Other, fmt::format("ASS_A11: a mediaType on template {}", r[0]));
    }
    return t;
}

const CodeTables& builtin_code_tables() {
    static const CodeTables tables = [] {
        auto parsed = parse_code_tables(data::ass_x04, data::jdv_j57, data::ass_a11);
        return parsed ? std::move(parsed).value() : CodeTables{};  // unit tests prove the shipped files parse
    }();
    return tables;
}

Outcome<SharingMetadata> sharing_metadata(const CdaHeader& h, const CodeTables& t) {
    SharingMetadata m;
    m.unique_id = xds_id(h.id);
    m.set_id = xds_id(h.set_id);
    m.version = h.version_number;
    m.title = h.title;
    m.creation_time = h.effective_time;
    m.language = h.language_code;
    m.type_code = h.code;
    auto cls = t.class_of_type.find(h.code.code);
    if (cls == t.class_of_type.end())
        return refuse(AckCode::Other, fmt::format("type {} has no class in ASS_X04", h.code.code));
    if (!t.dmp_classes.count(cls->second.code))
        return refuse(AckCode::Other, fmt::format("class {} of type {} is not in JDV_J57", cls->second.code, h.code.code));
    m.class_code = cls->second;
    m.confidentiality = h.confidentiality;
    m.practice_setting = h.practice_setting;
    m.facility_type = h.facility_type;
    if (m.practice_setting.empty()) return refuse(AckCode::Other, "no representedOrganization/standardIndustryClassCode");
    if (m.facility_type.empty()) return refuse(AckCode::Other, "no healthCareFacility/code");
    auto format = format_of(h, t);
    if (!format) return format.refusal();
    m.format_code = format.value();
    if (!h.authors.empty()) m.author_ps_idnat = h.authors.front().id.extension;
    if (h.replaces) m.replaces = xds_id(*h.replaces);
    return m;
}

std::string acknowledgement_subject(const std::vector<const CdaHeader*>& documents) {
    if (documents.empty()) return "XDM/1.0/DDM";
    std::string label = documents.size() == 1 ? cut_characters(documents.front()->code.display_name, kLabelCharacters)
                                              : fmt::format("{} documents", documents.size());
    const auto& p = documents.front()->patient;
    return fmt::format("XDM/1.0/DDM+{} {} {} {}", label, p.family, p.given, birth_date_of(p.birth_date));
}

std::string failure_subject(AckCode code, std::string_view subject) {
    return fmt::format("[KO Intégration système !][{}] {}", static_cast<int>(code), subject);
}

}  // namespace mss::cda
