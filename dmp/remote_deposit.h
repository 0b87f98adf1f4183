// A remote PDSm server in the embedded DMP's place for the mail filing ([dmp] filing_remote): each
// bundle POSTed as an ITI-65 transaction over TLS, mssd's operator certificate as the client's (the
// server sees a feed), the server's certificate checked against mssd's trust store and its name.
// Blocking: the filing worker calls it on its own thread. Trusts nothing the server answers.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/tls.h"
#include "dmp/deposit.h"

namespace mss::dmp {

struct RemotePdsm {
    std::string host;
    std::string port = "443";
    std::string base_path;  // "/dmp/fhir": the transaction is POSTed there
};

// "https://host[:port][/path]", or Invalid.
Result<RemotePdsm> parse_remote_pdsm(std::string_view url);

// tls: the context of the moment (reloaded on SIGHUP), asked for at each exchange.
std::unique_ptr<DmpDeposit> remote_deposit(RemotePdsm server, std::function<tls::Context()> tls,
                                           std::chrono::seconds timeout = std::chrono::seconds(60));

}  // namespace mss::dmp
