// Our own mailboxes in the Extraction_Correspondance_MSSante format: what an operator publishes to
// the national directory. Reads accounts through store::Store's API; trusts the store's data.
#pragma once
#include <ostream>

#include "core/result.h"
#include "store/store.h"

namespace mss::directory {

// The header then one row per enabled account; the number of rows written.
Result<std::size_t> export_correspondance(store::Store& store, std::ostream& out);

}  // namespace mss::directory
