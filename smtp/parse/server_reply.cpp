// Reads replies line by line: three digits, then '-' (more follow) or ' ' / end of line (the last).
#include "smtp/parse/server_reply.h"

#include <cctype>

namespace mss::smtp {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// "2.0.0" at the start of text (class 2, 4 or 5; subject and detail of 1-3 digits), else "".
std::string enhanced_of(std::string_view text) {
    std::size_t i = 0;
    if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text.size() < 5 || text[1] != '.')
        return "";
    i = 2;
    for (int part = 0; part < 2; ++part) {
        std::size_t start = i;
        while (i < text.size() && digit(text[i]) && i - start < 3) ++i;
        if (i == start) return "";
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return "";
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') return "";
    return std::string(text.substr(0, i));
}

std::string upper_word(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == ' ') break;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::string ServerReply::summary() const {
    std::string first = lines.empty() ? "" : lines.front();
    return first.empty() ? std::to_string(code) : std::to_string(code) + " " + first;
}

ServerReplyReader::Step ServerReplyReader::malformed(std::string why) {
    error_ = std::move(why);
    return Step::Malformed;
}

ServerReplyReader::Step ServerReplyReader::feed(std::string_view line) {
    if (line.size() > kMaxReplyLine) return malformed("a reply line longer than 2048 octets");
    if (line.size() >= 2 && line.substr(line.size() - 2) == "\r\n") line.remove_suffix(2);
    else if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]))
        return malformed("a reply line does not start with three digits");
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599) return malformed("reply code " + std::to_string(code) + " is outside 2xx-5xx");
    if (!reply_.lines.empty() && code != reply_.code) return malformed("the lines of one reply carry different codes");
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return malformed("no space or hyphen after the code");
    if (reply_.lines.size() == kMaxReplyLines) return malformed("a reply of more than 100 lines");
    std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
    if ((octets_ += text.size()) > kMaxReplyOctets) return malformed("a reply of more than 64 KiB");
    if (reply_.lines.empty()) {
        reply_.code = code;
        reply_.enhanced = enhanced_of(text);
        if (!reply_.enhanced.empty() && reply_.enhanced[0] != line[0]) reply_.enhanced.clear();
    }
    reply_.lines.emplace_back(text);
    return line.size() > 3 && line[3] == '-' ? Step::More : Step::Done;
}

Extensions extensions_of(const ServerReply& ehlo) {
    Extensions out;
    for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
        std::string_view line = ehlo.lines[i];
        std::string word = upper_word(line);
        if (word == "STARTTLS") out.starttls = true;
        else if (word == "PIPELINING") out.pipelining = true;
        else if (word == "CHUNKING") out.chunking = true;
        else if (word == "8BITMIME") out.eightbitmime = true;
        else if (word == "SMTPUTF8") out.smtputf8 = true;
        else if (word == "DSN") out.dsn = true;
        else if (word == "SIZE" && line.size() > 5) {
            unsigned long long n = 0;
            std::size_t digits = 0;
            for (char c : line.substr(5)) {
                if (!digit(c) || ++digits > 19) break;
                n = n * 10 + static_cast<unsigned>(c - '0');
            }
            if (digits > 0 && digits <= 19 && n > 0) out.size = n;
        }
    }
    return out;
}

std::string dot_stuffed(std::string_view message) {
    std::string out;
    out.reserve(message.size() + message.size() / 64 + 5);
    bool line_start = true;
    for (char c : message) {
        if (line_start && c == '.') out += '.';
        out += c;
        line_start = c == '\n';
    }
    if (!out.empty() && !line_start) out += "\r\n";
    out += ".\r\n";
    return out;
}

}  // namespace mss::smtp
