// The p-th percentile (0..1) of latency samples, shared by the load generators; reorders v.
// Pure; an empty sample gives 0.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

inline double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
}
