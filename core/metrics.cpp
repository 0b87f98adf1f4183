// Counters and gauges, rendered in the Prometheus text exposition format (version 0.0.4).
#include "core/metrics.h"

#include <fmt/format.h>

namespace mss::metrics {
namespace {

// Label values escape backslash, double quote and line feed; HELP text escapes backslash and line feed.
std::string escape(std::string_view text, bool quote) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quote) out += "\\\"";
        else out += c;
    }
    return out;
}

std::string render_labels(const Labels& labels) {
    if (labels.empty()) return {};
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        if (out.size() > 1) out += ',';
        out += fmt::format("{}=\"{}\"", name, escape(value, true));
    }
    return out + "}";
}

}  // namespace

Value& Registry::series(std::string_view name, std::string_view help, bool gauge, const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end()) it = families_.emplace(std::string(name), Family{std::string(help), gauge, {}}).first;
    auto& slot = it->second.series[render_labels(labels)];
    if (!slot) slot = std::make_unique<Value>(0);
    return *slot;
}

Value& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
    return series(name, help, false, labels);
}

Value& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
    return series(name, help, true, labels);
}

std::string Registry::prometheus_text() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, family] : families_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(family.help, false), name,
                           family.gauge ? "gauge" : "counter");
        for (const auto& [labels, value] : family.series) out += fmt::format("{}{} {}\n", name, labels, value->load());
    }
    return out;
}

Registry& process() {
    static Registry registry;
    return registry;
}

}  // namespace mss::metrics
