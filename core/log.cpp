// Log sink: serialises writes from all threads onto stderr, one line each.
#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace mss::log {
namespace {
std::mutex g_mutex;
std::atomic<Level> g_min{Level::Info};

const char* name(Level l) {
    switch (l) {
        case Level::Debug: return "debug";
        case Level::Info: return "info";
        case Level::Warn: return "warn";
        case Level::Error: return "error";
    }
    return "?";
}
}  // namespace

void set_min_level(Level level) { g_min = level; }

std::string sanitize(std::string_view text, std::size_t max) {
    std::string out;
    for (unsigned char c : text.substr(0, max)) {
        if (c < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
    if (text.size() > max) out += "...";
    return out;
}

void write(Level level, std::string_view component, std::string_view message) {
    if (level < g_min.load()) return;
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03dZ %s %.*s: %.*s\n", stamp, static_cast<int>(ms), name(level),
                 static_cast<int>(component.size()), component.data(), static_cast<int>(message.size()),
                 message.data());
    std::fflush(stderr);
}

}  // namespace mss::log
