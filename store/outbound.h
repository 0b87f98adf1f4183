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
    // RFC 3461, as the sender gave them: NOTIFY ("" when absent, "NEVER", "SUCCESS,FAILURE,DELAY"),
    // ORCPT ("rfc822;<address>", xtext-decoded, "" when absent); whether the delay warning went out.
    std::string notify;
    std::string orcpt;
    bool delay_warned = false;
};

struct OutboundMessage {
    std::string id;           // the queue id given at intake
    std::string return_path;  // "" for the null path
    int64_t created_at = 0;
    uint64_t size = 0;
    std::vector<OutboundRecipient> recipients;
    std::string ret;    // RET= as given: "FULL", "HDRS" or "" (absent)
    std::string envid;  // ENVID=, xtext-decoded; "" when absent
};

// A further message a delivery queues for other operators in its own transaction, beside the local
// copies: the copy of a message encrypted for the remote recipients whose certificates we know, or
// a delivery notification (RFC 8098, Direct) about a message just filed.
// RFC 3461 parameters of one remote recipient as the sender gave them ("" when absent).
struct RemoteRecipientDsn {
    std::string notify;
    std::string orcpt;
};

struct QueuedMessage {
    std::string queue_id;
    std::string return_path;              // "" for the null path (notifications)
    std::vector<std::string> recipients;  // at other operators
    std::string content;
    // RFC 3461: RET and ENVID of the message, NOTIFY and ORCPT per recipient (empty, or one per
    // recipients entry in the same order).
    std::string ret{};
    std::string envid{};
    std::vector<RemoteRecipientDsn> dsn{};
};

// What one attempt decided for one recipient.
struct AttemptOutcome {
    enum class Kind { Delivered, Retry, Failed } kind = Kind::Retry;
    int64_t next_attempt = 0;  // Retry only
    std::string reply;         // the peer's reply or our reason
    bool delay_warned = false; // Retry only: the delay warning (RFC 3464 Action: delayed) went out
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
