// Who may send as whom, and which recipients we accept, per listener (domain.md section 1-2):
// relay from other operators delivers only to our mailboxes; submission needs an authenticated
// principal sending as itself or as an organisational mailbox it holds the send-as right on.
// Trusts the store's data and the caller's authentication result.
#pragma once
#include <optional>
#include <string_view>
#include <variant>

#include "core/config.h"
#include "core/peer_certificate.h"
#include "directory/directory.h"
#include "smtp/parse/command.h"
#include "store/store.h"

namespace mss::smtp {

enum class Port { Relay, Submission, Submissions };
std::string_view to_string(Port port);
inline bool requires_auth(Port port) { return port != Port::Relay; }

// RFC 4314 section 2.1 leaves the digits to the site: "0" is our "may send as this mailbox".
inline constexpr char kSendAsRight = '0';

// 250 2.1.0 or the refusal (530 5.7.0, 553 5.7.1, 451 4.3.0).
Reply check_sender(store::Store& store, const Config& config, Port port, const store::Account* principal,
                   const Path& from);

// The message's From (each of its mailboxes) and Sender by the rule check_sender applies to MAIL FROM:
// on submission, addresses the principal may send as, and a From is required; on the relay port, none
// in our own domains. 250 2.6.0 when they pass; 550 5.6.0 for a header without From on submission,
// with two From or two Sender fields, or one that cannot be read; 553 5.7.1 for an address the
// sender may not use; 451 4.3.0.
Reply check_header_senders(store::Store& store, const Config& config, Port port, const store::Account* principal,
                           std::string_view message);

// The local account a recipient names, or the refusal (550 5.1.1, 550 5.2.1, 554 5.7.1, 451 4.3.0,
// and 452 4.2.2 for a mailbox at its quota: a temporary failure, so the sender retries and nothing
// acknowledged is ever dropped). On submission, a remote recipient must be listed in the national
// directory (else 550 5.1.1) at a whitelisted domain (else 550 5.7.1), and a patient's address must
// carry a valid INS; such a recipient is a RemoteRecipient, for the outbound queue.
struct RemoteRecipient {
    std::string address;  // lower case
};
using RecipientDecision = std::variant<store::Account, RemoteRecipient, Reply>;
RecipientDecision check_recipient(store::Store& store, directory::Directory& directory, const Config& config,
                                  Port port, const Path& to);

// Relay port (25), at MAIL FROM (domain.md section 1): a sender domain of the whitelist needs the
// peer's TLS client certificate, verified (trust anchors, CRLs) and with the subject DN listed for
// that domain; a domain outside it follows relay.unlisted_senders; the null sender (a bounce) needs a
// verified certificate whose DN the whitelist lists for some domain (any operator may bounce).
// 250 2.1.0, 550 5.7.1 with the reason, or 451 4.3.0.
Reply check_relay_sender(directory::Directory& directory, const Config& config, const tls::PeerCertificate& peer,
                         const Path& from);

// More Received: fields in the header than relay.max_received: a routing loop (RFC 5321 6.3),
// 554 5.4.6; nullopt otherwise.
std::optional<Reply> check_hops(const Config& config, std::string_view message);

}  // namespace mss::smtp
