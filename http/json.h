// JSON answers for handlers (FHIR resources, OperationOutcome, errors) through nlohmann-json.
// Text that is not valid UTF-8 is replaced (U+FFFD), never thrown at the session.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "http/message.h"

namespace mss::http {

inline Response json(int status, const nlohmann::json& body, std::string content_type = "application/json") {
    return Response::text(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                          std::move(content_type));
}

}  // namespace mss::http
