// One IMAP session (RFC 3501 / RFC 9051) on the IMAP (STARTTLS) or IMAPS (implicit TLS) listener.
// Commands are framed and parsed by the pure imap/parse/ code; each command group lives in its own
// cmd_*.cpp. Trusts nothing the client sends; the store and config are ours.
#pragma once
#include <asio.hpp>
#include <functional>
#include <memory>

#include "auth/guard.h"
#include "core/config.h"
#include "core/server.h"
#include "store/store.h"

namespace mss::imap {

struct Services {
    store::Store& store;
    asio::thread_pool& blocking;
    auth::Guard& guard;  // password checks: lock-outs, delays, scrypt on its own threads
    std::function<std::shared_ptr<const Config>()> config;
};

asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, Admission admission, bool implicit_tls,
                                  Services& services);

}  // namespace mss::imap
