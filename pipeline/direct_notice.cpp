// Reads the few fields Direct's notification needs from the original's header (crypto's bounded
// entity reader) and builds the two RFC 8098 reports.
#include "pipeline/direct_notice.h"

#include <fmt/format.h>

#include "core/text.h"
#include "crypto/smime.h"
#include "crypto/smime_entity.h"
#include "pipeline/disposition_options.h"
#include "pipeline/mdn.h"

namespace mss::pipeline {
namespace {

namespace entity = crypto::smime::entity;

constexpr std::size_t kMaxQuotedHeader = 64 * 1024;
constexpr std::size_t kMaxMessageId = 998;

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return ascii_lower(at == std::string_view::npos ? std::string_view() : address.substr(at + 1));
}

bool one_line(std::string_view v) { return v.find_first_of("\r\n") == std::string_view::npos; }

std::string header_block(std::string_view message) {
    std::size_t end = message.find("\r\n\r\n");
    std::string_view header = end == std::string_view::npos ? message : message.substr(0, end + 2);
    if (header.size() > kMaxQuotedHeader) {
        header = header.substr(0, kMaxQuotedHeader);
        std::size_t last = header.rfind("\r\n");
        header = header.substr(0, last == std::string_view::npos ? 0 : last + 2);
    }
    return std::string(header);
}

// The subject cut at a UTF-8 character boundary; "" when it is not UTF-8.
std::string quoted_subject(std::string_view subject) {
    if (!is_valid_utf8(subject) || !one_line(subject)) return "";
    std::size_t n = std::min(subject.size(), kMaxNoticeSubject);
    while (n < subject.size() && n > 0 && (static_cast<unsigned char>(subject[n]) & 0xC0) == 0x80) --n;
    return std::string(subject.substr(0, n));
}

bool is_report(const entity::Entity& e) {
    auto type = entity::content_type_of(e);
    return !type || type->is("multipart/report");  // an unreadable Content-Type is not answered either
}

// Disposition-Notification-To when it names one mailbox of the sender's domain; else the sender.
Result<std::string> notify_address(const entity::Entity& e, std::string_view return_path) {
    auto to = entity::single_field(e, "Disposition-Notification-To");
    if (!to) return to.error();
    if (*to) {
        auto address = entity::single_address(**to);
        if (address && domain_of(*address) == domain_of(return_path) && one_line(*address)) return std::move(*address);
    }
    return std::string(return_path);
}

}  // namespace

Result<std::optional<DirectRequest>> direct_request(std::string_view message, std::string_view return_path) {
    if (return_path.empty()) return std::optional<DirectRequest>();
    auto e = entity::split(message, crypto::smime::Limits{}.max_header_fields);
    if (!e) return fail(ErrorKind::Invalid, "the header cannot be read: " + e.error().message);
    auto options = entity::single_field(*e, "Disposition-Notification-Options");
    if (!options) return options.error();
    if (!*options) return std::optional<DirectRequest>();
    auto parsed = parse_disposition_options(**options);
    if (!parsed) return parsed.error();
    if (!asks_final_destination_delivery(*parsed) || is_report(*e)) return std::optional<DirectRequest>();
    DirectRequest request;
    auto notify = notify_address(*e, return_path);
    if (!notify) return notify.error();
    request.notify = std::move(*notify);
    auto id = entity::single_field(*e, "Message-ID");
    if (id && *id && !(*id)->empty() && (*id)->size() <= kMaxMessageId && one_line(**id)) request.original_message_id = **id;
    auto subject = entity::single_field(*e, "Subject");
    if (subject && *subject) request.subject = quoted_subject(**subject);
    request.original_header = header_block(message);
    return std::optional<DirectRequest>(std::move(request));
}

Result<std::vector<DirectNotice>> direct_notices(const DirectRequest& request, std::string_view recipient,
                                                 const NoticeContext& context) {
    std::vector<DirectNotice> notices;
    for (auto [disposition, suffix, label, text] :
         {std::tuple{"processed", "p", "Processed", "was received and accepted by its recipient's operator"},
          std::tuple{"dispatched", "q", "Dispatched", "was delivered into its recipient's mailbox"}}) {
        MdnRequest mdn;
        mdn.from = std::string(recipient);
        mdn.to = request.notify;
        mdn.subject = request.subject.empty() ? label : fmt::format("{}: {}", label, request.subject);
        mdn.date = context.date;
        mdn.message_id = fmt::format("<{}.{}@{}>", context.unique, disposition, context.hostname);
        mdn.boundary = fmt::format("=_mssd_mdn_{}_{}", context.unique, suffix);
        mdn.reporting_ua = fmt::format("{}; mssd", context.hostname);
        mdn.final_recipient = std::string(recipient);
        mdn.original_message_id = request.original_message_id;
        mdn.disposition = disposition;
        mdn.human_text = fmt::format("Your message{}{} to {} {}.\r\n",
                                     request.original_message_id ? " " : "",
                                     request.original_message_id.value_or(""), recipient, text);
        mdn.original_header = request.original_header;
        auto built = build_mdn(mdn);
        if (!built) return built.error();
        notices.push_back({disposition, suffix, std::move(*built)});
    }
    return notices;
}

}  // namespace mss::pipeline
