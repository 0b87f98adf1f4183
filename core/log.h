// One line per event on stderr: time, level, component, message. Thread-safe; values are escaped so
// a peer cannot forge log lines with CR/LF. Trusts its callers to pass a component name.
#pragma once
#include <fmt/format.h>
#include <string>
#include <string_view>

namespace mss::log {

enum class Level { Debug, Info, Warn, Error };

void write(Level level, std::string_view component, std::string_view message);
void set_min_level(Level level);
// Makes peer-supplied text safe for one log line: control bytes become \xNN, length is capped.
std::string sanitize(std::string_view text, std::size_t max = 200);

template <class... Args>
void info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Info, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Warn, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Error, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Debug, component, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace mss::log
