// INS of a CDA patient: OID, key (directory/checks.h), traits. Pure.
#include "cda/ins.h"

#include <fmt/format.h>

#include "directory/checks.h"

namespace mss::cda {

std::optional<InsKind> ins_kind(std::string_view oid) {
    if (oid == kInsNirOid) return InsKind::Nir;
    if (oid == kInsNiaOid) return InsKind::Nia;
    if (oid == kInsNirTestOid) return InsKind::NirTest;
    if (oid == kInsNirDemoOid) return InsKind::NirDemo;
    return std::nullopt;
}

Outcome<Ins> qualified_ins(const PatientIdentity& patient) {
    const InstanceId* found = nullptr;
    for (const auto& id : patient.ids)
        if (ins_kind(id.root)) {
            found = &id;
            break;
        }
    if (!found) {
        bool legacy = false;
        for (const auto& id : patient.ids) legacy = legacy || id.root == kInsCOid;
        return refuse(AckCode::InsMissing, legacy ? "the patient carries a legacy INS-C (1.2.250.1.213.1.4.2), not an INS"
                                                  : "the patient carries no identifier under an INS OID");
    }
    if (!directory::ins_valid(found->extension))
        return refuse(AckCode::InsIncomplete,
                      fmt::format("INS \"{}\" under {}: not 13 characters and a right 2-digit key", found->extension,
                                  found->root));
    if (patient.family.empty() || patient.given.empty())
        return refuse(AckCode::InsIncomplete, "INS without the patient's family and given names");
    if (patient.birth_date.size() < 8) return refuse(AckCode::InsIncomplete, "INS without the patient's birth date");
    if (patient.gender != "F" && patient.gender != "M" && patient.gender != "U")
        return refuse(AckCode::InsIncomplete, "INS without the patient's gender (F, M or U)");
    return Ins{found->extension, found->root, *ins_kind(found->root)};
}

}  // namespace mss::cda
