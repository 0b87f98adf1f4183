// One text/plain part for people, one message/delivery-status part (per-message then per-recipient
// fields, RFC 3464 2.2 and 2.3), then the original: message/rfc822 (RET=FULL, bounded) or
// text/rfc822-headers (RFC 6522).
#include "smtp/dsn.h"

#include <fmt/format.h>

#include "core/date.h"
#include "core/unique.h"
#include "smtp/parse/command.h"
#include "smtp/parse/server_reply.h"

namespace mss::smtp {
namespace {

std::string boundary() { return "=_mssd_dsn_" + random_hex(12); }

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

std::string_view action_name(DsnAction a) {
    switch (a) {
        case DsnAction::Failed: return "failed";
        case DsnAction::Delayed: return "delayed";
        case DsnAction::Delivered: return "delivered";
        case DsnAction::Relayed: return "relayed";
    }
    return "failed";
}

std::string_view subject_of(DsnAction a) {
    switch (a) {
        case DsnAction::Failed: return "Undelivered Mail Returned to Sender";
        case DsnAction::Delayed: return "Delayed Mail (still being retried)";
        case DsnAction::Delivered: return "Successful Mail Delivery Report";
        case DsnAction::Relayed: return "Mail Relayed Without Further Notification";
    }
    return "";
}

std::string_view summary_of(DsnAction a) {
    switch (a) {
        case DsnAction::Failed: return "could not be delivered to the following recipient(s)";
        case DsnAction::Delayed: return "has not been delivered yet to the following recipient(s)";
        case DsnAction::Delivered: return "was delivered to the following recipient(s)";
        case DsnAction::Relayed:
            return "was relayed to the following recipient(s) by a server that will not report its delivery";
    }
    return "";
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
    DsnAction action = in.recipients.empty() ? DsnAction::Failed : in.recipients.front().action;
    bool whole = in.return_full && action != DsnAction::Delivered && action != DsnAction::Relayed &&
                 in.original.size() <= in.max_returned;
    std::string out = fmt::format(
        "From: Mail Delivery System <MAILER-DAEMON@{0}>\r\nTo: <{1}>\r\n"
        "Subject: {5}\r\nDate: {2}\r\nMessage-ID: <{3}.{6}.{8}@{0}>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{4}\"\r\n\r\n"
        "This is a MIME-encapsulated message.\r\n\r\n--{4}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Your message {3} {7}:\r\n\r\n",
        in.reporting_mta, in.sender, rfc5322_date(in.now), in.queue_id, b, subject_of(action), action_name(action),
        summary_of(action), b.substr(b.size() - 8));
    for (const auto& r : in.recipients) out += fmt::format("  <{}>: {}\r\n", r.address, one_line(r.diagnostic));
    if (action == DsnAction::Delayed && !in.recipients.empty() && in.recipients.front().will_retry_until)
        out += fmt::format("\r\nNo action is required on your part: delivery will be retried until {}.\r\n",
                           rfc5322_date(in.recipients.front().will_retry_until));
    if (in.return_full && !whole && action != DsnAction::Delivered && action != DsnAction::Relayed)
        out += fmt::format("\r\nThe message is larger than {} octets: only its header is returned.\r\n",
                           in.max_returned);
    out += fmt::format("\r\n--{}\r\nContent-Type: message/delivery-status\r\n\r\n", b);
    if (!in.envid.empty()) out += fmt::format("Original-Envelope-Id: {}\r\n", xtext_encode(in.envid));
    out += fmt::format("Reporting-MTA: dns; {}\r\nX-Mssd-Queue-ID: {}\r\nArrival-Date: {}\r\n", in.reporting_mta,
                       in.queue_id, rfc5322_date(in.arrival));
    for (const auto& r : in.recipients) {
        out += "\r\n";
        if (auto semi = r.original_recipient.find(';'); semi != std::string::npos)
            out += fmt::format("Original-Recipient: {};{}\r\n", one_line(r.original_recipient.substr(0, semi)),
                               xtext_encode(r.original_recipient.substr(semi + 1)));
        out += fmt::format("Final-Recipient: rfc822; {}\r\nAction: {}\r\nStatus: {}\r\n", r.address,
                           action_name(r.action), r.status);
        if (!r.remote_mta.empty()) out += fmt::format("Remote-MTA: dns; {}\r\n", r.remote_mta);
        out += fmt::format("Diagnostic-Code: smtp; {}\r\n", one_line(r.diagnostic));
        if (r.action == DsnAction::Delayed && r.will_retry_until)
            out += fmt::format("Will-Retry-Until: {}\r\n", rfc5322_date(r.will_retry_until));
    }
    if (whole)
        out += fmt::format("\r\n--{}\r\nContent-Type: message/rfc822\r\n\r\n{}", b, in.original);
    else
        out += fmt::format("\r\n--{}\r\nContent-Type: text/rfc822-headers\r\n\r\n{}", b, header_block(in.original));
    if (!out.ends_with("\r\n")) out += "\r\n";
    out += fmt::format("\r\n--{}--\r\n", b);
    return out;
}

}  // namespace mss::smtp
