// XDM reading: libzip from memory (names, sizes, ratios and encryption checked before any member
// is inflated), ebRIM metadata through libxml2, SHA-1 through OpenSSL. Pure.
#include "cda/xdm.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <zip.h>

#include <map>
#include <memory>

#include "core/text.h"

namespace mss::cda {
namespace {

constexpr std::string_view rim = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
constexpr std::string_view lcm = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
// IHE ITI TF-3 4.2.5: classification and identification schemes of the metadata.
constexpr std::string_view kDocumentEntryType = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
constexpr std::string_view kDocAuthor = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
constexpr std::string_view kDocClass = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
constexpr std::string_view kDocConfidentiality = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
constexpr std::string_view kDocFormat = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
constexpr std::string_view kDocFacilityType = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
constexpr std::string_view kDocPracticeSetting = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
constexpr std::string_view kDocType = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
constexpr std::string_view kDocPatientId = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
constexpr std::string_view kDocUniqueId = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
constexpr std::string_view kSetAuthor = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
constexpr std::string_view kSetContentType = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
constexpr std::string_view kSetUniqueId = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
constexpr std::string_view kSetPatientId = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
constexpr std::string_view kSetSourceId = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
constexpr std::string_view kSetNode = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
constexpr std::string_view kZipMagic = "PK\x03\x04";
constexpr std::uint64_t kRatioFloor = 64 * 1024;

Refusal bad(std::string reason) { return refuse(AckCode::Other, std::move(reason)); }

// ---- the zip ----

struct ZipDiscard {
    void operator()(zip_t* z) const { zip_discard(z); }
};
using Zip = std::unique_ptr<zip_t, ZipDiscard>;

struct Member {
    zip_uint64_t index;
    std::string name;
    std::uint64_t size;
};
using Members = std::map<std::string, Member>;  // keyed by the lower-cased name

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A relative path of plain components: no absolute path, drive, backslash or "..".
bool safe_path(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos ||
        name.find(':') != std::string_view::npos)
        return false;
    for (std::size_t start = 0; start <= name.size();) {
        auto slash = name.find('/', start);
        if (slash == std::string_view::npos) slash = name.size();
        auto part = name.substr(start, slash - start);
        if (part == ".." || part == "." || (part.empty() && slash != name.size())) return false;
        start = slash + 1;
    }
    return true;
}

Outcome<Zip> open_zip(std::string_view octets) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(octets.data(), octets.size(), 0, &error);
    if (!source) return bad("cannot read the zip");
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!archive) {
        std::string why = zip_error_code_zip(&error) == ZIP_ER_EXISTS ? "an entry name appears twice"
                                                                      : zip_error_strerror(&error);
        zip_error_fini(&error);
        zip_source_free(source);
        return bad(fmt::format("not a readable zip archive: {}", why));
    }
    zip_error_fini(&error);
    return Zip(archive);
}

std::optional<Refusal> member_refused(const zip_stat_t& st, std::string_view name, const XdmLimits& limits) {
    if (!safe_path(name)) return bad(fmt::format("zip entry \"{}\": absolute path or \"..\" refused", name));
    if (ends_with(ascii_lower(name), ".zip")) return bad(fmt::format("zip entry \"{}\": nested archive refused", name));
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return bad(fmt::format("zip entry \"{}\" is encrypted", name));
    if (st.size > kRatioFloor && st.comp_size * limits.max_ratio < st.size)
        return bad(fmt::format("zip entry \"{}\" inflates {} octets from {}: over the {}:1 ratio", name, st.size,
                               st.comp_size, limits.max_ratio));
    return std::nullopt;
}

Outcome<Members> list_members(zip_t* archive, const XdmLimits& limits) {
    zip_int64_t count = zip_get_num_entries(archive, 0);
    if (count < 0 || static_cast<std::uint64_t>(count) > limits.max_entries)
        return bad(fmt::format("the zip holds {} entries (at most {})", count, limits.max_entries));
    Members members;
    std::uint64_t total = 0;
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t st;
        if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
            return bad(fmt::format("zip entry {} cannot be read", i));
        std::string name = st.name;
        if (auto refused = member_refused(st, name, limits)) return *refused;
        total += st.size;
        if (total > limits.max_total_octets)
            return bad(fmt::format("the zip inflates to more than {} octets", limits.max_total_octets));
        if (!members.emplace(ascii_lower(name), Member{static_cast<zip_uint64_t>(i), name, st.size}).second)
            return bad(fmt::format("zip entry \"{}\" appears twice", name));
    }
    return members;
}

Outcome<std::string> inflate(zip_t* archive, const Member& m) {
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(archive, m.index, 0), zip_fclose);
    if (!file) return bad(fmt::format("zip entry \"{}\" cannot be opened: {}", m.name, zip_strerror(archive)));
    std::string out(m.size, '\0');
    std::uint64_t got = 0;
    while (got < m.size) {
        zip_int64_t n = zip_fread(file.get(), out.data() + got, m.size - got);
        if (n <= 0) return bad(fmt::format("zip entry \"{}\" is damaged: {}", m.name, zip_file_strerror(file.get())));
        got += static_cast<std::uint64_t>(n);
    }
    char extra;
    if (zip_fread(file.get(), &extra, 1) != 0) return bad(fmt::format("zip entry \"{}\" is larger than declared", m.name));
    if (out.substr(0, kZipMagic.size()) == kZipMagic)
        return bad(fmt::format("zip entry \"{}\": nested archive refused", m.name));
    return out;
}

// ---- the metadata ----

std::vector<std::string> slot(const xmlNode* object, std::string_view name) {
    std::vector<std::string> out;
    for (const xmlNode* s : children(object, rim, "Slot"))
        if (attribute(s, "name") == name)
            for (const xmlNode* v : children(child(s, rim, "ValueList"), rim, "Value")) out.push_back(text(v));
    return out;
}

std::string first_slot(const xmlNode* object, std::string_view name) {
    auto values = slot(object, name);
    return values.empty() ? std::string() : values.front();
}

std::string localized_name(const xmlNode* object) {
    return attribute(path(object, rim, {"Name", "LocalizedString"}), "value");
}

const xmlNode* classification(const xmlNode* object, std::string_view scheme) {
    for (const xmlNode* c : children(object, rim, "Classification"))
        if (attribute(c, "classificationScheme") == scheme) return c;
    return nullptr;
}

CodedValue coded(const xmlNode* object, std::string_view scheme) {
    const xmlNode* c = classification(object, scheme);
    if (!c) return {};
    return CodedValue{attribute(c, "nodeRepresentation"), first_slot(c, "codingScheme"), localized_name(c)};
}

std::vector<std::string> authors(const xmlNode* object, std::string_view scheme) {
    std::vector<std::string> out;
    for (const xmlNode* c : children(object, rim, "Classification"))
        if (attribute(c, "classificationScheme") == scheme)
            for (auto& a : slot(c, "authorPerson")) out.push_back(a);
    return out;
}

std::string external_id(const xmlNode* object, std::string_view scheme) {
    for (const xmlNode* e : children(object, rim, "ExternalIdentifier"))
        if (attribute(e, "identificationScheme") == scheme) return attribute(e, "value");
    return {};
}

Outcome<PatientRef> patient_of(const xmlNode* object, std::string_view scheme, std::string_view who) {
    std::string cx = external_id(object, scheme);
    auto p = parse_patient_id(cx);
    if (!p) return bad(fmt::format("{}: patientId \"{}\" is not <id>^^^&<oid>&ISO", who, cx));
    return *p;
}

Outcome<DocumentEntry> entry_of(const xmlNode* e) {
    DocumentEntry d;
    d.entry_id = attribute(e, "id");
    if (attribute(e, "objectType") != kDocumentEntryType)
        return bad(fmt::format("ExtrinsicObject {}: not a stable document entry", d.entry_id));
    auto patient = patient_of(e, kDocPatientId, "document entry " + d.entry_id);
    if (!patient) return patient.refusal();
    d.patient = patient.value();
    d.uri = first_slot(e, "URI");
    d.unique_id = external_id(e, kDocUniqueId);
    d.type_code = coded(e, kDocType);
    d.class_code = coded(e, kDocClass);
    d.confidentiality = coded(e, kDocConfidentiality);
    d.format_code = coded(e, kDocFormat);
    d.facility_type = coded(e, kDocFacilityType);
    d.practice_setting = coded(e, kDocPracticeSetting);
    d.hash = ascii_lower(first_slot(e, "hash"));
    std::string size = first_slot(e, "size");
    d.mime_type = attribute(e, "mimeType");
    d.creation_time = first_slot(e, "creationTime");
    d.title = localized_name(e);
    d.authors = authors(e, kDocAuthor);
    if (d.uri.empty() || !safe_path(d.uri)) return bad(fmt::format("document entry {}: URI \"{}\" refused", d.entry_id, d.uri));
    if (d.unique_id.empty()) return bad(fmt::format("document entry {}: no uniqueId", d.entry_id));
    if (d.hash.size() != 40 || size.empty() || size.size() > 12 || size.find_first_not_of("0123456789") != std::string::npos)
        return bad(fmt::format("document entry {}: hash or size missing or malformed", d.entry_id));
    d.size = std::stoull(size);
    return d;
}

std::vector<std::string> submission_set_ids(const xmlNode* list) {
    std::vector<std::string> ids;
    auto collect = [&](const xmlNode* parent) {
        for (const xmlNode* c : children(parent, rim, "Classification"))
            if (attribute(c, "classificationNode") == kSetNode) ids.push_back(attribute(c, "classifiedObject"));
    };
    collect(list);
    for (const xmlNode* p : children(list, rim, "RegistryPackage")) collect(p);
    return ids;
}

Outcome<SubmissionSet> submission_set_of(const xmlNode* list) {
    auto ids = submission_set_ids(list);
    auto packages = children(list, rim, "RegistryPackage");
    std::vector<const xmlNode*> sets;
    for (const xmlNode* p : packages)
        if (std::find(ids.begin(), ids.end(), attribute(p, "id")) != ids.end()) sets.push_back(p);
    if (ids.empty() && packages.size() == 1) sets = packages;
    if (sets.size() != 1) return bad(fmt::format("METADATA.XML: {} submission sets (one expected)", sets.size()));
    const xmlNode* set = sets.front();
    SubmissionSet s;
    s.entry_id = attribute(set, "id");
    auto patient = patient_of(set, kSetPatientId, "the submission set");
    if (!patient) return patient.refusal();
    s.patient = patient.value();
    s.unique_id = external_id(set, kSetUniqueId);
    s.source_id = external_id(set, kSetSourceId);
    s.submission_time = first_slot(set, "submissionTime");
    s.authors = authors(set, kSetAuthor);
    s.content_type = coded(set, kSetContentType);
    return s;
}

std::string sha1_hex(std::string_view octets) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(octets.data(), octets.size(), md, &len, EVP_sha1(), nullptr);
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
}

// The document's own patient must be the one its entry names; a document with no usable INS
// says so with its own code.
std::optional<Refusal> patient_mismatch(const DocumentEntry& d) {
    for (const auto& id : d.cda->patient.ids)
        if (id.root == d.patient.oid && id.extension == d.patient.id) return std::nullopt;
    if (d.cda->patient.ids.empty()) return refuse(AckCode::InsMissing, fmt::format("{}: the CDA names no patient", d.uri));
    return bad(fmt::format("{}: the CDA's patient is not the metadata's ({})", d.uri, d.patient.id));
}

std::optional<Refusal> fill_content(zip_t* archive, const Members& members, const std::string& folder,
                                    DocumentEntry& d, const XdmLimits& limits) {
    auto m = members.find(ascii_lower(folder + "/" + d.uri));
    if (m == members.end()) return bad(fmt::format("{}: listed in METADATA.XML, absent from the zip", d.uri));
    if (m->second.size != d.size)
        return bad(fmt::format("{}: {} octets, METADATA.XML says {}", d.uri, m->second.size, d.size));
    auto content = inflate(archive, m->second);
    if (!content) return content.refusal();
    d.content = std::move(content).value();
    if (sha1_hex(d.content) != d.hash) return bad(fmt::format("{}: SHA-1 differs from METADATA.XML's", d.uri));
    if (d.mime_type != "text/xml") return std::nullopt;
    auto header = read_cda_header(d.content, limits.xml);
    if (!header) return header.refusal();
    d.cda = std::move(header).value();
    return patient_mismatch(d);
}

Outcome<XdmSubset> read_subset(zip_t* archive, const Members& members, const Member& metadata, const XdmLimits& limits) {
    XdmSubset subset;
    subset.folder = metadata.name.substr(0, metadata.name.rfind('/'));
    auto xml = inflate(archive, metadata);
    if (!xml) return xml.refusal();
    auto doc = parse_xml(xml.value(), metadata.name, limits.xml);
    if (!doc) return doc.refusal();
    const xmlNode* root = xmlDocGetRootElement(doc->get());
    if (!is_element(root, lcm, "SubmitObjectsRequest")) return bad(metadata.name + ": not an ebRIM SubmitObjectsRequest");
    const xmlNode* list = child(root, rim, "RegistryObjectList");
    auto set = submission_set_of(list);
    if (!set) return set.refusal();
    subset.submission_set = std::move(set).value();
    for (const xmlNode* e : children(list, rim, "ExtrinsicObject")) {
        auto entry = entry_of(e);
        if (!entry) return entry.refusal();
        if (!(entry->patient == subset.submission_set.patient))
            return bad(fmt::format("two patients in one archive: {} and {}", subset.submission_set.patient.id,
                                   entry->patient.id));
        if (auto refused = fill_content(archive, members, subset.folder, entry.value(), limits)) return *refused;
        subset.documents.push_back(std::move(entry).value());
    }
    if (subset.documents.empty()) return bad(metadata.name + ": no document entry");
    return subset;
}

// "ihe_xdm/<folder>/metadata.xml", one folder deep.
bool is_metadata(std::string_view lowered) {
    constexpr std::string_view prefix = "ihe_xdm/", suffix = "/metadata.xml";
    if (lowered.substr(0, prefix.size()) != prefix || !ends_with(lowered, suffix)) return false;
    auto folder = lowered.substr(prefix.size(), lowered.size() - prefix.size() - suffix.size());
    return !folder.empty() && folder.find('/') == std::string_view::npos;
}

}  // namespace

std::optional<PatientRef> parse_patient_id(std::string_view cx) {
    auto caret = cx.find("^^^&");
    if (caret == std::string_view::npos || caret == 0) return std::nullopt;
    auto oid_start = caret + 4, amp = cx.find('&', oid_start);
    if (amp == std::string_view::npos || amp == oid_start || cx.substr(amp, 4) != "&ISO") return std::nullopt;
    return PatientRef{std::string(cx.substr(0, caret)), std::string(cx.substr(oid_start, amp - oid_start))};
}

Outcome<XdmArchive> read_xdm(std::string_view octets, const XdmLimits& limits) {
    if (octets.size() > limits.max_archive_octets)
        return bad(fmt::format("the archive is larger than {} octets", limits.max_archive_octets));
    auto archive = open_zip(octets);
    if (!archive) return archive.refusal();
    auto members = list_members(archive->get(), limits);
    if (!members) return members.refusal();
    XdmArchive out;
    for (const auto& [lowered, member] : members.value()) {
        if (!is_metadata(lowered)) continue;
        auto subset = read_subset(archive->get(), members.value(), member, limits);
        if (!subset) return subset.refusal();
        if (!out.subsets.empty() && !(subset->submission_set.patient == out.patient))
            return bad(fmt::format("two patients in one archive: {} and {}", out.patient.id,
                                   subset->submission_set.patient.id));
        out.patient = subset->submission_set.patient;
        out.subsets.push_back(std::move(subset).value());
    }
    if (out.subsets.empty()) return bad("no IHE_XDM/<subset>/METADATA.XML in the archive");
    return out;
}

Outcome<Attachment> read_attachment(std::string_view octets, const XdmLimits& limits) {
    if (octets.substr(0, kZipMagic.size()) == kZipMagic) {
        auto archive = read_xdm(octets, limits);
        if (!archive) return archive.refusal();
        return Attachment(std::move(archive).value());
    }
    auto header = read_cda_header(octets, limits.xml);
    if (!header) return header.refusal();
    return Attachment(std::move(header).value());
}

std::vector<const CdaHeader*> cda_documents(const Attachment& attachment) {
    std::vector<const CdaHeader*> out;
    if (const auto* header = std::get_if<CdaHeader>(&attachment)) {
        out.push_back(header);
        return out;
    }
    for (const auto& subset : std::get<XdmArchive>(attachment).subsets)
        for (const auto& d : subset.documents)
            if (d.cda) out.push_back(&*d.cda);
    return out;
}

}  // namespace mss::cda
