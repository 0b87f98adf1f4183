// DNS MX look-ups for the outbound relay (RFC 5321 5.1) through the libc resolver (res_nquery), which
// reads /etc/resolv.conf. Blocking: run it on the blocking pool. Trusts the resolver's answer only
// as host names, checked for length.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace mss::dns {

struct MxHost {
    uint16_t preference = 0;
    std::string host;
};

// The domain's MX hosts, most preferred first; NotFound when the domain has no MX record (the caller
// then uses the domain itself, RFC 5321 5.1); Io when DNS did not answer.
Result<std::vector<MxHost>> mx_hosts(const std::string& domain);

}  // namespace mss::dns
