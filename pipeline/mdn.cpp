// RFC 8098 / RFC 6522 report building, CI-SIS flavour. Pure.
#include "pipeline/mdn.h"

#include <fmt/format.h>

#include "core/base64.h"

namespace mss::pipeline {
namespace {

bool header_safe(std::string_view v) { return v.find_first_of("\r\n") == std::string_view::npos; }

bool ascii(std::string_view v) {
    for (unsigned char c : v)
        if (c >= 0x80) return false;
    return true;
}

// RFC 2047 B encoded-words of at most 45 octets of UTF-8 each (never splitting a character),
// folded with CRLF SP so that no line passes 78 characters.
std::string encoded_words(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = std::min<std::size_t>(45, text.size() - i);
        while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) --n;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64_encode(text.substr(i, n)) + "?=";
        i += n;
    }
    return out;
}

std::string header_text(std::string_view v) { return ascii(v) ? std::string(v) : encoded_words(v); }

std::string disposition_of(const MdnRequest& r) {
    std::string d = "automatic-action/MDN-sent-automatically; " + r.disposition;
    if (r.error) d += fmt::format("/Error: {}^{}", r.error->code, r.error->label);
    return d;
}

std::string notification_part(const MdnRequest& r) {
    std::string p = "Content-Type: message/disposition-notification\r\n\r\n";
    p += "Reporting-UA: " + r.reporting_ua + "\r\n";
    if (r.original_recipient) p += "Original-Recipient: rfc822;" + *r.original_recipient + "\r\n";
    p += "Final-Recipient: rfc822;" + r.final_recipient + "\r\n";
    if (r.original_message_id) p += "Original-Message-ID: " + *r.original_message_id + "\r\n";
    p += "Disposition: " + disposition_of(r) + "\r\n";
    return p;
}

std::string with_crlf(std::string_view text) {  // bare LF -> CRLF, and a final line end
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
        out += text[i];
    }
    if (out.size() < 2 || out.substr(out.size() - 2) != "\r\n") out += "\r\n";
    return out;
}

std::vector<std::string> parts_of(const MdnRequest& r) {
    std::vector<std::string> parts;
    parts.push_back("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                    base64_lines(with_crlf(r.human_text)));
    parts.push_back(notification_part(r));
    parts.push_back("Content-Type: text/rfc822-headers\r\n\r\n" + with_crlf(r.original_header));
    for (const auto& a : r.attachments)
        parts.push_back(fmt::format("Content-Type: {}; name=\"{}\"\r\nContent-Disposition: attachment; "
                                    "filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                                    a.content_type, a.filename, a.filename) +
                        base64_lines(a.octets));
    return parts;
}

}  // namespace

mss::Result<std::string> build_mdn(const MdnRequest& r) {
    for (std::string_view v : {std::string_view(r.from), std::string_view(r.to), std::string_view(r.subject),
                               std::string_view(r.date), std::string_view(r.message_id), std::string_view(r.boundary),
                               std::string_view(r.reporting_ua), std::string_view(r.final_recipient)})
        if (!header_safe(v)) return fail(ErrorKind::Invalid, "a header value of the MDN holds CR or LF");
    for (const auto* v : {&r.original_recipient, &r.original_message_id})
        if (*v && !header_safe(**v)) return fail(ErrorKind::Invalid, "a header value of the MDN holds CR or LF");
    if (r.error && (!header_safe(r.error->label) || !ascii(r.error->label)))
        return fail(ErrorKind::Invalid, "the error label must be ASCII on one line (Disposition is a 7-bit field)");
    for (const auto& a : r.attachments)
        if (!header_safe(a.filename) || !header_safe(a.content_type) || a.filename.find('"') != std::string::npos)
            return fail(ErrorKind::Invalid, "an attachment name or type cannot go in a header");
    if (r.disposition != "processed" && r.disposition != "dispatched")
        return fail(ErrorKind::Invalid, "disposition must be processed or dispatched");
    if (r.boundary.empty() || r.boundary.size() > 70) return fail(ErrorKind::Invalid, "boundary of 1 to 70 characters");
    auto parts = parts_of(r);
    for (const auto& p : parts)
        if (p.find("--" + r.boundary) != std::string::npos)
            return fail(ErrorKind::Invalid, "the boundary occurs in a part");
    std::string m = "From: " + r.from + "\r\nTo: " + r.to + "\r\nSubject: " + header_text(r.subject) +
                    "\r\nDate: " + r.date + "\r\nMessage-ID: " + r.message_id +
                    "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n"
                    "Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"" +
                    r.boundary + "\"\r\n\r\n";
    for (const auto& p : parts) m += "--" + r.boundary + "\r\n" + p + "\r\n";
    m += "--" + r.boundary + "--\r\n";
    return m;
}

}  // namespace mss::pipeline
