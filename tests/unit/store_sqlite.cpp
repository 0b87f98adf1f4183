// The SQLite store: accounts and their folders, members and rights, batched durable delivery,
// persistence across reopening, and the group committer under concurrent submitters.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "store/group_commit.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {
using unit_test::TempDir;

std::unique_ptr<Store> open(const TempDir& d) { return std::move(open_sqlite(d.path / "s.db")).value(); }
}  // namespace

TEST_CASE("accounts: kinds, folders with special-use, duplicates") {
    TempDir d;
    auto s = open(d);
    auto gp = s->create_account({"Jean.Dupont@Cab.fr", MailboxKind::Personal, "810001045367", "hash", {}});
    REQUIRE(gp.ok());
    CHECK(gp->address == "jean.dupont@cab.fr");
    CHECK(gp->ps_idnat == "810001045367");
    auto folders = s->folders("jean.dupont@cab.fr");
    REQUIRE(folders.ok());
    std::map<std::string, std::string> uses;
    std::set<uint32_t> validities;
    for (auto& f : *folders) {
        uses[f.name] = f.special_use;
        validities.insert(f.uidvalidity);
    }
    CHECK(uses == std::map<std::string, std::string>{{"INBOX", ""}, {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},
                                                     {"Trash", "\\Trash"}, {"Junk", "\\Junk"}, {"Archive", "\\Archive"}});
    CHECK(validities.size() == 6);
    CHECK(s->create_account({"jean.dupont@cab.fr", MailboxKind::Personal, {}, {}, {}}).error().kind == ErrorKind::Exists);
    CHECK(s->create_account({"lab@cab.fr", MailboxKind::Applicative, {}, "hash", "ab"}).error().kind ==
          ErrorKind::Invalid);
    REQUIRE(s->create_account({"lab@cab.fr", MailboxKind::Applicative, {}, {}, "ab"}).ok());
    CHECK(s->create_account({"lab2@cab.fr", MailboxKind::Applicative, {}, {}, "ab"}).error().kind == ErrorKind::Exists);
    CHECK(s->find_account_by_cert("AB")->address == "lab@cab.fr");
    CHECK(s->find_account("nobody@cab.fr").error().kind == ErrorKind::NotFound);
    REQUIRE(s->set_disabled("lab@cab.fr", true).ok());
    CHECK(s->find_account("lab@cab.fr")->disabled);
    CHECK(s->set_disabled("nobody@cab.fr", true).error().kind == ErrorKind::NotFound);
}

TEST_CASE("members of an organisational mailbox: rights normalised, refused, removed") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account({"cabinet@cab.fr", MailboxKind::Organisational, {}, {}, {}}).ok());
    REQUIRE(s->create_account({"dr@cab.fr", MailboxKind::Personal, {}, {}, {}}).ok());
    REQUIRE(s->create_account({"lab@cab.fr", MailboxKind::Applicative, {}, {}, "cd"}).ok());
    REQUIRE(s->set_member("cabinet@cab.fr", "dr@cab.fr", "0swrl").ok());
    CHECK(*s->rights_of("cabinet@cab.fr", "dr@cab.fr") == "lrsw0");
    CHECK(s->set_member("cabinet@cab.fr", "dr@cab.fr", "lrZ").error().kind == ErrorKind::Invalid);
    CHECK(s->set_member("dr@cab.fr", "cabinet@cab.fr", "lr").error().kind == ErrorKind::Invalid);
    CHECK(s->set_member("cabinet@cab.fr", "lab@cab.fr", "lr").error().kind == ErrorKind::Invalid);
    CHECK(s->set_member("cabinet@cab.fr", "ghost@cab.fr", "lr").error().kind == ErrorKind::NotFound);
    REQUIRE(s->members("cabinet@cab.fr")->size() == 1);
    REQUIRE(s->create_account({"chu@cab.fr", MailboxKind::Organisational, {}, {}, {}}).ok());
    auto itself = s->set_member("cabinet@cab.fr", "CABINET@cab.fr", "lr");
    CHECK(itself.error().kind == ErrorKind::Invalid);
    CHECK(itself.error().message == "cabinet@cab.fr cannot be a member of itself");
    auto other = s->set_member("cabinet@cab.fr", "chu@cab.fr", "i");
    CHECK(other.error().kind == ErrorKind::Invalid);
    CHECK(other.error().message.find("only personal mailboxes") != std::string::npos);
    CHECK(s->set_member("chu@cab.fr", "cabinet@cab.fr", "0").error().kind == ErrorKind::Invalid);
    CHECK(s->set_member("cabinet@cab.fr", "chu@cab.fr", "").ok());  // removal stays possible
    REQUIRE(s->members("cabinet@cab.fr")->size() == 1);
    REQUIRE(s->set_member("cabinet@cab.fr", "dr@cab.fr", "").ok());
    CHECK(s->members("cabinet@cab.fr")->empty());
    CHECK(*s->rights_of("cabinet@cab.fr", "dr@cab.fr") == "");
}

TEST_CASE("a batch: content stored once with Return-Path, UIDs and MODSEQ per mailbox, failures isolated") {
    TempDir d;
    auto s = open(d);
    auto a = s->create_account({"a@cab.fr", MailboxKind::Personal, {}, {}, {}}).value();
    auto b = s->create_account({"b@cab.fr", MailboxKind::Personal, {}, {}, {}}).value();
    std::vector<Delivery> batch = {{"lab@x.fr", {a.id, b.id}, "Subject: one\r\n\r\n1\r\n", 100, {}, {}, {}, {}, {}, {}, {}, {}},
                                   {"", {a.id, 9999}, "Subject: bad\r\n\r\n\r\n", 100, {}, {}, {}, {}, {}, {}, {}, {}},
                                   {"lab@x.fr", {a.id}, "Subject: two\r\n\r\n2\r\n", 100, {}, {}, {}, {}, {}, {}, {}, {}}};
    auto out = s->deliver_batch(batch);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].ok());
    CHECK(out[0]->uids == std::vector<uint32_t>{1, 1});
    CHECK_FALSE(out[1].ok());
    REQUIRE(out[2].ok());
    CHECK(out[2]->uids == std::vector<uint32_t>{2});
    auto list = s->list_messages("a@cab.fr", "inbox");
    REQUIRE(list.ok());
    REQUIRE(list->size() == 2);
    CHECK((*list)[0].modseq < (*list)[1].modseq);
    CHECK(*s->fetch_message("b@cab.fr", "INBOX", 1) == "Return-Path: <lab@x.fr>\r\nSubject: one\r\n\r\n1\r\n");
    CHECK(s->fetch_message("a@cab.fr", "INBOX", 3).error().kind == ErrorKind::NotFound);
    CHECK(s->list_messages("a@cab.fr", "Nope").error().kind == ErrorKind::NotFound);
}

TEST_CASE("what was committed is there after reopening") {
    TempDir d;
    {
        auto s = open(d);
        auto a = s->create_account({"a@cab.fr", MailboxKind::Personal, {}, {}, {}}).value();
        std::vector<Delivery> one = {{"", {a.id}, "Subject: kept\r\n\r\n", 1, {}, {}, {}, {}, {}, {}, {}, {}}};
        REQUIRE(s->deliver_batch(one)[0].ok());
    }
    auto again = open_sqlite(d.path / "s.db", {.create = false});
    REQUIRE(again.ok());
    CHECK((*again)->list_messages("a@cab.fr", "INBOX")->size() == 1);
    CHECK(open_sqlite(d.path / "missing.db", {.create = false}).error().kind == ErrorKind::NotFound);
}

TEST_CASE("group commit: concurrent submitters, every callback once, UIDs contiguous") {
    TempDir d;
    auto s = open(d);
    auto a = s->create_account({"a@cab.fr", MailboxKind::Personal, {}, {}, {}}).value();
    auto b = s->create_account({"b@cab.fr", MailboxKind::Personal, {}, {}, {}}).value();
    std::atomic<int> done{0}, failed{0};
    std::mutex m;
    std::vector<uint32_t> uids_a;
    {
        GroupCommitter gc(*s, 64);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 250; ++i)
                    gc.submit({"x@y.fr", {a.id, b.id}, "Subject: " + std::to_string(t * 1000 + i) + "\r\n\r\n", 1, {}, {}, {}, {}, {}, {}, {}, {}},
                              [&](Result<DeliveryOutcome> r) {
                                  if (!r) ++failed;
                                  else {
                                      std::lock_guard lock(m);
                                      uids_a.push_back(r->uids[0]);
                                  }
                                  ++done;
                              });
            });
        for (auto& t : threads) t.join();
    }
    CHECK(done == 2000);
    CHECK(failed == 0);
    std::sort(uids_a.begin(), uids_a.end());
    CHECK(uids_a.front() == 1);
    CHECK(uids_a.back() == 2000);
    CHECK(std::adjacent_find(uids_a.begin(), uids_a.end()) == uids_a.end());
    CHECK(s->list_messages("b@cab.fr", "INBOX")->size() == 2000);
}

TEST_CASE("flags change with a new MODSEQ each; expunge removes only \\Deleted messages") {
    TempDir d;
    auto s = open(d);
    auto a = s->create_account({"a@cab.fr", MailboxKind::Personal, {}, {}, {}}).value();
    std::vector<Delivery> three = {{"", {a.id}, "Subject: 1\r\n\r\n", 1, {}, {}, {}, {}, {}, {}, {}, {}}, {"", {a.id}, "Subject: 2\r\n\r\n", 1, {}, {}, {}, {}, {}, {}, {}, {}},
                                   {"", {a.id}, "Subject: 3\r\n\r\n", 1, {}, {}, {}, {}, {}, {}, {}, {}}};
    for (auto& r : s->deliver_batch(three)) REQUIRE(r.ok());
    std::vector<uint32_t> uids = {1, 2, 9};
    std::vector<std::string> seen = {"\\Seen"};
    auto changed = s->update_flags("a@cab.fr", "INBOX", uids, FlagMode::Add, seen);
    REQUIRE(changed.ok());
    REQUIRE(changed->size() == 2);
    CHECK((*changed)[0].flags == seen);
    CHECK((*changed)[0].modseq < (*changed)[1].modseq);
    CHECK(s->update_flags("a@cab.fr", "INBOX", uids, FlagMode::Add, seen)->empty());  // nothing new
    std::vector<std::string> deleted = {"\\Deleted"};
    std::vector<uint32_t> two_three = {2, 3};
    REQUIRE(s->update_flags("a@cab.fr", "INBOX", two_three, FlagMode::Add, deleted).ok());
    auto list = s->list_messages("a@cab.fr", "INBOX");
    CHECK((*list)[1].flags == std::vector<std::string>{"\\Deleted", "\\Seen"});
    std::vector<uint32_t> only_three = {3};
    CHECK(*s->expunge("a@cab.fr", "INBOX", std::span<const uint32_t>(only_three)) == std::vector<uint32_t>{3});
    CHECK(*s->expunge("a@cab.fr", "INBOX", std::nullopt) == std::vector<uint32_t>{2});
    CHECK(s->list_messages("a@cab.fr", "INBOX")->size() == 1);
    REQUIRE(s->update_flags("a@cab.fr", "INBOX", uids, FlagMode::Replace, {}).ok());
    CHECK(s->list_messages("a@cab.fr", "INBOX")->front().flags.empty());
}

TEST_CASE("append files a client's message; copy and move keep flags and report UIDPLUS mappings") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account({"a@cab.fr", MailboxKind::Personal, {}, {}, {}}).ok());
    std::vector<std::string> seen = {"\\Seen", "\\Seen"};
    auto uid = s->append("a@cab.fr", "Sent", "Subject: sent\r\n\r\nx\r\n", seen, 42);
    REQUIRE(uid.ok());
    CHECK(*uid == 1);
    auto sent = s->list_messages("a@cab.fr", "Sent");
    CHECK(sent->front().flags == std::vector<std::string>{"\\Seen"});
    CHECK(sent->front().internal_date == 42);
    CHECK(*s->fetch_message("a@cab.fr", "Sent", 1) == "Subject: sent\r\n\r\nx\r\n");
    CHECK(s->append("a@cab.fr", "Nope", "x", {}, 1).error().kind == ErrorKind::NotFound);
    std::vector<uint32_t> uids = {1, 7};
    auto copied = s->copy("a@cab.fr", "Sent", uids, "a@cab.fr", "Archive", false);
    REQUIRE(copied.ok());
    CHECK(copied->source_uids == std::vector<uint32_t>{1});
    CHECK(copied->destination_uids == std::vector<uint32_t>{1});
    CHECK(s->list_messages("a@cab.fr", "Sent")->size() == 1);
    auto moved = s->copy("a@cab.fr", "Sent", uids, "a@cab.fr", "Archive", true);
    REQUIRE(moved.ok());
    CHECK(moved->destination_uids == std::vector<uint32_t>{2});
    CHECK(s->list_messages("a@cab.fr", "Sent")->empty());
    auto archive = s->list_messages("a@cab.fr", "Archive");
    REQUIRE(archive->size() == 2);
    CHECK(archive->back().flags == std::vector<std::string>{"\\Seen"});
    CHECK(*s->fetch_message("a@cab.fr", "Archive", 2) == "Subject: sent\r\n\r\nx\r\n");
}

namespace {
std::vector<std::string> folder_names(Store& s, std::string_view address) {
    std::vector<std::string> out;
    auto folders = s.folders(address);
    for (auto& f : folders.value()) out.push_back(f.name);
    return out;
}
NewAccount personal(std::string address) { return {std::move(address), MailboxKind::Personal, {}, {}, {}}; }
}  // namespace

TEST_CASE("folders: create with parents, rename with children, delete, subscriptions") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account(personal("a@cab.fr")).ok());
    auto made = s->create_folder("a@cab.fr", "Patients/Dupont", "");
    REQUIRE(made.ok());
    CHECK(made->name == "Patients/Dupont");
    CHECK(s->create_folder("a@cab.fr", "Patients", "").error().kind == ErrorKind::Exists);
    CHECK(s->create_folder("a@cab.fr", "bad//name", "").error().kind == ErrorKind::Invalid);
    CHECK(s->create_folder("a@cab.fr", "/lead", "").error().kind == ErrorKind::Invalid);
    auto subs = s->subscriptions("a@cab.fr").value();
    CHECK(std::find(subs.begin(), subs.end(), "Sent") != subs.end());  // the default folders start subscribed
    CHECK(std::find(subs.begin(), subs.end(), "Patients/Dupont") == subs.end());  // CREATE does not subscribe
    CHECK(s->delete_folder("a@cab.fr", "Patients").error().kind == ErrorKind::Invalid);  // has a child
    CHECK(s->delete_folder("a@cab.fr", "inbox").error().kind == ErrorKind::Invalid);
    uint32_t validity = made->uidvalidity;
    REQUIRE(s->append("a@cab.fr", "Patients/Dupont", "Subject: x\r\n\r\n", {}, 1).ok());
    REQUIRE(s->rename_folder("a@cab.fr", "Patients", "Dossiers/Patients").ok());
    auto names = folder_names(*s, "a@cab.fr");
    CHECK(std::find(names.begin(), names.end(), "Dossiers/Patients/Dupont") != names.end());
    CHECK(std::find(names.begin(), names.end(), "Patients/Dupont") == names.end());
    auto renamed = s->folders("a@cab.fr");
    for (auto& f : renamed.value())
        if (f.name == "Dossiers/Patients/Dupont") CHECK(f.uidvalidity == validity);
    CHECK(s->list_messages("a@cab.fr", "Dossiers/Patients/Dupont")->size() == 1);
    CHECK(s->rename_folder("a@cab.fr", "Dossiers", "Dossiers/x").error().kind == ErrorKind::Invalid);
    CHECK(s->rename_folder("a@cab.fr", "Sent", "Drafts").error().kind == ErrorKind::Exists);
    REQUIRE(s->delete_folder("a@cab.fr", "Dossiers/Patients/Dupont").ok());
    CHECK(s->fetch_message("a@cab.fr", "Dossiers/Patients/Dupont", 1).error().kind == ErrorKind::NotFound);
    REQUIRE(s->set_subscribed("a@cab.fr", "Nowhere", true).ok());
    REQUIRE(s->set_subscribed("a@cab.fr", "Sent", false).ok());
    subs = s->subscriptions("a@cab.fr").value();
    CHECK(std::find(subs.begin(), subs.end(), "Nowhere") != subs.end());
    CHECK(std::find(subs.begin(), subs.end(), "Sent") == subs.end());
}

TEST_CASE("renaming INBOX moves its messages to the new folder and leaves INBOX empty") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account(personal("a@cab.fr")).ok());
    REQUIRE(s->append("a@cab.fr", "INBOX", "Subject: 1\r\n\r\n", {}, 1).ok());
    REQUIRE(s->append("a@cab.fr", "INBOX", "Subject: 2\r\n\r\n", {}, 1).ok());
    REQUIRE(s->rename_folder("a@cab.fr", "INBOX", "Old").ok());
    CHECK(s->list_messages("a@cab.fr", "INBOX")->empty());
    CHECK(s->list_messages("a@cab.fr", "Old")->size() == 2);
    CHECK(s->vanished_since("a@cab.fr", "INBOX", 0).value() == std::vector<uint32_t>{1, 2});
}

TEST_CASE("expunge and move record vanished UIDs with their MODSEQ; changes are announced") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account(personal("a@cab.fr")).ok());
    int64_t inbox = s->folders("a@cab.fr")->front().id;
    std::atomic<int> told{0};
    auto watch = s->changes().watch(inbox, [&] { ++told; });
    for (int i = 0; i < 4; ++i) REQUIRE(s->append("a@cab.fr", "INBOX", "Subject: x\r\n\r\n", {}, 1).ok());
    CHECK(told == 4);
    uint64_t before = s->folders("a@cab.fr")->front().highest_modseq;
    std::vector<uint32_t> two = {2}, three = {3};
    std::vector<std::string> deleted = {"\\Deleted"};
    REQUIRE(s->update_flags("a@cab.fr", "INBOX", two, FlagMode::Add, deleted).ok());
    REQUIRE(s->expunge("a@cab.fr", "INBOX", std::nullopt).ok());
    REQUIRE(s->copy("a@cab.fr", "INBOX", three, "a@cab.fr", "Archive", true).ok());
    CHECK(s->vanished_since("a@cab.fr", "INBOX", before).value() == std::vector<uint32_t>{2, 3});
    uint64_t now = s->folders("a@cab.fr")->front().highest_modseq;
    CHECK(s->vanished_since("a@cab.fr", "INBOX", now).value().empty());
    CHECK(told == 7);
    watch.reset();
    REQUIRE(s->append("a@cab.fr", "INBOX", "Subject: y\r\n\r\n", {}, 1).ok());
    CHECK(told == 7);
}

TEST_CASE("quota: usage over every folder, APPEND and COPY refused past the limit") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account(personal("a@cab.fr")).ok());
    CHECK(s->quota("a@cab.fr").value() == Quota{});
    std::string kib(1000, 'x');
    REQUIRE(s->append("a@cab.fr", "INBOX", kib, {}, 1).ok());
    REQUIRE(s->append("a@cab.fr", "Sent", kib, {}, 1).ok());
    CHECK(s->usage("a@cab.fr")->storage_octets == 2000);
    CHECK(s->usage("a@cab.fr")->messages == 2);
    REQUIRE(s->set_quota("a@cab.fr", Quota{2, 10}).ok());
    CHECK(s->quota("a@cab.fr").value() == Quota{2, 10});
    CHECK(s->append("a@cab.fr", "INBOX", kib, {}, 1).error().kind == ErrorKind::OverQuota);
    std::vector<uint32_t> one = {1};
    CHECK(s->copy("a@cab.fr", "INBOX", one, "a@cab.fr", "Archive", false).error().kind == ErrorKind::OverQuota);
    CHECK(s->copy("a@cab.fr", "INBOX", one, "a@cab.fr", "Archive", true).ok());  // a move adds nothing
    REQUIRE(s->set_quota("a@cab.fr", Quota{std::nullopt, 2}).ok());
    CHECK(s->append("a@cab.fr", "INBOX", "x", {}, 1).error().kind == ErrorKind::OverQuota);
    CHECK(s->set_quota("nobody@cab.fr", Quota{}).error().kind == ErrorKind::NotFound);
}

TEST_CASE("memberships list the organisational mailboxes a member belongs to") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account({"cabinet@cab.fr", MailboxKind::Organisational, {}, {}, {}}).ok());
    REQUIRE(s->create_account(personal("dr@cab.fr")).ok());
    REQUIRE(s->set_member("cabinet@cab.fr", "dr@cab.fr", "rl").ok());
    auto m = s->memberships("DR@cab.fr").value();
    REQUIRE(m.size() == 1);
    CHECK(m[0].org_address == "cabinet@cab.fr");
    CHECK(m[0].rights == "lr");
    CHECK(s->memberships("cabinet@cab.fr")->empty());
}

std::vector<std::pair<uint32_t, std::string>> texts(Store& s, std::span<const uint32_t> uids, TextExtent extent) {
    std::vector<std::pair<uint32_t, std::string>> seen;
    auto walked = s.read_texts("a@cab.fr", "INBOX", uids, extent, [&seen](uint32_t uid, std::string_view text) {
        seen.emplace_back(uid, std::string(text));
        return true;
    });
    REQUIRE(walked.ok());
    return seen;
}

TEST_CASE("read_texts: header blocks or whole messages of many UIDs in one walk, absent UIDs skipped") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account(personal("a@cab.fr")).ok());
    std::string big = "Subject: big\r\nFrom: <x@y.fr>\r\n\r\n" + std::string(300000, 'b');
    std::string long_header = "Subject: " + std::string(5000, 's') + "\r\n\r\nbody";
    std::string huge_header = "X-Huge: " + std::string(70000, 'h') + "\r\n\r\nbody";  // over what is kept aside
    std::vector<std::string> messages = {"Subject: one\r\n\r\nbody one\r\n", big, "Subject: lf\n\nbody\n",
                                         "no blank line at all", "\r\nbody only", long_header, huge_header};
    for (const std::string& m : messages) REQUIRE(s->append("a@cab.fr", "INBOX", m, {}, 1).ok());
    std::vector<std::pair<uint32_t, std::string>> headers = {
        {1, "Subject: one\r\n\r\n"}, {2, "Subject: big\r\nFrom: <x@y.fr>\r\n\r\n"}, {3, "Subject: lf\n\n"},
        {4, "no blank line at all"}, {5, "\r\n"}, {6, long_header.substr(0, long_header.size() - 4)},
        {7, huge_header.substr(0, huge_header.size() - 4)}};
    std::vector<uint32_t> uids = {1, 2, 3, 4, 5, 6, 7, 9};
    CHECK(texts(*s, uids, TextExtent::Header) == headers);
    auto whole = texts(*s, uids, TextExtent::Whole);
    REQUIRE(whole.size() == messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) CHECK(whole[i].second == messages[i]);
    std::vector<std::pair<uint32_t, std::string>> first;
    REQUIRE(s->read_texts("a@cab.fr", "INBOX", uids, TextExtent::Header, [&](uint32_t uid, std::string_view text) {
                 first.emplace_back(uid, std::string(text));
                 return uid < 2;
             }).ok());
    CHECK(first.size() == 2);
    CHECK(s->read_texts("a@cab.fr", "Nope", uids, TextExtent::Header, [](uint32_t, std::string_view) { return true; })
              .error().kind == ErrorKind::NotFound);
    // Messages stored before header blocks were kept aside give the same answer from their content.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((d.path / "s.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DELETE FROM message_headers", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(texts(*s, uids, TextExtent::Header) == headers);
}

TEST_CASE("changes_since: new and re-flagged messages, vanished UIDs and HIGHESTMODSEQ from one snapshot") {
    TempDir d;
    auto s = open(d);
    REQUIRE(s->create_account(personal("a@cab.fr")).ok());
    for (int i = 0; i < 3; ++i) REQUIRE(s->append("a@cab.fr", "INBOX", "Subject: x\r\n\r\n", {}, 7).ok());
    uint64_t start = s->folders("a@cab.fr")->front().highest_modseq;
    auto none = s->changes_since("a@cab.fr", "INBOX", start).value();
    CHECK(none.highest_modseq == start);
    CHECK(none.changed.empty());
    CHECK(none.vanished.empty());
    std::vector<uint32_t> one = {1}, two = {2};
    std::vector<std::string> seen = {"\\Seen"}, deleted = {"\\Deleted"};
    REQUIRE(s->update_flags("a@cab.fr", "INBOX", one, FlagMode::Add, seen).ok());
    REQUIRE(s->update_flags("a@cab.fr", "INBOX", two, FlagMode::Add, deleted).ok());
    REQUIRE(s->expunge("a@cab.fr", "INBOX", std::nullopt).ok());
    REQUIRE(s->append("a@cab.fr", "INBOX", "Subject: new\r\n\r\n", {}, 9).ok());
    auto changes = s->changes_since("a@cab.fr", "INBOX", start).value();
    CHECK(changes.highest_modseq == s->folders("a@cab.fr")->front().highest_modseq);
    REQUIRE(changes.changed.size() == 2);
    CHECK(changes.changed[0].uid == 1);
    CHECK(changes.changed[0].flags == seen);
    CHECK(changes.changed[1].uid == 4);
    CHECK(changes.changed[1].internal_date == 9);
    CHECK(changes.changed[1].size == 16);
    CHECK(changes.vanished == std::vector<uint32_t>{2});
    auto all = s->changes_since("a@cab.fr", "INBOX", 0).value();
    CHECK(all.changed.size() == 3);
    CHECK(s->changes_since("a@cab.fr", "Nope", 0).error().kind == ErrorKind::NotFound);
}
