// The filing queue's data as the store keeps it (issue 12): a message a mailbox submitted with CDA
// documents, kept until the filing worker has deposited them into the DMP and acknowledged it, and
// each mailbox's filing setting. The store keeps the octets and the schedule; it knows neither CDA
// nor the DMP. Plain values; trusts its callers.
#pragma once
#include <cstdint>
#include <string>

namespace mss::store {

// Asked of a Delivery at intake: file this message's documents for this mailbox, unless the mailbox
// turned filing off (decided inside the delivery's transaction).
struct FilingRequest {
    std::string submitter;  // the authenticated mailbox, lower case
    std::string queue_id;   // the message's id at intake, for the log
    std::string content;    // the message as submitted (Received: header included)
    // The delivery's shared stored copy is this message with trace fields only added (the S/MIME
    // step changed nothing else): the job refers to that copy, pinned until the job ends, instead
    // of keeping content, so that filing adds no octets to the intake's write.
    bool use_stored_copy = false;
    std::size_t received_size = 0;  // the Received: header at content's start (intake's own)
};

struct FilingJob {
    int64_t id = 0;
    std::string submitter;
    std::string return_path;
    std::string queue_id;  // the message's id at intake, for the log
    std::string content;
    unsigned attempts = 0;
    int64_t next_attempt = 0;  // unix seconds
    int64_t created_at = 0;
    std::string last_error;
};

}  // namespace mss::store
