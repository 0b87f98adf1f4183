// res_nquery for type MX, the answer read with ns_initparse/ns_parserr/dn_expand.
#include "core/dns.h"

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace mss::dns {

Result<std::vector<MxHost>> mx_hosts(const std::string& domain) {
    struct __res_state state;
    std::memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) return fail(ErrorKind::Io, "the resolver cannot start");
    unsigned char answer[8192];
    int len = res_nquery(&state, domain.c_str(), ns_c_in, ns_t_mx, answer, sizeof answer);
    int herr = state.res_h_errno;
    res_nclose(&state);
    if (len < 0) {
        if (herr == HOST_NOT_FOUND || herr == NO_DATA)
            return fail(ErrorKind::NotFound, fmt::format("{} has no MX record", domain));
        return fail(ErrorKind::Io, fmt::format("DNS look-up of MX {} failed", domain));
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
