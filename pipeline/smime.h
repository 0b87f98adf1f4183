// The S/MIME step of a message's path, between intake and the store (issue 4, RFC 8551): mail our
// accounts submit is signed with the sender's certificate and encrypted to recipients who keep
// their keys; every copy filed gets an Authentication-Results verdict, is decrypted where the
// server holds the recipient's key, and meets the recipient's policy for unsigned or invalid mail.
// Trusts the store, the vault and the trust anchors; nothing in the message.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "crypto/key_vault.h"
#include "crypto/trust.h"
#include "store/store.h"

namespace mss::pipeline {

struct SmimeServices {
    store::Store& store;
    const crypto::KeyVault& vault;
    std::shared_ptr<const crypto::TrustStore> trust;
    const Config& config;
};

struct Envelope {
    std::optional<std::string> submitter;  // the sending account's address on submission; none on relay
    std::vector<std::string> recipients;   // our accounts' addresses
    std::string message;                   // as received, without our Received: field
    bool outbound = false;                 // recipients at other operators too: keep the copy they get
    std::vector<std::string> remote;       // on submission: those recipients, to encrypt to the ones whose
                                           // encryption certificate we know (directory or smime import)
};

// A refusal for the whole message: SMTP's code and enhanced status code (RFC 3463, RFC 5248 X.7.x).
struct Refusal {
    int code = 550;
    std::string enhanced;
    std::string text;
};

struct Filing {
    std::string trace;        // our Authentication-Results field, to file above content
    std::string content;      // the copy to file
    bool quarantine = false;  // to the recipient's Junk folder
    std::string verdict;      // for the log: "pass", "fail(revoked)", "encrypted end to end"...
};

struct SmimeOutcome {
    std::vector<Filing> filings;     // one per recipient, in order
    std::optional<Refusal> refusal;  // set when a recipient's policy refuses the message
    std::string signed_by;           // on submission: whose certificate signed ("" when not signed)
    std::string outbound;            // when asked: the message as it leaves for other operators (signed
                                     // here when the server holds the sender's key; no trace field)
    std::vector<std::string> encrypted_for;  // remote recipients who get outbound_encrypted instead
    std::string outbound_encrypted;  // outbound encrypted to their certificates and the sender's own
};

// Errors are the server's (store, vault, a key that cannot be used): answer 451 4.3.0.
Result<SmimeOutcome> process(const SmimeServices& services, Envelope envelope);

}  // namespace mss::pipeline
