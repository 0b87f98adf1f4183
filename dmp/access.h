// Who may read what in a DMP: the access matrix (profession code of the directory × DMP class code
// JDV_J57, a data file), and the rules of domain.md section 8 as pure decisions: feed-only
// credentials never read; a professional needs a care relationship (médecin traitant, a declared
// authorisation of the patient, or bris de glace when the patient allowed it, with a justification),
// must not be blocked, and sees a masked document only as médecin traitant or author. Trusts the
// caller's identification of the actor and the directory's professions.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dmp/model.h"

namespace mss::dmp {

// Rows "profession<TAB>label<TAB>classes" where classes is "*" or comma-separated JDV_J57 codes;
// '#' starts a comment. Pure parse of the file's text.
class AccessMatrix {
public:
    static Result<AccessMatrix> parse(std::string_view text);
    bool allows(std::string_view profession, std::string_view class_code) const;
    bool knows(std::string_view profession) const { return rows_.count(std::string(profession)) != 0; }

private:
    struct Row {
        bool all = false;
        std::set<std::string> classes;
    };
    std::map<std::string, Row, std::less<>> rows_;
};

// How a professional reaches the DMP: the VIHF's "mode d'accès" in this API's words.
struct ReadRequest {
    Actor actor{};
    std::vector<std::string> professions{};  // the directory's profession codes of this PS_IdNat
    bool declares_care = false;             // "the patient authorised me" (recorded)
    bool emergency = false;                 // bris de glace
    std::string justification{};              // required with emergency
};

enum class Denial {
    None,
    FeedOnly,             // the feeding credential never reads
    NotAProfessional,
    NoDmp,                // no patient, or no consent
    Blocked,
    NoCareRelationship,
    EmergencyRefused,     // the patient refused bris de glace
    NoJustification,      // bris de glace without one
    ProfessionNotAllowed  // no profession of the actor is in the matrix at all
};
std::string_view to_string(Denial denial);

// Whether the actor may search and read this patient's DMP at all; has_care: a declared care
// relationship is recorded already.
Denial may_open(const std::optional<Patient>& patient, const ReadRequest& request, bool blocked, bool has_care,
                const AccessMatrix& matrix);

// Whether one document is visible to an actor who may open the DMP: its class allowed for one of
// the actor's professions (the author always sees his own), masked only for médecin traitant and author.
bool may_see(const DocumentSummary& document, const Patient& patient, const ReadRequest& request,
             const AccessMatrix& matrix);

// The patient's side of the DMP (Mon espace santé's reading, here through the operator: `mssctl dmp
// documents --for`): the patient, or a legal representative acting for a minor or protected adult.
enum class PatientSide { Patient, LegalRepresentative };
std::string_view to_string(PatientSide side);  // "patient" | "legal-representative"

// Whether the patient's side sees a document: INVISIBLE_PATIENT hides it from the patient until the
// announcement consultation (the author then lifts the label), and from the representatives, who act
// in the patient's stead; INVISIBLE_REPRESENTANTS_LEGAUX from the representatives only. MASQUE_PS
// concerns professionals: the patient, who masked it, still sees it.
bool may_see(const DocumentSummary& document, PatientSide side);

}  // namespace mss::dmp

namespace mss::dmp {

// The matrix in force: DATA/dmp-access-matrix.tsv when the operator put one there, else the
// default shipped in dmp/data/access-matrix.tsv. Reads files.
Result<AccessMatrix> load_access_matrix(const std::filesystem::path& data_dir);

}  // namespace mss::dmp
