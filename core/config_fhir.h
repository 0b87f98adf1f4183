// The FHIR look-up keys of the [directory] table of mssd.toml: whether anonymous clients may search
// the directory over HTTPS. Internal to core/config; trusts the file's owner, checks every value.
#pragma once
#include <toml++/toml.h>

#include "core/config.h"

namespace mss {

Status read_fhir_settings(const toml::table& directory, DirectorySettings& out);

}  // namespace mss
