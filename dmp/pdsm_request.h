// Reading the bodies PDSm clients send: an ITI-65 Provide Document Bundle (transaction Bundle: a
// List as SubmissionSet, DocumentReference(s), Binary(ies)) into the deposits it carries, and a
// JSON Patch (RFC 6902) of a DocumentReference's securityLabel or status. Pure and bounded (body
// size, depth, resource count); every refusal names its CI-SIS acknowledgement code and HTTP status.
// Trusts nothing in the body.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dmp/model.h"

namespace mss::dmp {

struct RequestLimits {
    std::size_t max_body = 32 * 1024 * 1024;
    std::size_t max_depth = 24;     // nesting of objects and arrays
    std::size_t max_entries = 64;   // Bundle entries
    std::size_t max_documents = 16;
    std::size_t max_patch_operations = 8;
};

struct BadRequest {
    int http_status = 400;  // 400 malformed, 413 too large, 422 not processable (a business refusal)
    AckCode ack = AckCode::Other;
    std::string message;
};

struct ProvideBundle {
    std::string submission_set;  // the List's masterIdentifier or id, for the trace
    SubmissionSet list{};        // the List's metadata, kept for ITI-66 (patient and documents set by the DMP)
    std::vector<Deposit> deposits;
    std::vector<std::string> full_urls;  // each deposit's entry fullUrl, for the response
};

std::variant<ProvideBundle, BadRequest> parse_provide_bundle(std::string_view body, const RequestLimits& limits = {});

// What a PATCH asks: the new set of visibility labels, and/or deletion (status superseded).
struct MetadataPatch {
    std::optional<std::vector<std::string>> visibility;  // replaces the labels (the confidentiality is kept)
    std::vector<std::string> add_visibility;
    bool supersede = false;
};

std::variant<MetadataPatch, BadRequest> parse_metadata_patch(std::string_view body, const RequestLimits& limits = {});

}  // namespace mss::dmp
