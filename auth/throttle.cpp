// The throttle's counts: three LRU tables (address, account from address, account) ordered by last
// failure, so forgetting and evicting both take from the back.
#include "auth/throttle.h"

#include <arpa/inet.h>

#include <algorithm>

#include "core/text.h"

namespace mss::auth {
namespace {

constexpr std::size_t kMaxAccountKey = 255;

// How much longer a penalty of length penalty, started at last, lasts at now.
Seconds remaining(Seconds penalty, Clock::time_point last, Clock::time_point now) {
    auto end = last + penalty;
    if (penalty.count() == 0 || end <= now) return Seconds{0};
    return std::chrono::ceil<Seconds>(end - now);
}

std::string pair_key(const Attempt& a) { return a.account + '\0' + a.address; }

}  // namespace

Seconds backoff(const BackoffRule& rule, unsigned failures) {
    if (failures < rule.after) return Seconds{0};
    unsigned doublings = failures - rule.after;
    if (doublings >= 31) return rule.max;
    auto penalty = rule.first * (int64_t{1} << doublings);
    return std::min(penalty, rule.max);
}

std::string client_key(const std::string& peer_ip) {
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, peer_ip.c_str(), bytes) != 1) return peer_ip;
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN];
    if (std::equal(v4_mapped, v4_mapped + 12, bytes)) {
        inet_ntop(AF_INET, bytes + 12, text, sizeof text);
        return text;
    }
    std::fill(bytes + 8, bytes + 16, 0);  // one customer's network is a /64
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    return std::string(text) + "/64";
}

std::string account_key(const std::string& user) {
    return ascii_lower(user.substr(0, kMaxAccountKey));
}

void Throttle::Table::forget_older(Clock::time_point cutoff) {
    while (!order_.empty() && order_.back().second.last <= cutoff) {
        index_.erase(order_.back().first);
        order_.pop_back();
    }
}

Throttle::Count Throttle::Table::count(const std::string& key, Seconds forget_after, Clock::time_point now) {
    forget_older(now - forget_after);
    auto it = index_.find(key);
    return it == index_.end() ? Count{} : it->second->second;
}

unsigned Throttle::Table::add(const std::string& key, Seconds forget_after, Clock::time_point now) {
    forget_older(now - forget_after);
    auto it = index_.find(key);
    if (it != index_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        Count& c = it->second->second;
        ++c.failures;
        c.last = now;
        return c.failures;
    }
    if (capacity_ == 0) return 1;
    if (index_.size() >= capacity_) {
        index_.erase(order_.back().first);
        order_.pop_back();
    }
    order_.emplace_front(key, Count{1, now});
    index_.emplace(key, order_.begin());
    return 1;
}

void Throttle::Table::erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
}

ThrottleVerdict Throttle::before_check(const Attempt& a, const ThrottlePolicy& p, Clock::time_point now) {
    auto address = addresses_.count(a.address, p.forget_after, now);
    auto pair = pairs_.count(pair_key(a), p.forget_after, now);
    Seconds locked = std::max(remaining(backoff(p.address, address.failures), address.last, now),
                              remaining(backoff(p.pair, pair.failures), pair.last, now));
    if (locked.count() > 0) return {true, locked};
    bool known = known_.count(pair_key(a), p.known_for, now).failures > 0;
    auto account = known ? Count{} : accounts_.count(a.account, p.forget_after, now);
    return {false, remaining(backoff(p.account, account.failures), account.last, now), address.failures == 0};
}

std::vector<LockOut> Throttle::failed(const Attempt& a, const ThrottlePolicy& p, Clock::time_point now) {
    std::vector<LockOut> started;
    auto note = [&](LockKind kind, const BackoffRule& rule, unsigned failures) {
        if (auto d = backoff(rule, failures); d.count() > 0) started.push_back({kind, d, failures});
    };
    note(LockKind::Address, p.address, addresses_.add(a.address, p.forget_after, now));
    note(LockKind::Pair, p.pair, pairs_.add(pair_key(a), p.forget_after, now));
    note(LockKind::Account, p.account, accounts_.add(a.account, p.forget_after, now));
    return started;
}

void Throttle::succeeded(const Attempt& a, const ThrottlePolicy& p, Clock::time_point now) {
    addresses_.erase(a.address);
    pairs_.erase(pair_key(a));
    known_.add(pair_key(a), p.known_for, now);
}

}  // namespace mss::auth
