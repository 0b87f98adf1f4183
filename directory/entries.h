// What the directory keeps of each extraction row, and the row checks that make a RawRow one:
// RPPS Luhn key and PS_IdNat prefixes, FINESS keys, address syntax, mailbox types. Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "directory/extraction.h"

namespace mss::directory {

// TRE-R257-TypeBAL.
enum class MailboxType { Per, Org, App, Cab };
std::string_view to_string(MailboxType type);  // "PER" | "ORG" | "APP" | "CAB"
std::optional<MailboxType> mailbox_type_from(std::string_view text);

// One mailbox of Extraction_Correspondance_MSSante (or one of ours, for the export).
struct MailboxEntry {
    std::string address;  // lower case
    MailboxType type = MailboxType::Per;
    std::string ps_idnat;  // "" for a mailbox of no professional
    std::string structure_id;
    std::string service;
    std::string civility, family, given;
    std::string profession_code, profession;
    std::string specialty;  // libellé savoir-faire
    std::string structure_name;
    std::string postcode, city, department, country;
    bool liste_rouge = false;  // never published (the public extraction does not list them)
    uint64_t fingerprint = 0;  // of every field of the source row: a changed row has another
};

// One professional activity of PS_LibreAcces_Personne_activite. Its key in the directory is
// (ps_idnat, structure_id, profession_code, mode_code, specialty_code).
struct ActivityEntry {
    std::string ps_idnat;
    std::string civility, family, given;
    std::string profession_code, profession;
    std::string specialty_code, specialty;
    std::string mode_code;
    std::string siret, finess_site, finess_ej, structure_id, structure_name;
    std::string postcode, city;
    uint64_t fingerprint = 0;
};

// The row's entry, or the reason it is set aside (ErrorKind::Invalid).
Result<MailboxEntry> mailbox_of(const RawRow& row);
Result<ActivityEntry> activity_of(const RawRow& row);

}  // namespace mss::directory
