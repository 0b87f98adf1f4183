// The patient's INS as a CDA carries it (domain.md section 7): the matricule under one of the four
// INS OIDs (INS-NIR, INS-NIA, test, demo), its key (directory's ins_valid, one function for the
// project) and the identity traits that make it qualified. Legacy INS-C is not an INS. Pure.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "cda/ack.h"
#include "cda/header.h"

namespace mss::cda {

enum class InsKind { Nir, Nia, NirTest, NirDemo };

inline constexpr std::string_view kInsNirOid = "1.2.250.1.213.1.4.8";
inline constexpr std::string_view kInsNiaOid = "1.2.250.1.213.1.4.9";
inline constexpr std::string_view kInsNirTestOid = "1.2.250.1.213.1.4.10";
inline constexpr std::string_view kInsNirDemoOid = "1.2.250.1.213.1.4.11";
inline constexpr std::string_view kInsCOid = "1.2.250.1.213.1.4.2";  // legacy INS-C: not an INS

std::optional<InsKind> ins_kind(std::string_view oid);

struct Ins {
    std::string matricule;  // 15 characters: NIR (or NIA) + key
    std::string oid;
    InsKind kind;
};

// The first patientRole/id under an INS OID, checked:
// 903 when there is none (an INS-C or any other identifier alone counts as none),
// 905 when its matricule is malformed or its key wrong, or a trait is missing (family name, given
// name, birth date, gender F/M/U).
Outcome<Ins> qualified_ins(const PatientIdentity& patient);

}  // namespace mss::cda
