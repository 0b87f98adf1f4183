// Sender and recipient decisions; every refusal carries its RFC 3463 enhanced status code.
#include "smtp/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/text.h"
#include "mime/message.h"
#include "mime/text.h"
#include "directory/checks.h"
#include "directory/operator_dn.h"

namespace mss::smtp {
namespace {

Reply temporary(const Error& e) { return {451, "4.3.0", "Temporary lookup failure, try again later"}; }

Reply not_owned(const Path& from, const store::Account& principal) {
    return {553, "5.7.1",
            fmt::format("<{}>: Sender address rejected: not owned by {}", from.address(), principal.address)};
}

// At or past a quota limit (RFC 9208): new mail waits at the sender's until the owner makes room.
Result<bool> is_full(store::Store& store, const std::string& address) {
    auto quota = store.quota(address);
    if (!quota) return quota.error();
    if (!quota->storage_kib && !quota->messages) return false;
    auto used = store.usage(address);
    if (!used) return used.error();
    return (quota->storage_kib && used->storage_octets >= *quota->storage_kib * 1024) ||
           (quota->messages && used->messages >= *quota->messages);
}

// RFC 3463 X.6.0: a missing, repeated or unreadable originator field is a defect of the message's
// content (class 6), not a matter of the sender's authority (X.7) nor of an envelope address (X.1), and
// no narrower X.6.y code (conversions, UTF-8) fits. 550, as for the other content refusals of DATA.
Reply malformed_header(std::string_view why) { return {550, "5.6.0", fmt::format("Message refused: {}", why)}; }

// Words the sender's mail client shows: which field, which address, and what to do instead.
Reply header_sender_refused(std::string_view field, const mime::Address& address, Port port,
                            const store::Account* principal) {
    std::string shown = fmt::format("{}@{}", address.mailbox, address.host);
    if (!requires_auth(port))
        return {553, "5.7.1",
                fmt::format("{}: <{}> rejected: our own domain; its mail comes through the submission port", field,
                            shown)};
    return {553, "5.7.1",
            fmt::format("{}: <{}> rejected: {} may not send as this address; write from your own address, or from "
                        "a shared mailbox you have the right to send for",
                        field, shown, principal ? principal->address : "the sender")};
}

Path path_of(const mime::Address& address) {
    Path path;
    path.local = address.mailbox;
    path.domain = address.host;
    return path;
}

// Every mailbox of one originator field (one only for Sender) through check_sender; nullopt when all pass.
std::optional<Reply> check_field(store::Store& store, const Config& config, Port port,
                                 const store::Account* principal, std::string_view field, std::string_view value,
                                 bool single) {
    auto mailboxes = mime::mailbox_list(value);
    if (!mailboxes || (single && mailboxes->size() != 1))
        return malformed_header(fmt::format("the {}: header field cannot be read as {}", field,
                                            single ? "one address" : "a list of addresses"));
    for (const auto& address : *mailboxes) {
        Reply verdict = check_sender(store, config, port, principal, path_of(address));
        if (verdict.code == 451) return verdict;
        if (!verdict.positive()) return header_sender_refused(field, address, port, principal);
    }
    return std::nullopt;
}

// A recipient at another operator (submission only): a patient's INS address, or a mailbox listed in
// the national directory at a whitelisted domain.
RecipientDecision check_remote(directory::Directory& directory, const Config& config, const Path& to) {
    std::string address = ascii_lower(to.address());
    std::string domain = ascii_lower(to.domain);
    if (domain == config.directory.patient_domain) {
        if (directory::ins_valid(to.local)) return RemoteRecipient{address};
        return Reply{550, "5.1.1",
                fmt::format("<{}>: not a patient address: a patient's address is their 15-character INS number "
                            "(social security number and its key), and this one is wrong",
                            address)};
    }
    auto trusted = directory.domain_whitelisted(domain);
    if (!trusted) return RecipientDecision(temporary(trusted.error()));
    if (!*trusted)
        return Reply{550, "5.7.1",
                fmt::format("<{}>: the domain {} is outside the MSSante space of trust: health data cannot be "
                            "sent there from this mailbox",
                            address, domain)};
    auto listed = directory.find_mailbox(address);
    if (!listed) return RecipientDecision(temporary(listed.error()));
    if (!*listed)
        return Reply{550, "5.1.1",
                fmt::format("<{}>: this address is not in the national health directory (Annuaire Sante): "
                            "check its spelling, or ask the recipient for their MSSante address",
                            address)};
    return RemoteRecipient{address};
}

}  // namespace

std::string_view to_string(Port port) {
    switch (port) {
        case Port::Relay: return "smtp";
        case Port::Submission: return "submission";
        case Port::Submissions: return "submissions";
    }
    return "smtp";
}

Reply check_sender(store::Store& store, const Config& config, Port port, const store::Account* principal,
                   const Path& from) {
    const Reply ok{250, "2.1.0", "Sender OK"};
    if (!requires_auth(port)) {
        if (!from.null && config.serves_domain(from.domain))
            return {553, "5.7.1",
                    fmt::format("<{}>: Sender address rejected: our own domain, use the submission port",
                                from.address())};
        return ok;
    }
    if (!principal) return {530, "5.7.0", "Authentication required"};
    if (from.null) return {553, "5.7.1", "Null sender not allowed for authenticated submission"};
    std::string address = ascii_lower(from.address());
    if (address == principal->address) return ok;
    if (principal->kind == store::MailboxKind::Applicative) return not_owned(from, *principal);
    auto owner = store.find_account(address);
    if (!owner) return owner.error().kind == ErrorKind::Io ? temporary(owner.error()) : not_owned(from, *principal);
    if (owner->kind != store::MailboxKind::Organisational || owner->disabled) return not_owned(from, *principal);
    auto rights = store.rights_of(address, principal->address);
    if (!rights) return temporary(rights.error());
    if (rights->find(kSendAsRight) == std::string::npos) return not_owned(from, *principal);
    return ok;
}

Reply check_header_senders(store::Store& store, const Config& config, Port port, const store::Account* principal,
                           std::string_view message) {
    const Reply ok{250, "2.6.0", "Header senders OK"};
    auto from = mime::fields_named(message, "From", 2);
    auto sender = mime::fields_named(message, "Sender", 2);
    if (from.empty())
        return requires_auth(port) ? malformed_header("no From: header field (RFC 5322 requires one)") : ok;
    if (from.size() > 1 || sender.size() > 1) return malformed_header("more than one From: or Sender: header field");
    if (auto refusal = check_field(store, config, port, principal, "From", from.front().value, false)) return *refusal;
    if (sender.empty()) return ok;
    return check_field(store, config, port, principal, "Sender", sender.front().value, true).value_or(ok);
}

RecipientDecision check_recipient(store::Store& store, directory::Directory& directory, const Config& config,
                                  Port port, const Path& to) {
    std::string address = to.address();
    if (to.domain.empty()) {  // <Postmaster>, RFC 5321 4.5.1
        address = fmt::format("postmaster@{}", config.domains.front());
    } else if (!config.serves_domain(to.domain)) {
        if (!requires_auth(port)) return Reply{554, "5.7.1", fmt::format("<{}>: Relay access denied", to.address())};
        return check_remote(directory, config, to);
    }
    auto account = store.find_account(address);
    if (!account) {
        if (account.error().kind == ErrorKind::Io) return temporary(account.error());
        return Reply{550, "5.1.1", fmt::format("<{}>: Recipient address rejected: no such mailbox", address)};
    }
    if (account->disabled)
        return Reply{550, "5.2.1", fmt::format("<{}>: Recipient address rejected: mailbox disabled", address)};
    auto full = is_full(store, address);
    if (!full) return temporary(full.error());
    if (*full) return Reply{452, "4.2.2", fmt::format("<{}>: Mailbox full, try again later", address)};
    return std::move(account).value();
}

Reply check_relay_sender(directory::Directory& directory, const Config& config, const tls::PeerCertificate& peer,
                         const Path& from) {
    const Reply ok{250, "2.1.0", "Sender OK"};
    std::string why_not = !peer.presented ? "no client certificate was presented"
                          : !peer.verified ? fmt::format("the client certificate is not valid ({})", peer.reason)
                                           : "";
    if (from.null) {
        if (why_not.empty()) {
            auto dns = directory.operator_dns();
            if (!dns) return temporary(dns.error());
            if (std::any_of(dns->begin(), dns->end(),
                            [&](const std::string& dn) { return directory::same_operator_dn(dn, peer.subject); }))
                return ok;
            why_not = fmt::format("the client certificate ({}) is no operator's the MSSante whitelist lists", peer.subject);
        }
        return {550, "5.7.1", fmt::format("Delivery status notifications are accepted only from operators of the "
                                          "MSSante space of trust: {}", why_not)};
    }
    std::string domain = ascii_lower(from.domain);
    auto entries = directory.whitelist_entries(domain);
    if (!entries) return temporary(entries.error());
    if (entries->empty()) {
        if (config.relay.unlisted_senders == UnlistedSenders::Accept) return ok;
        return {550, "5.7.1", fmt::format("<{}>: the domain {} is not in the MSSante whitelist: this server takes "
                                          "mail only from operators of the space of trust", from.address(), domain)};
    }
    if (!why_not.empty())
        return {550, "5.7.1", fmt::format("<{}>: mail from {} must come from its operator, authenticated by its "
                                          "IGC-Sante certificate: {}", from.address(), domain, why_not)};
    bool listed = std::any_of(entries->begin(), entries->end(), [&](const directory::WhitelistEntry& e) {
        return directory::same_operator_dn(e.operator_dn, peer.subject);
    });
    if (listed) return ok;
    return {550, "5.7.1", fmt::format("<{}>: the client certificate ({}) is not the one the MSSante whitelist lists "
                                      "for {}", from.address(), peer.subject, domain)};
}

std::optional<Reply> check_hops(const Config& config, std::string_view message) {
    auto received = mime::fields_named(message, "Received", config.relay.max_received + 1);
    if (received.size() <= config.relay.max_received) return std::nullopt;
    return Reply{554, "5.4.6", fmt::format("Routing loop detected: more than {} Received: header fields",
                                           config.relay.max_received)};
}

}  // namespace mss::smtp
