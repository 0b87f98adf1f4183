// msg-id lists (RFC 5322 3.6.4) and a message's thread keys, read from raw header text. Pure.
#include "core/message_ids.h"

#include <algorithm>
#include <optional>

namespace mss {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool is_named(std::string_view name, std::string_view lower_name) {
    return name.size() == lower_name.size() &&
           std::equal(name.begin(), name.end(), lower_name.begin(),
                      [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + 32 : a) == b; });
}

std::size_t skip_comment(std::string_view s, std::size_t p) {
    std::size_t depth = 0;
    for (; p < s.size(); ++p) {
        if (s[p] == '\\') ++p;
        else if (s[p] == '(') ++depth;
        else if (s[p] == ')' && --depth == 0) return p + 1;
    }
    return s.size();
}

std::size_t skip_quoted(std::string_view s, std::size_t p) {
    for (++p; p < s.size(); ++p) {
        if (s[p] == '\\') ++p;
        else if (s[p] == '"') return p + 1;
    }
    return s.size();
}

// The raw value of the first field of that (lower-case) name in the header block, folding kept
// (msg-id lists ignore it), or nullopt; the header block ends at the first empty line.
std::optional<std::string_view> field_value(std::string_view message, std::string_view lower_name) {
    for (std::size_t line = 0; line < message.size();) {
        std::size_t end = message.find('\n', line);
        if (end == std::string_view::npos) end = message.size();
        std::string_view text = message.substr(line, end - line);
        if (text.empty() || text == "\r") return std::nullopt;  // end of the header block
        std::size_t next = end + 1;
        while (next < message.size() && is_wsp(message[next])) {  // folded continuation lines
            end = message.find('\n', next);
            if (end == std::string_view::npos) end = message.size();
            next = end + 1;
        }
        std::size_t colon = text.find(':');
        if (colon != std::string_view::npos && is_named(text.substr(0, colon), lower_name))
            return message.substr(line + colon + 1, std::min(end, message.size()) - line - colon - 1);
        line = next;
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::string> message_ids(std::string_view raw, std::size_t max) {
    std::vector<std::string> ids;
    for (std::size_t p = 0; p < raw.size();) {
        if (raw[p] == '(') {
            p = skip_comment(raw, p);
        } else if (raw[p] == '"') {
            p = skip_quoted(raw, p);
        } else if (raw[p] == '<') {
            auto end = raw.find('>', p);
            if (end == std::string_view::npos) break;
            std::string id;
            for (char c : raw.substr(p + 1, end - p - 1))
                if (!is_wsp(c) && c != '\r' && c != '\n') id += c;
            if (!id.empty() && id.find('<') == std::string::npos) ids.push_back(std::move(id));
            p = end + 1;
        } else {
            ++p;
        }
    }
    if (ids.size() > max) ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(max));
    return ids;
}

ThreadKeys thread_keys(std::string_view message, std::size_t max_references) {
    ThreadKeys keys;
    if (auto own = field_value(message, "message-id")) {
        auto ids = message_ids(*own, 1);
        if (!ids.empty()) keys.message_id = ids.front();
    }
    if (auto references = field_value(message, "references")) keys.references = message_ids(*references, 4096);
    if (auto reply_to = field_value(message, "in-reply-to"); keys.references.empty() && reply_to) {
        auto ids = message_ids(*reply_to);
        if (!ids.empty()) keys.references = {ids.front()};
    }
    if (max_references > 1 && keys.references.size() > max_references)  // the root and the last ones
        keys.references.erase(keys.references.begin() + 1,
                              keys.references.end() - static_cast<std::ptrdiff_t>(max_references - 1));
    return keys;
}

}  // namespace mss
