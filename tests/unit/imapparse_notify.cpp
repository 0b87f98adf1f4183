// The NOTIFY grammar (RFC 5465): what NOTIFY SET and NOTIFY NONE accept, and the exact refusals
// (BAD for broken rules, NO [BADEVENT] for an event we do not know, [LIMIT] past the bounds).
#include <doctest/doctest.h>

#include <string>

#include "imap/parse/command.h"

using namespace mss::imap;

namespace {

NotifyArgs notify(std::string_view text) {
    auto parsed = parse_command(text);
    if (auto* r = std::get_if<Response>(&parsed)) FAIL("refused: ", text, " -> ", format_response(*r));
    return std::get<NotifyArgs>(std::get<Command>(parsed).args);
}

std::string refused(std::string_view text) {
    auto parsed = parse_command(text);
    if (std::holds_alternative<Command>(parsed)) {
        FAIL_CHECK("accepted: ", text);
        return {};
    }
    return format_response(std::get<Response>(parsed));
}

constexpr unsigned bits(NotifyEvent e) { return static_cast<unsigned>(e); }

}  // namespace

TEST_CASE("NOTIFY NONE and the RFC 5465 example") {
    CHECK(notify("a NOTIFY NONE").none);
    auto a = notify("b notify set status (selected (MessageNew (uid body.peek[header.fields (from to subject)]) "
                    "MessageExpunge)) (subtree Lists (MessageNew MessageExpunge)) (mailboxes misc (MessageNew MessageExpunge))");
    CHECK(a.status);
    REQUIRE(a.groups.size() == 3);
    CHECK(a.groups[0].filter == NotifyFilter::Selected);
    CHECK(a.groups[0].events == (bits(NotifyEvent::MessageNew) | bits(NotifyEvent::MessageExpunge)));
    REQUIRE(a.groups[0].fetch.size() == 2);
    CHECK(a.groups[0].fetch[0].item == FetchItem::Uid);
    CHECK(a.groups[0].fetch[1].item == FetchItem::BodySection);
    CHECK(a.groups[1].filter == NotifyFilter::Subtree);
    CHECK(a.groups[1].mailboxes == std::vector<std::string>{"Lists"});
    CHECK(a.groups[2].filter == NotifyFilter::Mailboxes);
}

TEST_CASE("NOTIFY SET: every filter and event, STATUS in parentheses, NONE events") {
    auto a = notify("c NOTIFY SET (STATUS) (INBOXES (MessageNew (UID) MessageExpunge)) (personal (MailboxName SubscriptionChange "
                    "MailboxMetadataChange ServerMetadataChange)) (SUBSCRIBED NONE) (SELECTED-DELAYED (MessageNew MessageExpunge "
                    "FlagChange)) (MAILBOXES (inbox Drafts) (MessageNew MessageExpunge))");
    CHECK(a.status);
    REQUIRE(a.groups.size() == 5);
    CHECK(a.groups[0].filter == NotifyFilter::Inboxes);
    CHECK(a.groups[0].fetch.size() == 1);  // for a new message in INBOX when INBOX is selected
    CHECK(a.groups[1].events == (bits(NotifyEvent::MailboxName) | bits(NotifyEvent::SubscriptionChange) |
                                 bits(NotifyEvent::MailboxMetadataChange) | bits(NotifyEvent::ServerMetadataChange)));
    CHECK(a.groups[2].events == 0);
    CHECK(a.groups[3].filter == NotifyFilter::SelectedDelayed);
    CHECK(a.groups[3].has(NotifyEvent::FlagChange));
    CHECK(a.groups[4].mailboxes == std::vector<std::string>{"INBOX", "Drafts"});
    CHECK_FALSE(notify("d NOTIFY SET (selected (MessageNew MessageExpunge))").status);
}

TEST_CASE("NOTIFY refusals") {
    CHECK(refused("a NOTIFY SET (SELECTED (MessageNew))") == "a BAD MessageNew and MessageExpunge go together\r\n");
    CHECK(refused("a NOTIFY SET (SELECTED-DELAYED (MessageExpunge))").starts_with("a BAD "));
    CHECK(refused("a NOTIFY SET (SELECTED (FlagChange))").starts_with("a BAD FlagChange"));
    // Another mailbox may ask for new messages alone (RFC 5465 3.1's example; Dovecot 2.3 agrees).
    CHECK(notify("a NOTIFY SET (SUBTREE Lists (MessageNew))").groups[0].events == bits(NotifyEvent::MessageNew));
    CHECK(refused("a NOTIFY SET (INBOXES (MessageNew MessageExpunge Sparkle))") ==
          "a NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
          "MailboxMetadataChange ServerMetadataChange)] Unsupported event\r\n");
    // No per-message annotations here (RFC 5257): AnnotationChange is an event we do not support
    // (RFC 5465 5), refused before any pairing rule is looked at.
    CHECK(refused("a NOTIFY SET (SELECTED (MessageNew MessageExpunge FlagChange AnnotationChange))")
              .starts_with("a NO [BADEVENT (MessageNew "));
    CHECK(refused("a NOTIFY SET (INBOXES (AnnotationChange))").starts_with("a NO [BADEVENT ("));
    CHECK(refused("a NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))") ==
          "a BAD SELECTED given twice\r\n");
    CHECK(refused("a NOTIFY SET (everything (MessageNew MessageExpunge))") == "a BAD Unknown NOTIFY mailbox filter\r\n");
    CHECK(refused("a NOTIFY SET").starts_with("a BAD"));
    CHECK(refused("a NOTIFY SET ()").starts_with("a BAD"));
    CHECK(refused("a NOTIFY SET (INBOXES ())").starts_with("a BAD"));
    CHECK(refused("a NOTIFY SET (INBOXES (MessageNew MessageExpunge)) ").starts_with("a BAD"));
    CHECK(refused("a NOTIFY ALL").starts_with("a BAD"));
    std::string many = "a NOTIFY SET";
    for (int i = 0; i < 65; ++i) many += " (INBOXES NONE)";
    CHECK(refused(many).starts_with("a BAD [LIMIT]"));
    std::string names = "a NOTIFY SET (MAILBOXES (";
    for (int i = 0; i < 65; ++i) names += "m" + std::to_string(i) + " ";
    names.back() = ')';
    CHECK(refused(names + " NONE)").starts_with("a BAD [LIMIT]"));
}
