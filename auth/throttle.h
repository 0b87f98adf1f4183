// Back-off against password guessing: failures counted per client address, per account from one
// address and per account from anywhere, each count growing a lock-out or a delay and forgotten after
// a quiet period; the addresses an account signed in from lately are spared its delay. Pure arithmetic on times the caller passes in: no clock, no locking, no I/O; memory
// bounded by a capacity per kind of count (the oldest counts go first). Trusts its caller's keys.
#pragma once
#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

namespace mss::auth {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::seconds;

// No penalty below `after` failures; from there `first`, doubling with each further failure, at most max.
struct BackoffRule {
    unsigned after = 3;  // the failure count that brings the first penalty
    Seconds first{60};
    Seconds max{900};
};
Seconds backoff(const BackoffRule& rule, unsigned failures);

struct ThrottlePolicy {
    BackoffRule pair;     // one account from one address: lock-out
    BackoffRule address;  // one address, any accounts: lock-out
    BackoffRule account;  // one account, any addresses: delay (its owner is never locked out)
    Seconds forget_after{3600};
    Seconds known_for{7 * 86400};  // an account's sign-in spares its address the account's delay so long
};

// Who tries: the client's address key (client_key) and the account name as given (account_key),
// whether or not it exists, so that the answers never tell.
struct Attempt {
    std::string address;
    std::string account;
};

std::string client_key(const std::string& peer_ip);      // the address, or its /64 for IPv6
std::string account_key(const std::string& user);        // ASCII lower case, at most 255 octets

enum class LockKind { Address, Pair, Account };

// A lock-out (or, for LockKind::Account, a delay) that a failure started, for the log.
struct LockOut {
    LockKind kind;
    Seconds duration;
    unsigned failures;
};

struct ThrottleVerdict {
    bool locked_out = false;  // refuse without checking the password
    Seconds wait{0};          // when locked out: how long it lasts yet; else the delay before checking
    bool clean = true;        // the address has no failure counted: its check goes before others'
};

class Throttle {
public:
    explicit Throttle(std::size_t capacity_per_kind)
        : addresses_(capacity_per_kind), pairs_(capacity_per_kind), accounts_(capacity_per_kind),
          known_(capacity_per_kind) {}
    ThrottleVerdict before_check(const Attempt& a, const ThrottlePolicy& p, Clock::time_point now);
    // Counts a failed check; the lock-outs and delays it starts, for the log.
    std::vector<LockOut> failed(const Attempt& a, const ThrottlePolicy& p, Clock::time_point now);
    // Resets the address's and the pair's counts and remembers the pair as known. The account's count
    // stays: it tells of guessing from elsewhere, which this success says nothing about.
    void succeeded(const Attempt& a, const ThrottlePolicy& p, Clock::time_point now);
    std::size_t tracked() const { return addresses_.size() + pairs_.size() + accounts_.size() + known_.size(); }

private:
    struct Count {
        unsigned failures = 0;
        Clock::time_point last;
    };
    // Counts by key, most recently failed first; the oldest goes when capacity is reached.
    class Table {
    public:
        explicit Table(std::size_t capacity) : capacity_(capacity) {}
        Count count(const std::string& key, Seconds forget_after, Clock::time_point now);
        // Counts one more event (a failure; a sign-in in known_) for key, as of now; the new count.
        unsigned add(const std::string& key, Seconds forget_after, Clock::time_point now);
        void erase(const std::string& key);
        std::size_t size() const { return index_.size(); }

    private:
        void forget_older(Clock::time_point cutoff);
        using Order = std::list<std::pair<std::string, Count>>;
        std::size_t capacity_;
        Order order_;
        std::unordered_map<std::string, Order::iterator> index_;
    };

    Table addresses_, pairs_, accounts_;
    Table known_;  // account from address pairs that signed in, by last success
};

}  // namespace mss::auth
