// Sender and recipient decisions per listener, against a real SQLite store in a temporary folder.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "smtp/policy.h"

using namespace mss;
using namespace mss::smtp;

namespace {

struct Fixture {
    std::filesystem::path dir;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<directory::Directory> directory;
    Config config;
    store::Account gp, secretary, practice, lab;

    Fixture() {
        char tmpl[] = "/tmp/mssd-policy-XXXXXX";
        dir = mkdtemp(tmpl);
        store = std::move(store::open_sqlite(dir / "t.db")).value();
        directory = std::move(directory::open_sqlite_directory(dir / "directory.db")).value();
        config.domains = {"cab.mssante.fr"};
        config.hostname = "mx.cab.mssante.fr";
        gp = add("jean.dupont@cab.mssante.fr", store::MailboxKind::Personal);
        secretary = add("secretariat@cab.mssante.fr", store::MailboxKind::Personal);
        practice = add("cabinet@cab.mssante.fr", store::MailboxKind::Organisational);
        lab = add("labo@cab.mssante.fr", store::MailboxKind::Applicative, "ab12");
        REQUIRE(store->set_member(practice.address, gp.address, "lrswi0").ok());
        REQUIRE(store->set_member(practice.address, secretary.address, "lrsw").ok());
    }
    ~Fixture() { std::filesystem::remove_all(dir); }

    store::Account add(const std::string& address, store::MailboxKind kind, std::optional<std::string> cert = {}) {
        auto a = store->create_account({address, kind, {}, {}, cert});
        REQUIRE(a.ok());
        return a.value();
    }
    Reply sender(Port port, const store::Account* who, const std::string& address) {
        Path p;
        auto at = address.find('@');
        p.local = address.substr(0, at);
        p.domain = address.substr(at + 1);
        p.null = address.empty();
        return check_sender(*store, config, port, who, p);
    }
    RecipientDecision recipient(const std::string& local, const std::string& domain, Port port = Port::Relay) {
        return check_recipient(*store, *directory, config, port, Path{false, local, domain, false});
    }
};

}  // namespace

TEST_CASE("relay port: any foreign sender, never one of our domains") {
    Fixture f;
    CHECK(f.sender(Port::Relay, nullptr, "labo@labo-y.mssante.fr").code == 250);
    CHECK(f.sender(Port::Relay, nullptr, "").code == 250);  // null reverse-path: bounces
    Reply own = f.sender(Port::Relay, nullptr, "jean.dupont@CAB.mssante.fr");
    CHECK(own.code == 553);
    CHECK(own.enhanced == "5.7.1");
}

TEST_CASE("submission needs an authenticated principal") {
    Fixture f;
    Reply r = f.sender(Port::Submission, nullptr, f.gp.address);
    CHECK(r.code == 530);
    CHECK(r.enhanced == "5.7.0");
}

TEST_CASE("a professional sends as itself, case-insensitively") {
    Fixture f;
    CHECK(f.sender(Port::Submission, &f.gp, "Jean.Dupont@cab.mssante.fr").code == 250);
    CHECK(f.sender(Port::Submissions, &f.gp, f.gp.address).code == 250);
}

TEST_CASE("send-as an organisational mailbox needs right 0") {
    Fixture f;
    CHECK(f.sender(Port::Submission, &f.gp, f.practice.address).code == 250);
    Reply r = f.sender(Port::Submission, &f.secretary, f.practice.address);
    CHECK(r.code == 553);
    CHECK(r.enhanced == "5.7.1");
}

TEST_CASE("nobody sends as another professional, an unknown address or the null path") {
    Fixture f;
    CHECK(f.sender(Port::Submission, &f.secretary, f.gp.address).code == 553);
    CHECK(f.sender(Port::Submission, &f.gp, "nobody@cab.mssante.fr").code == 553);
    CHECK(f.sender(Port::Submission, &f.gp, "someone@elsewhere.fr").code == 553);
    CHECK(f.sender(Port::Submission, &f.gp, "").code == 553);
}

TEST_CASE("an applicative mailbox sends only as itself") {
    Fixture f;
    CHECK(f.sender(Port::Submissions, &f.lab, f.lab.address).code == 250);
    CHECK(f.sender(Port::Submissions, &f.lab, f.practice.address).code == 553);
}

TEST_CASE("a disabled organisational mailbox cannot be sent as") {
    Fixture f;
    REQUIRE(f.store->set_disabled(f.practice.address, true).ok());
    CHECK(f.sender(Port::Submission, &f.gp, f.practice.address).code == 553);
}

TEST_CASE("recipients: known, unknown, disabled, foreign, postmaster") {
    Fixture f;
    auto known = f.recipient("Jean.Dupont", "cab.mssante.fr");
    REQUIRE(std::holds_alternative<store::Account>(known));
    CHECK(std::get<store::Account>(known).id == f.gp.id);

    auto unknown = f.recipient("nobody", "cab.mssante.fr");
    REQUIRE(std::holds_alternative<Reply>(unknown));
    CHECK(std::get<Reply>(unknown).code == 550);
    CHECK(std::get<Reply>(unknown).enhanced == "5.1.1");

    REQUIRE(f.store->set_disabled(f.secretary.address, true).ok());
    auto disabled = f.recipient("secretariat", "cab.mssante.fr");
    REQUIRE(std::holds_alternative<Reply>(disabled));
    CHECK(std::get<Reply>(disabled).code == 550);
    CHECK(std::get<Reply>(disabled).enhanced == "5.2.1");

    auto foreign = f.recipient("x", "chu-x.mssante.fr");
    REQUIRE(std::holds_alternative<Reply>(foreign));
    CHECK(std::get<Reply>(foreign).code == 554);
    CHECK(std::get<Reply>(foreign).enhanced == "5.7.1");

    auto postmaster_missing = f.recipient("Postmaster", "");
    REQUIRE(std::holds_alternative<Reply>(postmaster_missing));
    CHECK(std::get<Reply>(postmaster_missing).enhanced == "5.1.1");
    f.add("postmaster@cab.mssante.fr", store::MailboxKind::Organisational);
    CHECK(std::holds_alternative<store::Account>(f.recipient("Postmaster", "")));
}

TEST_CASE("a mailbox at its quota defers new mail with 452 4.2.2") {
    Fixture f;
    REQUIRE(f.store->set_quota(f.gp.address, store::Quota{std::nullopt, 1}).ok());
    CHECK(std::holds_alternative<store::Account>(f.recipient("jean.dupont", "cab.mssante.fr")));
    REQUIRE(f.store->append(f.gp.address, "INBOX", "Subject: x\r\n\r\n", {}, 1).ok());
    auto full = f.recipient("jean.dupont", "cab.mssante.fr");
    REQUIRE(std::holds_alternative<Reply>(full));
    CHECK(std::get<Reply>(full).code == 452);
    CHECK(std::get<Reply>(full).enhanced == "4.2.2");
    REQUIRE(f.store->set_quota(f.gp.address, store::Quota{}).ok());
    CHECK(std::holds_alternative<store::Account>(f.recipient("jean.dupont", "cab.mssante.fr")));
}

TEST_CASE("header senders: submission binds From and Sender to what the principal may send as") {
    Fixture f;
    auto check = [&](Port port, const store::Account* who, const std::string& header) {
        return check_header_senders(*f.store, f.config, port, who, header + "Subject: x\r\n\r\nbody\r\n");
    };
    CHECK(check(Port::Submission, &f.gp, "From: Dr Jean Dupont <Jean.Dupont@cab.mssante.fr>\r\n").code == 250);
    CHECK(check(Port::Submission, &f.gp, "From: <cabinet@cab.mssante.fr>\r\nSender: <jean.dupont@cab.mssante.fr>\r\n")
              .code == 250);
    Reply forged = check(Port::Submission, &f.secretary, "From: Dr Jean Dupont <jean.dupont@cab.mssante.fr>\r\n");
    CHECK(forged.code == 553);
    CHECK(forged.enhanced == "5.7.1");
    CHECK(check(Port::Submission, &f.secretary, "From: <cabinet@cab.mssante.fr>\r\n").code == 553);  // no right 0
    CHECK(check(Port::Submissions, &f.gp, "From: <jean.dupont@cab.mssante.fr>, <secretariat@cab.mssante.fr>\r\n").code ==
          553);
    CHECK(check(Port::Submission, &f.gp, "From: <jean.dupont@cab.mssante.fr>\r\nSender: <labo@cab.mssante.fr>\r\n")
              .code == 553);
    CHECK(check(Port::Submission, &f.lab, "From: <cabinet@cab.mssante.fr>\r\n").code == 553);
    for (std::string header : {"", "From: jean.dupont@cab.mssante.fr secretariat@cab.mssante.fr\r\n",
                               "From: <jean.dupont@cab.mssante.fr>\r\nFrom: <jean.dupont@cab.mssante.fr>\r\n"}) {
        CAPTURE(header);
        Reply malformed = check(Port::Submission, &f.gp, header);
        CHECK(malformed.code == 550);
        CHECK(malformed.enhanced == "5.6.0");
    }
}

TEST_CASE("header senders: the relay port refuses our own domains in From or Sender, accepts no From") {
    Fixture f;
    auto check = [&](const std::string& header) {
        return check_header_senders(*f.store, f.config, Port::Relay, nullptr, header + "\r\nbody\r\n");
    };
    CHECK(check("From: <dr@chu-x.mssante.fr>\r\n").code == 250);
    CHECK(check("").code == 250);
    CHECK(check("From: Dr Jean Dupont <jean.dupont@CAB.mssante.fr>\r\n").code == 553);
    CHECK(check("From: <dr@chu-x.mssante.fr>\r\nSender: <secretariat@cab.mssante.fr>\r\n").code == 553);
    CHECK(check("From: <dr@chu-x.mssante.fr> <jean.dupont@cab.mssante.fr>\r\n").code == 550);
}

namespace {

// The directory as an import leaves it: one listed mailbox at a whitelisted domain, one listed at a
// domain outside the whitelist.
void list_remote_mailboxes(directory::Directory& d) {
    auto session = std::move(d.begin_import(directory::ExtractionKind::Correspondance)).value();
    for (auto address : {"cardio@chu-x.mssante.fr", "dr.who@outside.example.org"}) {
        directory::MailboxEntry e;
        e.address = address;
        e.type = directory::MailboxType::Org;
        REQUIRE(session->add(e).value());
    }
    REQUIRE(session->commit("test", 2, 0).ok());
    directory::WhitelistEntry chu{"chu-x.mssante.fr", "CN=smtp.chu-x.mssante.fr,O=CHU X,C=FR", "", "", "", ""};
    REQUIRE(d.replace_whitelist(std::span(&chu, 1), "test").ok());
}

Reply refusal(const RecipientDecision& d) {
    REQUIRE(std::holds_alternative<Reply>(d));
    return std::get<Reply>(d);
}

// The address a recipient accepted for the outbound queue is given.
std::string relayed(const RecipientDecision& d) {
    REQUIRE(std::holds_alternative<RemoteRecipient>(d));
    return std::get<RemoteRecipient>(d).address;
}

tls::PeerCertificate certificate(bool verified, std::string subject) {
    tls::PeerCertificate p;
    p.presented = true;
    p.verified = verified;
    p.reason = verified ? "" : "revoked";
    p.subject = std::move(subject);
    return p;
}

Path path(std::string local, std::string domain) {
    Path p;
    p.local = std::move(local);
    p.domain = std::move(domain);
    return p;
}

}  // namespace

TEST_CASE("submission to another operator: listed and whitelisted, unlisted, outside the space of trust") {
    Fixture f;
    list_remote_mailboxes(*f.directory);
    CHECK(relayed(f.recipient("Cardio", "CHU-X.mssante.fr", Port::Submission)) == "cardio@chu-x.mssante.fr");
    Reply unlisted = refusal(f.recipient("nobody", "chu-x.mssante.fr", Port::Submission));
    CHECK(unlisted.code == 550);
    CHECK(unlisted.enhanced == "5.1.1");
    CHECK(unlisted.text.find("not in the national health directory") != std::string::npos);
    Reply outside = refusal(f.recipient("dr.who", "outside.example.org", Port::Submissions));
    CHECK(outside.code == 550);
    CHECK(outside.enhanced == "5.7.1");
    CHECK(outside.text.find("outside the MSSante space of trust") != std::string::npos);
}

TEST_CASE("the relay port still refuses every remote recipient, listed or not") {
    Fixture f;
    list_remote_mailboxes(*f.directory);
    Reply r = refusal(f.recipient("cardio", "chu-x.mssante.fr", Port::Relay));
    CHECK(r.code == 554);
    CHECK(r.enhanced == "5.7.1");
}

TEST_CASE("patient addresses: the INS key decides") {
    Fixture f;
    // NIR 1 84 12 75 108 042: key 97 - 1841275108042 mod 97 = 31.
    CHECK(relayed(f.recipient("184127510804231", "patient.mssante.fr", Port::Submission)) ==
          "184127510804231@patient.mssante.fr");
    Reply bad = refusal(f.recipient("184127510804232", "patient.mssante.fr", Port::Submission));
    CHECK(bad.code == 550);
    CHECK(bad.enhanced == "5.1.1");
    f.config.directory.patient_domain = "patients.example.fr";
    CHECK(refusal(f.recipient("184127510804231", "patient.mssante.fr", Port::Submission)).enhanced == "5.7.1");
    CHECK(relayed(f.recipient("184127510804231", "patients.example.fr", Port::Submission)) ==
          "184127510804231@patients.example.fr");
}

TEST_CASE("relay port: a whitelisted sender domain needs its operator's verified certificate") {
    Fixture f;
    list_remote_mailboxes(*f.directory);
    auto from = path("dr", "CHU-X.mssante.fr");
    const std::string listed = "CN=smtp.chu-x.mssante.fr,O=CHU X,C=FR";
    CHECK(check_relay_sender(*f.directory, f.config, certificate(true, listed), from).code == 250);
    CHECK(check_relay_sender(*f.directory, f.config, certificate(true, "C=FR, O=chu x, CN=SMTP.chu-x.mssante.fr"), from)
              .code == 250);
    Reply none = check_relay_sender(*f.directory, f.config, tls::PeerCertificate{}, from);
    CHECK(none.code == 550);
    CHECK(none.enhanced == "5.7.1");
    CHECK(none.text.find("no client certificate") != std::string::npos);
    Reply revoked = check_relay_sender(*f.directory, f.config, certificate(false, listed), from);
    CHECK(revoked.enhanced == "5.7.1");
    CHECK(revoked.text.find("revoked") != std::string::npos);
    Reply other = check_relay_sender(*f.directory, f.config, certificate(true, "CN=mx.other.fr,O=OTHER,C=FR"), from);
    CHECK(other.enhanced == "5.7.1");
    CHECK(other.text.find("not the one the MSSante whitelist lists") != std::string::npos);
}

TEST_CASE("relay port: senders outside the whitelist are refused unless configured; bounces need an operator's certificate") {
    Fixture f;
    list_remote_mailboxes(*f.directory);
    auto outside = path("x", "elsewhere.example");
    CHECK(check_relay_sender(*f.directory, f.config, tls::PeerCertificate{}, outside).enhanced == "5.7.1");
    f.config.relay.unlisted_senders = UnlistedSenders::Accept;
    CHECK(check_relay_sender(*f.directory, f.config, tls::PeerCertificate{}, outside).code == 250);
    Path null;
    null.null = true;
    CHECK(check_relay_sender(*f.directory, f.config, tls::PeerCertificate{}, null).enhanced == "5.7.1");
    // A valid certificate is not enough for <>: its DN must be one the whitelist lists (any domain).
    Reply unlisted = check_relay_sender(*f.directory, f.config, certificate(true, "CN=any,C=FR"), null);
    CHECK(unlisted.code == 550);
    CHECK(unlisted.enhanced == "5.7.1");
    CHECK(unlisted.text.find("no operator's the MSSante whitelist lists") != std::string::npos);
    CHECK(check_relay_sender(*f.directory, f.config, certificate(true, "O=CHU X,CN=smtp.chu-x.mssante.fr,C=FR"), null)
              .code == 250);
}

TEST_CASE("more Received: fields than relay.max_received: a routing loop, 554 5.4.6") {
    Fixture f;
    f.config.relay.max_received = 5;
    std::string message;
    for (int i = 0; i < 5; ++i) message += "Received: from x by y; Mon, 1 Jan 2026 00:00:00 +0000\r\n";
    CHECK_FALSE(check_hops(f.config, message + "Subject: s\r\n\r\nbody\r\n"));
    auto loop = check_hops(f.config, "Received: from z\r\n" + message + "\r\nbody\r\n");
    REQUIRE(loop);
    CHECK(loop->code == 554);
    CHECK(loop->enhanced == "5.4.6");
}
