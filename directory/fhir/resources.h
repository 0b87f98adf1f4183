// The directory's entries as FHIR R4 resources shaped by the Annuaire Santé IG (ansforge
// IG-fhir-annuaire): Practitioner (as-practitioner), PractitionerRole (as-practitionerrole),
// Organization (as-organization); mailboxes as telecom with the as-ext-mailbox-mss-metadata
// extension; OperationOutcome for errors. Pure: entries in, JSON out. Trusts its callers to pass
// published entries only (the liste rouge is filtered before).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/entries.h"

namespace mss::directory::fhir {

using Json = nlohmann::json;

// The S/MIME encryption certificate (PEM, leaf first) we hold for one of our addresses, if any.
using CertificateLookup = std::function<std::optional<std::string>(std::string_view address)>;

inline constexpr std::string_view kIgBase = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/";
inline constexpr std::string_view kMailboxMetadataUrl =
    "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata";
// Ours: the Annuaire's IG has no element for a mailbox's encryption certificate (docs/directory.md).
inline constexpr std::string_view kSmimeCertificateUrl = "urn:mssd:fhir:StructureDefinition:mailbox-smime-certificate";
inline constexpr std::string_view kPsIdNatSystem = "urn:oid:1.2.250.1.71.4.2.1";
inline constexpr std::string_view kRppsSystem = "https://rpps.esante.gouv.fr";
inline constexpr std::string_view kStructureSystem = "urn:oid:1.2.250.1.71.4.2.2";
inline constexpr std::string_view kFinessSystem = "http://finess.sante.gouv.fr";
inline constexpr std::string_view kSiretSystem = "http://sirene.fr";
inline constexpr std::string_view kMailboxTypeSystem = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL";

// A role's id: "<PS_IdNat>-<16 hex digits of the activity's key>", stable across imports.
std::string role_id(const ActivityEntry& activity);

Json mailbox_telecom(const MailboxEntry& mailbox, const CertificateLookup& certificate);

// nullopt when there is nothing to publish (no activity, no published mailbox).
std::optional<Json> practitioner(std::string_view ps_idnat, const std::vector<ActivityEntry>& activities,
                                 const std::vector<MailboxEntry>& mailboxes, const CertificateLookup& certificate);
// mailboxes: the professional's; those of the role's structure become its telecom.
Json practitioner_role(const ActivityEntry& activity, const std::vector<MailboxEntry>& mailboxes,
                       const CertificateLookup& certificate);
std::optional<Json> organization(std::string_view structure_id, const std::vector<ActivityEntry>& activities,
                                 const std::vector<MailboxEntry>& mailboxes, const CertificateLookup& certificate);

// code: FHIR issue type ("invalid", "not-found", "login", "forbidden", "throttled", "exception").
Json operation_outcome(std::string_view severity, std::string_view code, std::string_view diagnostics);

}  // namespace mss::directory::fhir
