// The process's counters and gauges, for GET /metrics (Prometheus text format 0.0.4): a series is
// named and labelled once, kept for the process's life and updated with atomics from any thread.
// Trusts its callers to pass valid metric and label names; label values are escaped.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mss::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;
using Value = std::atomic<int64_t>;

class Registry {
public:
    // The series of that name and labels, made at 0 on first use; the reference stays valid.
    Value& counter(std::string_view name, std::string_view help, const Labels& labels = {});
    Value& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
    std::string prometheus_text() const;

private:
    struct Family {
        std::string help;
        bool gauge = false;
        std::map<std::string, std::unique_ptr<Value>> series;  // by rendered label set
    };
    Value& series(std::string_view name, std::string_view help, bool gauge, const Labels& labels);

    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
};

// The one registry of this process: listeners, sessions and the HTTP layer count into it.
Registry& process();

}  // namespace mss::metrics
