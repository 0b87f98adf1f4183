// From attachments to deposits (see documents.h): read, checked, mapped, in that order, the first
// refusal stopping everything (a submission is filed whole or not at all).
#include "filing/documents.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cda/checks.h"
#include "cda/metadata.h"
#include "cda/xdm.h"

namespace mss::filing {
namespace {

struct Found {
    const cda::CdaHeader* header;
    const std::string* content;
};

dmp::Coding coding(const cda::CodedValue& v) { return {v.code_system, v.code, v.display_name}; }

bool digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

dmp::Deposit deposit_of(const cda::CdaHeader& header, const cda::SharingMetadata& m, const cda::Ins& ins,
                        const std::string& content) {
    dmp::Deposit d;
    auto& doc = d.document;
    doc.unique_id = m.unique_id;
    doc.set_id = m.set_id;
    doc.version = m.version.empty() || !digits(m.version) || m.version.size() > 6 ? 1 : std::stoi(m.version);
    doc.patient_ins = ins.matricule;
    d.ins_oid = ins.oid;
    doc.type = coding(m.type_code);
    doc.class_code = coding(m.class_code);
    doc.format = coding(m.format_code);
    doc.practice_setting = coding(m.practice_setting);
    doc.facility_type = coding(m.facility_type);
    doc.title = m.title;
    doc.author = m.author_ps_idnat;
    doc.creation_time = fhir_date_time(m.creation_time);
    doc.confidentiality = m.confidentiality.code;
    doc.content_type = m.mime_type;
    d.content = content;
    d.replaces_ref = m.replaces.value_or("");
    const auto& p = header.patient;
    d.family = p.family;
    d.given = p.given;
    if (p.birth_date.size() >= 8) d.birth_date = p.birth_date.substr(0, 8);
    if (p.gender == "F" || p.gender == "M") d.gender = p.gender;
    return d;
}

// What the sender's XDM says of its submission set (ITI-66 shows it): its source, its content type
// and its time. The List's uniqueId stays the filing's own, which a retried job recognises.
void describe_list(const cda::SubmissionSet& sent, dmp::SubmissionSet& list) {
    list.source_id = sent.source_id;
    list.designation = coding(sent.content_type);
    if (!sent.submission_time.empty()) list.date = fhir_date_time(sent.submission_time);
}

}  // namespace

std::string fhir_date_time(std::string_view t) {
    if (t.size() < 8 || !digits(t.substr(0, 8))) return std::string(t);
    std::string out = fmt::format("{}-{}-{}", t.substr(0, 4), t.substr(4, 2), t.substr(6, 2));
    auto zone_at = t.find_first_of("+-", 8);
    auto clock = t.substr(8, zone_at == std::string_view::npos ? std::string_view::npos : zone_at - 8);
    if (clock.size() < 4 || !digits(clock)) return out;
    out += fmt::format("T{}:{}:{}", clock.substr(0, 2), clock.substr(2, 2), clock.size() >= 6 ? clock.substr(4, 2) : "00");
    if (zone_at != std::string_view::npos && t.size() - zone_at == 5 && digits(t.substr(zone_at + 1)))
        out += fmt::format("{}{}:{}", t[zone_at], t.substr(zone_at + 1, 2), t.substr(zone_at + 3, 2));
    return out;
}

cda::Outcome<Documents> documents_of(const std::vector<pipeline::AttachedPart>& parts, const MssHeaders& headers,
                                     std::string_view submission_id) {
    std::vector<std::unique_ptr<cda::Attachment>> read;  // kept alive: Found points into them
    std::vector<Found> found;
    const cda::SubmissionSet* sent_set = nullptr;  // the first XDM's, when there is one
    for (const auto& part : parts) {
        if (!part.xdm && !part.cda) continue;
        auto attachment = cda::read_attachment(part.octets);
        if (!attachment) return attachment.refusal();
        read.push_back(std::make_unique<cda::Attachment>(std::move(attachment).value()));
        if (auto* xdm = std::get_if<cda::XdmArchive>(read.back().get())) {
            if (!sent_set && !xdm->subsets.empty()) sent_set = &xdm->subsets.front().submission_set;
            for (const auto& subset : xdm->subsets)
                for (const auto& entry : subset.documents)
                    if (entry.cda) found.push_back({&*entry.cda, &entry.content});
        } else {
            found.push_back({&std::get<cda::CdaHeader>(*read.back()), &part.octets});
        }
    }
    if (found.empty()) return cda::refuse(cda::AckCode::Other, "no CDA document in the attachments");
    std::vector<const cda::CdaHeader*> headers_found;
    for (const auto& f : found) headers_found.push_back(f.header);
    std::vector<cda::Ins> ins;
    for (const auto* h : headers_found) {
        auto checked = cda::check_document(*h);
        if (!checked) return checked.refusal();
        ins.push_back(std::move(checked).value());
    }
    if (auto refusal = cda::check_mss_headers(headers.code_cda, headers.ins, headers_found)) return *refusal;
    auto patient = cda::one_patient(headers_found);
    if (!patient) return patient.refusal();
    Documents out;
    out.ins = patient->matricule;
    out.subject = cda::acknowledgement_subject(headers_found);
    out.bundle.submission_set = std::string(submission_id);
    out.bundle.list.unique_id = out.bundle.submission_set;
    for (std::size_t i = 0; i < found.size(); ++i) {
        auto metadata = cda::sharing_metadata(*found[i].header);
        if (!metadata) return metadata.refusal();
        out.bundle.deposits.push_back(deposit_of(*found[i].header, metadata.value(), ins[i], *found[i].content));
        out.bundle.deposits.back().submission = out.bundle.submission_set;
        out.bundle.full_urls.push_back(fmt::format("urn:mssd:filing:{}:{}", submission_id, i));
    }
    out.bundle.list.author = out.bundle.deposits.front().document.author;
    if (sent_set) describe_list(*sent_set, out.bundle.list);
    return out;
}

}  // namespace mss::filing
