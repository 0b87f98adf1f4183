// Streaming reader of the national directory's extraction files (domain.md section 5):
// Extraction_Correspondance_MSSante and PS_LibreAcces_Personne_activite, '|'-separated UTF-8 with a
// header row. Pure and bounded: bytes in, rows out in the published column order; trusts nothing.
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::directory {

enum class ExtractionKind { Correspondance, PersonneActivite };
std::string_view to_string(ExtractionKind kind);  // "correspondance" | "personne-activite"

// Extraction_Correspondance_MSSante: one row per mailbox (31 columns, published order).
namespace correspondance {
enum Column : int {
    TypeBal, Adresse, TypeIdPp, IdPp, IdNatPp, TypeIdStructure, IdStructure, Service, Civilite, Nom, Prenom,
    CategorieProfession, LibelleCategorie, CodeProfession, LibelleProfession, CodeSavoirFaire, LibelleSavoirFaire,
    Dematerialisation, RaisonSociale, Enseigne, L2, L3, L4Numero, L4Complement, L4TypeVoie, L4LibelleVoie, L5, L6,
    CodePostal, Departement, Pays, kCount
};
}

// PS_LibreAcces_Personne_activite: one row per professional activity (52 columns, published order).
namespace activite {
enum Column : int {
    TypeIdPp, IdPp, IdNatPp, CodeCiviliteExercice, LibelleCiviliteExercice, CodeCivilite, LibelleCivilite, Nom,
    Prenom, CodeProfession, LibelleProfession, CodeCategorie, LibelleCategorie, CodeTypeSavoirFaire,
    LibelleTypeSavoirFaire, CodeSavoirFaire, LibelleSavoirFaire, CodeModeExercice, LibelleModeExercice, Siret,
    Siren, FinessSite, FinessEj, IdTechniqueStructure, RaisonSociale, Enseigne, ComplementDestinataire,
    ComplementPoint, NumeroVoie, IndiceRepetition, CodeTypeVoie, LibelleTypeVoie, LibelleVoie,
    MentionDistribution, BureauCedex, CodePostal, CodeCommune, LibelleCommune, CodePays, LibellePays, Telephone,
    Telephone2, Telecopie, Email, CodeDepartement, LibelleDepartement, AncienIdentifiant,
    AutoriteEnregistrement, CodeSecteur, LibelleSecteur, CodeSection, LibelleSection, kCount
};
}

// The header names as published, in column order (the Column enums above index them).
std::span<const std::string_view> published_header(ExtractionKind kind);

// One data row, its fields in the published column order whatever order the file used; valid only
// during the visit.
struct RawRow {
    std::size_t line = 0;  // 1-based, the header being line 1
    std::span<const std::string_view> fields;
    std::string_view operator[](int column) const { return fields[static_cast<std::size_t>(column)]; }
};

// A row set aside with the reason, reported and counted; the rest of the file still imports.
struct BadRow {
    std::size_t line = 0;
    std::string reason;
};

struct ReaderLimits {
    std::size_t max_line = 16 * 1024;  // octets of one line; a longer one is no extraction row
};

// Feed it the file's bytes in pieces of any size. A file that is not an extraction at all (unknown,
// missing or repeated header names, a BOM-less non-UTF-8 byte, an over-long line, no header) is an
// Error naming the line: the caller discards everything it was given. Row-level problems (wrong
// column count) go to the reject callback.
class ExtractionReader {
public:
    using Visit = std::function<void(const RawRow&)>;
    using Reject = std::function<void(const BadRow&)>;

    explicit ExtractionReader(ReaderLimits limits = {}) : limits_(limits) {}

    Status feed(std::string_view bytes, const Visit& visit, const Reject& reject);
    // The last line when the file does not end with a line break; an empty file is an Error.
    Status finish(const Visit& visit, const Reject& reject);

    std::optional<ExtractionKind> kind() const { return kind_; }
    std::size_t rows() const { return rows_; }  // data rows seen, good and bad

private:
    Status line(std::string_view text, const Visit& visit, const Reject& reject);
    Status header(std::string_view text);
    Status start(const Visit& visit, const Reject& reject);  // the first octets held, BOM or not

    ReaderLimits limits_;
    std::string pending_;      // a line cut by the end of a piece
    bool after_cr_ = false;    // a CR ended the last piece's line: an LF right after belongs to it
    bool started_ = false;     // the BOM question is settled
    std::size_t line_no_ = 0;
    std::size_t rows_ = 0;
    std::optional<ExtractionKind> kind_;
    std::vector<int> position_;             // file column -> published column
    std::vector<std::string_view> fields_;  // published order, reused per row
    std::vector<std::string_view> split_;
};

}  // namespace mss::directory
