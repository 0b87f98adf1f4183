// res_nquery for type MX, the answer read with ns_initparse/ns_parserr/dn_expand; a given name server
// replaces the resolver's list (nsaddr_list) for that one query.
#include "core/dns.h"

#include <arpa/nameser.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace mss::dns {

std::optional<Nameserver> parse_nameserver(std::string_view text) {
    Nameserver out;
    auto colon = text.find(':');
    out.address = std::string(text.substr(0, colon));
    in_addr ignored;
    if (inet_pton(AF_INET, out.address.c_str(), &ignored) != 1) return std::nullopt;
    if (colon == std::string_view::npos) return out;
    auto digits = text.substr(colon + 1);
    unsigned port = 0;
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<uint16_t>(port);
    return out;
}

namespace {

Status use_only(struct __res_state& state, const std::string& server) {
    auto ns = parse_nameserver(server);
    if (!ns) return fail(ErrorKind::Invalid, fmt::format("not a name server: {}", server));
    sockaddr_in& addr = state.nsaddr_list[0];
    std::memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(ns->port);
    inet_pton(AF_INET, ns->address.c_str(), &addr.sin_addr);
    state.nscount = 1;
    return Ok{};
}

}  // namespace

Result<std::vector<MxHost>> mx_hosts(const std::string& domain, const std::string& server) {
    struct __res_state state;
    std::memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) return fail(ErrorKind::Io, "the resolver cannot start");
    if (!server.empty())
        if (auto used = use_only(state, server); !used) {
            res_nclose(&state);
            return used.error();
        }
    unsigned char answer[8192];
    int len = res_nquery(&state, domain.c_str(), ns_c_in, ns_t_mx, answer, sizeof answer);
    int herr = state.res_h_errno;
    res_nclose(&state);
    if (len < 0) {
        if (herr == HOST_NOT_FOUND) return fail(ErrorKind::Invalid, fmt::format("{} does not exist (NXDOMAIN)", domain));
        if (herr == NO_DATA) return fail(ErrorKind::NotFound, fmt::format("{} has no MX record", domain));
        return fail(ErrorKind::Io, fmt::format("DNS look-up of MX {} failed ({})", domain,
                                               herr == TRY_AGAIN ? "no answer or SERVFAIL" : "unrecoverable"));
    }
    ns_msg msg;
    if (ns_initparse(answer, len, &msg) != 0) return fail(ErrorKind::Io, "unreadable DNS answer");
    std::vector<MxHost> out;
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3) continue;
        const unsigned char* rdata = ns_rr_rdata(rr);
        char name[NS_MAXDNAME];
        if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rdata + 2, name, sizeof name) < 0) continue;
        out.push_back({static_cast<uint16_t>(ns_get16(rdata)), name});
    }
    if (out.empty()) return fail(ErrorKind::NotFound, fmt::format("{} has no MX record", domain));
    std::stable_sort(out.begin(), out.end(), [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
    return out;
}

}  // namespace mss::dns
