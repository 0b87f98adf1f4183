// A peer's replies as our outbound client reads them (RFC 5321 4.2): one or more lines "ddd-text",
// the last "ddd text", all with the same code; and the extensions an EHLO reply offers. Pure and
// bounded: at most kMaxReplyLines lines of at most kMaxReplyLine octets, kMaxReplyOctets in all;
// trusts nothing.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mss::smtp {

inline constexpr std::size_t kMaxReplyLines = 100;
inline constexpr std::size_t kMaxReplyLine = 2048;         // with its CRLF (RFC 5321 4.5.3.1.5 says 512)
inline constexpr std::size_t kMaxReplyOctets = 64 * 1024;  // the text of all the lines of one reply

struct ServerReply {
    int code = 0;
    std::string enhanced;            // RFC 2034 "x.y.z" from the first line, when there is one
    std::vector<std::string> lines;  // each line's text, without code, separator or CRLF
    bool positive() const { return code >= 200 && code < 400; }
    bool transient() const { return code >= 400 && code < 500; }
    bool permanent() const { return code >= 500; }
    std::string summary() const;     // "250 2.0.0 first line" for logs and the queue's last error
};

// Fed one line at a time (with or without its CRLF) until the reply is complete.
class ServerReplyReader {
public:
    enum class Step { More, Done, Malformed };
    Step feed(std::string_view line);
    const ServerReply& reply() const { return reply_; }
    const std::string& error() const { return error_; }  // why Malformed

private:
    Step malformed(std::string why);
    ServerReply reply_;
    std::string error_;
    std::size_t octets_ = 0;
};

// What an EHLO reply offers (RFC 3207 STARTTLS, RFC 2920 PIPELINING, RFC 3030 CHUNKING, RFC 1870 SIZE).
struct Extensions {
    bool starttls = false, pipelining = false, chunking = false, eightbitmime = false, smtputf8 = false, dsn = false;
    std::optional<unsigned long long> size;  // 0 or absent: no limit announced
};
Extensions extensions_of(const ServerReply& ehlo);

// Octets of a message as DATA sends them: every line starting with '.' gets one more (RFC 5321
// 4.5.2), a final CRLF if the message lacks one, then ".\r\n".
std::string dot_stuffed(std::string_view message);

}  // namespace mss::smtp
