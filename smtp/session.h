// One ESMTP session (RFC 5321) on one of the three listeners: greeting, EHLO, STARTTLS (RFC 3207),
// AUTH PLAIN/LOGIN/EXTERNAL (RFC 4954), MAIL/RCPT with policy, DATA and BDAT (RFC 3030), each
// message made durable before its 250. Trusts nothing the peer sends; the store and config are ours.
#pragma once
#include <asio.hpp>
#include <functional>
#include <memory>

#include "auth/guard.h"
#include "core/config.h"
#include "core/server.h"
#include "crypto/key_vault.h"
#include "crypto/trust.h"
#include "smtp/policy.h"
#include "store/group_commit.h"

namespace mss::smtp {

// Everything a session uses that outlives it.
struct Services {
    store::Store& store;
    directory::Directory& directory;  // the national directory, read-only (imports come from mssctl)
    store::GroupCommitter& committer;
    asio::thread_pool& blocking;
    auth::Guard& guard;  // password checks: lock-outs, delays, scrypt on its own threads
    std::function<std::shared_ptr<const Config>()> config;  // current configuration (SIGHUP swaps it)
    const crypto::KeyVault& vault;                          // opens the S/MIME keys the server holds
    std::function<std::shared_ptr<const crypto::TrustStore>()> trust;  // anchors and CRLs (SIGHUP reloads)
    std::function<void()> outbound_ready = {};  // a message for other operators is queued: look now
    std::function<void()> filing_ready = {};    // a message with CDA documents is queued for filing
};

asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, Admission admission, Port port,
                                  Services& services);

}  // namespace mss::smtp
