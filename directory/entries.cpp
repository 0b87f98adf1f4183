// Row checks of the extraction files. Pure.
#include "directory/entries.h"

#include <fmt/format.h>

#include "core/text.h"
#include "directory/checks.h"
#include "directory/ps_idnat.h"

namespace mss::directory {
namespace {

// FNV-1a over the fields with a separator no field holds.
uint64_t fingerprint(const RawRow& row) {
    uint64_t h = 1469598103934665603ull;
    for (auto field : row.fields) {
        for (unsigned char c : field) h = (h ^ c) * 1099511628211ull;
        h = (h ^ '|') * 1099511628211ull;
    }
    return h;
}

Status check_ps_idnat(std::string_view type, std::string_view id, std::string_view national) {
    auto parsed = parse_ps_idnat(national);
    if (!parsed) return parsed.error();
    if (!type.empty() && !id.empty() && national != fmt::format("{}{}", type, id))
        return fail(ErrorKind::Invalid, fmt::format("PS_IdNat {} is not the type {} followed by the identifier {}",
                                                    national, type, id));
    return Ok{};
}

Status check_finess(std::string_view what, std::string_view finess) {
    if (finess.empty() || finess_valid(finess)) return Ok{};
    return fail(ErrorKind::Invalid, fmt::format("{} {}: not a FINESS number or its key is wrong", what, finess));
}

}  // namespace

std::string_view to_string(MailboxType type) {
    switch (type) {
        case MailboxType::Per: return "PER";
        case MailboxType::Org: return "ORG";
        case MailboxType::App: return "APP";
        case MailboxType::Cab: return "CAB";
    }
    return "PER";
}

std::optional<MailboxType> mailbox_type_from(std::string_view text) {
    for (auto t : {MailboxType::Per, MailboxType::Org, MailboxType::App, MailboxType::Cab})
        if (text == to_string(t)) return t;
    return std::nullopt;
}

Result<MailboxEntry> mailbox_of(const RawRow& row) {
    using namespace correspondance;
    auto type = mailbox_type_from(row[TypeBal]);
    if (!type) return fail(ErrorKind::Invalid, fmt::format("mailbox type \"{}\" is not PER, ORG, APP or CAB", row[TypeBal]));
    if (!address_valid(row[Adresse]))
        return fail(ErrorKind::Invalid, fmt::format("\"{}\" is not a mailbox address", row[Adresse]));
    if (*type == MailboxType::Per && row[IdNatPp].empty())
        return fail(ErrorKind::Invalid, "a personal (PER) mailbox without its PS_IdNat");
    if (!row[IdNatPp].empty())
        if (auto s = check_ps_idnat(row[TypeIdPp], row[IdPp], row[IdNatPp]); !s) return s.error();
    // Identification Structure: "1" + FINESS (type 1), "3" + SIRET (type 3), or another registry's id.
    if (row[TypeIdStructure] == "1" && row[IdStructure].size() == 10)
        if (auto s = check_finess("structure", row[IdStructure].substr(1)); !s) return s.error();
    MailboxEntry e;
    e.address = ascii_lower(row[Adresse]);
    e.type = *type;
    e.ps_idnat = row[IdNatPp];
    e.structure_id = row[IdStructure];
    e.service = row[Service];
    e.civility = row[Civilite];
    e.family = row[Nom];
    e.given = row[Prenom];
    e.profession_code = row[CodeProfession];
    e.profession = row[LibelleProfession];
    e.specialty = row[LibelleSavoirFaire];
    e.structure_name = row[RaisonSociale];
    e.postcode = row[CodePostal];
    e.city = row[L6];
    e.department = row[Departement];
    e.country = row[Pays];
    e.fingerprint = fingerprint(row);
    return e;
}

Result<ActivityEntry> activity_of(const RawRow& row) {
    using namespace activite;
    if (auto s = check_ps_idnat(row[TypeIdPp], row[IdPp], row[IdNatPp]); !s) return s.error();
    if (auto s = check_finess("FINESS site", row[FinessSite]); !s) return s.error();
    if (auto s = check_finess("FINESS établissement juridique", row[FinessEj]); !s) return s.error();
    if (!row[Email].empty() && !address_valid(row[Email]))
        return fail(ErrorKind::Invalid, fmt::format("\"{}\" is not an e-mail address", row[Email]));
    ActivityEntry e;
    e.ps_idnat = row[IdNatPp];
    e.civility = row[LibelleCiviliteExercice];
    e.family = row[Nom];
    e.given = row[Prenom];
    e.profession_code = row[CodeProfession];
    e.profession = row[LibelleProfession];
    e.specialty_code = row[CodeSavoirFaire];
    e.specialty = row[LibelleSavoirFaire];
    e.mode_code = row[CodeModeExercice];
    e.siret = row[Siret];
    e.finess_site = row[FinessSite];
    e.finess_ej = row[FinessEj];
    e.structure_id = row[IdTechniqueStructure];
    e.structure_name = row[RaisonSociale];
    e.postcode = row[CodePostal];
    e.city = row[LibelleCommune];
    e.fingerprint = fingerprint(row);
    return e;
}

}  // namespace mss::directory
