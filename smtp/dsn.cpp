// One text/plain part for people, one message/delivery-status part (per-message then per-recipient
// fields, RFC 3464 2.2 and 2.3), one text/rfc822-headers part (RFC 6522).
#include "smtp/dsn.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include "smtp/parse/server_reply.h"

namespace mss::smtp {
namespace {

std::string date_of(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string boundary() {
    unsigned char bytes[12];
    RAND_bytes(bytes, sizeof bytes);
    std::string out = "=_mssd_dsn_";
    for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
    return out;
}

// Control characters and line breaks out of a field value: a peer's reply must not start a new field.
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 900)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    return out;
}

std::string header_block(std::string_view message) {
    std::size_t end = message.find("\r\n\r\n");
    std::string_view header = end == std::string_view::npos ? message : message.substr(0, end + 2);
    if (header.size() > kMaxQuotedHeader) {
        header = header.substr(0, kMaxQuotedHeader);
        header = header.substr(0, header.rfind("\r\n") == std::string_view::npos ? 0 : header.rfind("\r\n") + 2);
    }
    return std::string(header);
}

}  // namespace

std::string status_of_reply(std::string_view reply, bool permanent) {
    ServerReplyReader reader;
    if (reader.feed(reply) == ServerReplyReader::Step::Done && !reader.reply().enhanced.empty())
        return reader.reply().enhanced;
    return permanent ? "5.0.0" : "4.0.0";
}

std::string delivery_status_notification(const BounceInput& in) {
    std::string b = boundary();
    std::string out = fmt::format(
        "From: Mail Delivery System <MAILER-DAEMON@{0}>\r\nTo: <{1}>\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nDate: {2}\r\nMessage-ID: <{3}.dsn@{0}>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{4}\"\r\n\r\n"
        "This is a MIME-encapsulated message.\r\n\r\n--{4}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Your message {3} could not be delivered to the following recipient(s) at other MSSante "
        "operators:\r\n\r\n",
        in.reporting_mta, in.sender, date_of(in.now), in.queue_id, b);
    for (const auto& r : in.recipients) out += fmt::format("  <{}>: {}\r\n", r.address, one_line(r.diagnostic));
    out += fmt::format("\r\n--{}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {}\r\n"
                       "X-Mssd-Queue-ID: {}\r\nArrival-Date: {}\r\n",
                       b, in.reporting_mta, in.queue_id, date_of(in.arrival));
    for (const auto& r : in.recipients) {
        out += fmt::format("\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: {}\r\n", r.address, r.status);
        if (!r.remote_mta.empty()) out += fmt::format("Remote-MTA: dns; {}\r\n", r.remote_mta);
        out += fmt::format("Diagnostic-Code: smtp; {}\r\n", one_line(r.diagnostic));
    }
    out += fmt::format("\r\n--{}\r\nContent-Type: text/rfc822-headers\r\n\r\n{}\r\n--{}--\r\n", b,
                       header_block(in.original), b);
    return out;
}

}  // namespace mss::smtp
