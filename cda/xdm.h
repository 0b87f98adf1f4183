// IHE XDM archives (ITI-32, domain.md section 7) and bare CDA attachments, read from memory: the
// zip through libzip with bounds against bombs and paths, each IHE_XDM/<subset>/METADATA.XML
// (ebRIM 3.0 SubmitObjectsRequest) through cda/xml.h, and every document checked against its
// entry (SHA-1, size, patient). Pure: no file, no network. Refusals are 906 unless a document's
// own INS says otherwise.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cda/ack.h"
#include "cda/header.h"

namespace mss::cda {

struct XdmLimits {
    std::size_t max_archive_octets = 30 * 1024 * 1024;   // the zip as received
    std::size_t max_entries = 256;
    std::uint64_t max_total_octets = 64 * 1024 * 1024;   // sum of the declared uncompressed sizes
    std::uint64_t max_ratio = 200;                       // uncompressed / compressed, per entry over 64 KiB
    XmlLimits xml;                                       // METADATA.XML and each CDA
};

struct PatientRef {  // an XDS CX: "<id>^^^&<oid>&ISO"
    std::string id, oid;
    bool operator==(const PatientRef&) const = default;
};

struct DocumentEntry {
    std::string entry_id;   // the ExtrinsicObject's id
    std::string uri;        // relative to the subset folder, e.g. DOC0001.XML
    std::string unique_id;  // XDSDocumentEntry.uniqueId
    PatientRef patient;     // XDSDocumentEntry.patientId
    CodedValue type_code, class_code, confidentiality, format_code, facility_type, practice_setting;
    std::string hash;       // SHA-1, lower-case hex
    std::uint64_t size = 0;
    std::string mime_type, creation_time, title;
    std::vector<std::string> authors;  // authorPerson XCN values
    std::string content;               // the document's octets, checked against hash and size
    std::optional<CdaHeader> cda;      // read when mime_type is text/xml
};

struct SubmissionSet {
    std::string entry_id, unique_id, source_id, submission_time;
    PatientRef patient;
    std::vector<std::string> authors;
    CodedValue content_type;
};

struct XdmSubset {
    std::string folder;  // e.g. IHE_XDM/SUBSET01
    SubmissionSet submission_set;
    std::vector<DocumentEntry> documents;
};

struct XdmArchive {
    std::vector<XdmSubset> subsets;
    PatientRef patient;  // the one patient of every entry
};

// An XDS CX patient id, or nullopt when it is not "<id>^^^&<oid>&ISO".
std::optional<PatientRef> parse_patient_id(std::string_view cx);

Outcome<XdmArchive> read_xdm(std::string_view zip, const XdmLimits& limits = {});

// An attachment as it arrives: an XDM zip (it starts with "PK\x03\x04") or a bare CDA document.
using Attachment = std::variant<XdmArchive, CdaHeader>;
Outcome<Attachment> read_attachment(std::string_view octets, const XdmLimits& limits = {});
// The CDA headers an attachment carries, in order.
std::vector<const CdaHeader*> cda_documents(const Attachment& attachment);

}  // namespace mss::cda
