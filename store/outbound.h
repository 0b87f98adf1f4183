// The outbound queue's data as the store keeps it (issue 11): messages accepted for recipients at
// other operators, one row per recipient with its attempts and next try, and the static routes.
// Plain values; the Store interface (store.h) files and reads them. Trusts its callers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mss::store {

enum class OutboundState { Queued, Failed };  // delivered recipients leave the queue
std::string_view to_string(OutboundState state);  // "queued" | "failed"

struct OutboundRecipient {
    std::string address;  // lower case
    std::string domain;
    OutboundState state = OutboundState::Queued;
    unsigned attempts = 0;
    int64_t next_attempt = 0;  // unix seconds
    std::string last_error;    // the last reply or fault, "" before the first attempt
};

struct OutboundMessage {
    std::string id;           // the queue id given at intake
    std::string return_path;  // "" for the null path
    int64_t created_at = 0;
    uint64_t size = 0;
    std::vector<OutboundRecipient> recipients;
};

// What one attempt decided for one recipient.
struct AttemptOutcome {
    enum class Kind { Delivered, Retry, Failed } kind = Kind::Retry;
    int64_t next_attempt = 0;  // Retry only
    std::string reply;         // the peer's reply or our reason
};

// One recipient's outcome, as the relay hands a batch of them to the store.
struct RecipientOutcome {
    std::string id;         // the queue id
    std::string recipient;  // lower case
    AttemptOutcome outcome;
};

struct Route {
    std::string domain;  // lower case
    std::string host;
    uint16_t port = 25;
};

}  // namespace mss::store
