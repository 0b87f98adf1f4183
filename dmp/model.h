// The linked DMP's vocabulary: patients keyed by INS, documents with their sharing metadata and
// visibility, traces, and the CI-SIS acknowledgement codes (900-906) a refused deposit carries.
// Holds data only; trusts nothing (every value came from a deposit, an operator or a request).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mss::dmp {

// OIDs of the patient identifiers (INS) the DMP accepts: NIR, NIA, and their test ranges.
inline constexpr const char* kInsNirOid = "1.2.250.1.213.1.4.8";
inline constexpr const char* kInsNiaOid = "1.2.250.1.213.1.4.9";
inline constexpr const char* kInsNirTestOid = "1.2.250.1.213.1.4.10";
inline constexpr const char* kInsNiaTestOid = "1.2.250.1.213.1.4.11";
inline constexpr const char* kPsIdNatOid = "1.2.250.1.71.4.2.1";
inline constexpr const char* kVisibilityOid = "1.2.250.1.213.1.1.4.13";  // TRE_A07 / JDV_J110

bool is_ins_oid(std::string_view oid);
// 13-character NIR/NIA (digits, 2A/2B as the département) then a 2-digit key: the shape only.
bool ins_well_formed(std::string_view ins);

// The CI-SIS acknowledgement codes of a refused deposit (domain.md section 3; issue 12).
enum class AckCode {
    None = 0,
    WrongVersion = 900,        // replacing a document that is not the current version
    NotTheAuthor = 901,        // replacement or deletion by someone other than the author
    NoDmp = 902,               // unknown patient, no consent, or opposition to deposits
    InsMissing = 903,
    TraitsDiffer = 904,        // family, given, birth date or gender differ from the DMP's
    InsIncomplete = 905,       // INS malformed or its OID is not an INS OID
    Other = 906,
};

struct Refusal {
    AckCode ack = AckCode::Other;
    std::string message{};
};

struct Patient {
    std::string ins{};  // matricule, 15 characters
    std::string ins_oid{};
    std::string family{}, given{};
    std::string birth_date{};  // YYYYMMDD
    std::string gender{};      // "F" or "M"
    bool consent = false;
    bool emergency_allowed = true;
    bool opposed_to_deposits = false;
    std::string medecin_traitant{};  // PS_IdNat, or empty
    int64_t created_at = 0;
    std::string notify_address{};  // told of each new document (no content), or empty
};

struct Coding {
    std::string system;  // an OID ("1.2.250.1.213.1.1.4.1") or a URI, as deposited
    std::string code{};
    std::string display{};
    bool operator==(const Coding&) const = default;
};

// Visibility labels beside the confidentiality code; none means normal.
inline constexpr const char* kMasquePs = "MASQUE_PS";
inline constexpr const char* kInvisiblePatient = "INVISIBLE_PATIENT";
inline constexpr const char* kInvisibleRepresentants = "INVISIBLE_REPRESENTANTS_LEGAUX";
bool is_visibility_code(std::string_view code);

// What the access rules look at: a search reads these for every match, whole documents for one page.
struct DocumentSummary {
    std::string id{};
    std::string class_code{};
    std::string author{};
    std::vector<std::string> visibility{};
    bool has_visibility(std::string_view code) const;
};

struct Document {
    std::string id;         // the DMP's own id (DocumentReference.id, Binary id)
    std::string unique_id;  // the document's uniqueId (CDA ClinicalDocument/id), OID or OID^ext
    std::string set_id{};
    int version = 1;
    std::string patient_ins{};
    Coding type{}, class_code{}, format{}, practice_setting{}, facility_type{};
    std::string title{};
    std::string author{};  // PS_IdNat
    std::string creation_time;  // FHIR dateTime as deposited (YYYY-MM-DDThh:mm:ss+zz:zz, or a date)
    std::string service_start{}, service_end{};
    std::string confidentiality = "N";
    std::vector<std::string> visibility{};  // MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX
    std::string status = "current";       // current | superseded
    std::string content_type{};
    uint64_t size = 0;
    std::string sha1_hex{};
    std::string replaces{};  // id of the document this one replaced, or empty
    std::string deposited_by{};
    int64_t deposited_at = 0;

    bool has_visibility(std::string_view code) const;
    DocumentSummary summary() const { return {id, class_code.code, author, visibility}; }
};

// A document to file and its bytes.
struct Deposit {
    Document document{};  // id, status, size, hash, deposited_* are set by the DMP
    std::string content{};
    std::string replaces_ref{};  // relatesTo replaces: a DMP id or a uniqueId, or empty
    // Identity traits the sender holds for the patient; each compared when present (904).
    std::optional<std::string> family{}, given{}, birth_date{}, gender{};
    std::string ins_oid{};  // the OID the sender named the INS under (NIR, NIA, or their test arcs)
    // The submission set it came in (the sender's key for one submission, e.g. a filing job's):
    // a deposit retried after a crash finds its own earlier filing by it.
    std::string submission{};
};

struct DepositReceipt {
    std::string id{};
    bool duplicate = false;   // the same uniqueId was filed before: nothing new written
    // A duplicate filed by the same actor in the same submission: the sender's own earlier attempt,
    // whose outcome it may not have recorded (it died before); new to the sender, so to say.
    bool same_submission = false;
    std::string superseded{};   // id of the version it replaced, or empty
};

// Who acted: a professional (PS_IdNat), a feeding system (organisation certificate) or the operator.
struct Actor {
    enum class Kind { Professional, Feed, Operator };
    Kind kind = Kind::Operator;
    std::string id{};  // PS_IdNat, organisation subject, or "mssctl"
};
std::string to_string(Actor::Kind kind);

struct Trace {
    int64_t at = 0;  // unix seconds
    std::string ins{};
    std::string action{};  // deposit, search, read, mask, unmask, delete, emergency, refused, block...
    std::string actor_kind{}, actor{};
    std::string document{};  // document id, or empty
    std::string detail{};    // justification, query, reason of a refusal
    bool emergency = false;
};

// ITI-67 criteria. Codes match code alone or system|code; dates compare as text (ISO 8601).
struct DocumentQuery {
    std::string ins{};
    std::vector<std::string> statuses{};  // "current", "superseded"; at least one
    std::vector<std::string> types{}, classes{}, formats{}, settings{}, facilities{}, security_labels{}, authors{};
    std::optional<std::string> date_from{}, date_to{};  // on service_start (period)
    std::optional<std::string> creation_from{}, creation_to{};
    std::optional<std::string> relates_to{};  // documents replacing this id
    std::optional<std::string> unique_id{};
};

// An ITI-65 SubmissionSet (FHIR List, code submissionset) as kept beside its documents, for ITI-66.
struct SubmissionSet {
    std::string id{};          // the DMP's own id (List.id)
    std::string unique_id{};   // masterIdentifier (the sender's uniqueId), without urn:oid:
    std::string source_id{};   // ihe-sourceId extension
    std::string patient_ins{};
    std::string date{};        // List.date as deposited (FHIR dateTime)
    std::string title{};
    Coding designation{};      // ihe-designationType extension (the content type code)
    std::string author{};      // PS_IdNat, or empty
    std::string status = "current";
    std::string deposited_by{};
    int64_t deposited_at = 0;
    std::vector<std::string> documents{};  // DMP ids of the documents it filed, in the Bundle's order
};

// ITI-66 criteria. Codes match code alone or system|code; dates compare as text (ISO 8601).
struct ListQuery {
    std::string ins{};
    std::vector<std::string> statuses{};  // empty: any
    std::vector<std::string> designation_types{}, source_ids{}, identifiers{};
    std::optional<std::string> date_from{}, date_to{};
};

}  // namespace mss::dmp
