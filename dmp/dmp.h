// The linked DMP behind an interface, so that a remote PDSm connector or a PostgreSQL backend can
// replace the embedded SQLite one: patients, documents and their versions, blocked professionals,
// declared care relationships and the trace of every act. Applies the filing rules (consent,
// opposition, identity traits, versions by the author alone, duplicates); reading rights are
// dmp/access.h's business. Trusts its callers to have identified the actor.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/result.h"
#include "dmp/model.h"

namespace mss::dmp {

// The documents of one submission filed together (each new, or recognised as a duplicate), or
// none of them and the refusal of the first that could not be; Result's own error is kept for
// failures of the database (temporary for the sender).
using DepositOutcome = std::variant<std::vector<DepositReceipt>, Refusal>;
using ChangeOutcome = std::variant<Document, Refusal>;

// One sender's submission among several deposited together.
struct Submission {
    const std::vector<Deposit>* deposits = nullptr;
    Actor by{};
    // Its SubmissionSet, kept with the documents it filed (ITI-66); none for a bare deposit.
    const SubmissionSet* set = nullptr;
};

class Dmp {
public:
    virtual ~Dmp() = default;

    // Patients. add_patient refuses an INS already present (Exists).
    virtual Status add_patient(const Patient& patient, const Actor& by) = 0;
    virtual Result<std::optional<Patient>> patient(std::string_view ins) = 0;
    virtual Status set_opposition(std::string_view ins, bool opposed, const Actor& by) = 0;
    // The médecin traitant is never blocked (Invalid).
    virtual Status set_blocked(std::string_view ins, std::string_view ps_idnat, bool blocked, const Actor& by) = 0;
    virtual Result<std::vector<std::string>> blocked(std::string_view ins) = 0;
    // A care relationship a professional declared (the patient's authorisation), recorded once.
    virtual Status declare_care(std::string_view ins, std::string_view ps_idnat, const Actor& by) = 0;
    virtual Result<bool> has_care(std::string_view ins, std::string_view ps_idnat) = 0;

    // Documents.
    // One transaction: a later document may replace an earlier one of the same submission.
    virtual Result<DepositOutcome> deposit(const std::vector<Deposit>& deposits, const Actor& by) = 0;
    // Several submissions in one transaction (one commit, one fsync), each filed whole or refused
    // on its own: one outcome each, in order. An Error writes none of them.
    virtual Result<std::vector<DepositOutcome>> deposit_all(const std::vector<Submission>& submissions) = 0;
    // Matching documents, the latest deposited first; summaries only, for deciding and counting
    // before reading the page's documents one by one.
    virtual Result<std::vector<Document>> find(const DocumentQuery& query) = 0;
    virtual Result<std::vector<DocumentSummary>> find_summaries(const DocumentQuery& query) = 0;
    virtual Result<std::optional<Document>> document(std::string_view id) = 0;
    // The documents of these ids that exist, in the order given (one page of a search).
    virtual Result<std::vector<Document>> documents(const std::vector<std::string>& ids) = 0;
    virtual Result<std::optional<std::string>> content(std::string_view id) = 0;
    // ITI-66: the patient's submission sets matching, the latest deposited first, each with the
    // ids of the documents it filed (the caller applies the access rules to them).
    virtual Result<std::vector<SubmissionSet>> find_lists(const ListQuery& query) = 0;
    // Masking (visibility labels replaced) and deletion (status to superseded): the author only, or
    // the patient's side through the operator (901 otherwise).
    virtual Result<ChangeOutcome> set_visibility(std::string_view id, const std::vector<std::string>& labels,
                                                 const Actor& by) = 0;
    virtual Result<ChangeOutcome> supersede(std::string_view id, const Actor& by) = 0;

    // Traces: every act above is traced by the DMP itself; searches, reads, refusals and emergency
    // accesses by the caller that decided them.
    virtual Status trace(const Trace& trace) = 0;
    virtual Result<std::vector<Trace>> traces(std::string_view ins) = 0;
};

// SQLite in WAL mode in its own file (DATA/dmp.db), created with its schema when missing.
Result<std::unique_ptr<Dmp>> open_sqlite_dmp(const std::filesystem::path& file);

}  // namespace mss::dmp
