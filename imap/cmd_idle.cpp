// IDLE (RFC 2177, RFC 9051 6.3.13) and ENABLE (RFC 5161: CONDSTORE, QRESYNC, IMAP4rev2, UTF8=ACCEPT).
// While idling on a selected mailbox the session watches its folder in the store's change notifier;
// a committed change wakes the pending read, and the client hears EXISTS/EXPUNGE (or VANISHED)/FETCH
// at once, until it sends DONE; NOTIFY's news too (cmd_notify.cpp).
#include <fmt/format.h>

#include "core/text.h"
#include "imap/session_state.h"

namespace mss::imap {

asio::awaitable<void> Session::cmd_idle(const Command& cmd) {
    stream_->send("+ idling\r\n");
    store::ChangeNotifier::Watch watch;
    if (selected_) {
        watch = services_.store.changes().watch(selected_->ref.info.id, [weak = std::weak_ptr<Stream>(stream_)] {
            if (auto stream = weak.lock()) stream->wake();
        });
        co_await refresh(Expunges::Report);  // what changed before the watch began
    }
    assembler_.expect_line(cmd.tag);
    for (;;) {
        while (auto event = assembler_.next()) {
            if (auto* line = std::get_if<ContinuationLine>(&*event)) {
                if (is_idle_done(line->text)) co_return ok(cmd, "IDLE terminated");
                co_return bad(cmd, "Expected DONE");
            }
            if (auto* error = std::get_if<FramingError>(&*event)) co_return send(error->response);
        }
        if (assembler_.closed() || !co_await fill()) {
            state_ = State::Logout;
            co_return;
        }
        if (woken_ && notify_) co_await deliver_notifications();
        if (woken_ && selected_) co_await refresh(Expunges::Report);
        woken_ = false;
    }
}

// Each capability named once is enabled and listed in ENABLED; one already enabled or unknown is
// left out (RFC 5161 3.1). UTF8=ACCEPT and IMAP4rev2 make mailbox names UTF-8 from the next command.
void Session::cmd_enable(const Command& cmd) {
    std::string enabled;
    for (const auto& capability : std::get<EnableArgs>(cmd.args).capabilities) {
        if (capability == "CONDSTORE" || capability == "QRESYNC") {
            bool qresync = capability == "QRESYNC";
            if (qresync ? qresync_ : condstore_ && !qresync) continue;
            enable_condstore();
            qresync_ = qresync_ || qresync;
        } else if (capability == "IMAP4REV2" && !rev2_) {
            rev2_ = true;
        } else if (capability == "UTF8=ACCEPT" && !utf8_accept_) {
            utf8_accept_ = true;
        } else {
            continue;
        }
        enabled += " " + std::string(capability == "IMAP4REV2" ? "IMAP4rev2" : capability);
    }
    untagged("ENABLED" + enabled);
    ok(cmd, "ENABLE completed");
}

}  // namespace mss::imap
