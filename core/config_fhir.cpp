// Reads [directory] fhir_anonymous (a boolean, default false).
#include "core/config_fhir.h"

namespace mss {

Status read_fhir_settings(const toml::table& t, DirectorySettings& out) {
    if (!t["fhir_anonymous"]) return Ok{};
    auto v = t["fhir_anonymous"].value<bool>();
    if (!v) return fail(ErrorKind::Invalid, "directory.fhir_anonymous must be true or false");
    out.fhir_anonymous = *v;
    return Ok{};
}

}  // namespace mss
