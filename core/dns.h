// DNS MX look-ups for the outbound relay (RFC 5321 5.1) through the libc resolver (res_nquery), which
// reads /etc/resolv.conf, or asks one given name server (tests point it at a server on loopback).
// Blocking: run it on the blocking pool. Trusts the resolver's answer only as host names, checked
// for length.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mss::dns {

struct MxHost {
    uint16_t preference = 0;
    std::string host;
};

struct Nameserver {
    std::string address;  // IPv4, dotted
    uint16_t port = 53;
};

// "IPv4" or "IPv4:port"; nullopt when it is neither.
std::optional<Nameserver> parse_nameserver(std::string_view text);

// The domain's MX hosts, most preferred first; NotFound when the domain exists but has no MX record
// (the caller then uses the domain itself, RFC 5321 5.1); Invalid when the domain does not exist
// (NXDOMAIN: a permanent failure); Io when DNS did not answer or failed (SERVFAIL: try again later).
// `server` empty: the servers of /etc/resolv.conf.
Result<std::vector<MxHost>> mx_hosts(const std::string& domain, const std::string& server = {});

}  // namespace mss::dns
