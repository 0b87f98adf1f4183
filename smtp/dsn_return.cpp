// A report for a local sender is filed like any delivery; for a remote sender it is queued under a
// queue id of its own, with the null reverse-path, through the same store call (one transaction).
#include "smtp/dsn_return.h"

#include <fmt/format.h>

#include <ctime>

#include "core/log.h"
#include "core/text.h"
#include "core/unique.h"

namespace mss::smtp {
namespace {


}  // namespace

Status return_to_sender(store::Store& store, const Config& config, const std::string& sender, std::string report,
                        std::string_view about_id) {
    if (sender.empty()) return Ok{};
    std::string domain = ascii_lower(sender.substr(sender.rfind('@') + 1));
    store::Delivery dsn;
    dsn.internal_date = std::time(nullptr);
    std::string where;
    if (config.serves_domain(domain)) {
        auto account = store.find_account(sender);
        if (!account) {
            if (account.error().kind != ErrorKind::NotFound) return account.error();
            log::info("dsn", "{}: no report: the sender <{}> has no mailbox here", about_id, log::sanitize(sender));
            return Ok{};
        }
        dsn.account_ids = {account->id};
        dsn.content = std::move(report);
        where = "filed";
    } else {
        dsn.queue_id = new_queue_id();
        dsn.remote_recipients = {ascii_lower(sender)};
        dsn.outbound_content = std::move(report);
        where = fmt::format("queued as {} with the null sender", dsn.queue_id);
    }
    auto filed = store.deliver_batch(std::span(&dsn, 1));
    if (filed.empty()) return fail(ErrorKind::Io, "no outcome");
    if (!filed.front()) return filed.front().error();
    log::info("dsn", "{}: delivery status notification for <{}> {}", about_id, log::sanitize(sender), where);
    return Ok{};
}

}  // namespace mss::smtp
