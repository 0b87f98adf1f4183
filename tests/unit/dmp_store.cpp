// The SQLite DMP: patients and their choices, deposits (consent, opposition, traits, duplicates,
// versions by the author alone, a submission all or nothing), masking and deletion, traces; and
// that the file reopens with what was written; reading traces batched from concurrent readers.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "dmp/dmp.h"
#include "temp_dir.h"

using namespace mss::dmp;

namespace {

const Actor kFeed{Actor::Kind::Feed, "CN=labo,OU=010000001"};
const Actor kOperator{Actor::Kind::Operator, "mssctl"};
constexpr const char* kIns = "280017512345622";
constexpr const char* kAuthor = "810000000015";

Patient claire() {
    Patient p;
    p.ins = kIns;
    p.ins_oid = kInsNirTestOid;
    p.family = "DUVAL";
    p.given = "Claire";
    p.birth_date = "19800115";
    p.gender = "F";
    p.consent = true;
    p.medecin_traitant = "810000000023";
    return p;
}

Deposit report(const std::string& unique_id, const std::string& author = kAuthor) {
    Deposit d;
    d.document.unique_id = unique_id;
    d.document.patient_ins = kIns;
    d.document.author = author;
    d.document.type = {"2.16.840.1.113883.6.1", "11502-2", "CR d'examens biologiques"};
    d.document.class_code = {"1.2.250.1.213.1.1.4.1", "10", "Compte rendu"};
    d.document.service_start = "2026-12-01";
    d.document.content_type = "text/xml";
    d.content = "<ClinicalDocument/>";
    return d;
}

std::unique_ptr<Dmp> open(const unit_test::TempDir& dir) {
    auto dmp = open_sqlite_dmp(dir.path / "dmp.db");
    REQUIRE(dmp.ok());
    auto d = std::move(dmp).value();
    REQUIRE(d->add_patient(claire(), kOperator).ok());
    return d;
}

DepositOutcome file(Dmp& dmp, std::vector<Deposit> deposits) {
    auto r = dmp.deposit(deposits, kFeed);
    REQUIRE(r.ok());
    return *r;
}

std::string filed(Dmp& dmp, Deposit d) {
    auto r = file(dmp, {std::move(d)});
    REQUIRE(std::holds_alternative<std::vector<DepositReceipt>>(r));
    return std::get<std::vector<DepositReceipt>>(r).at(0).id;
}

AckCode refused(Dmp& dmp, Deposit d) {
    auto r = file(dmp, {std::move(d)});
    REQUIRE(std::holds_alternative<Refusal>(r));
    return std::get<Refusal>(r).ack;
}

std::vector<Document> current(Dmp& dmp) {
    DocumentQuery q;
    q.ins = kIns;
    q.statuses = {"current"};
    return dmp.find(q).value();
}

}  // namespace

TEST_CASE("a deposit is filed with its size and SHA-1, and read back") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto id = filed(*dmp, report("1.2.3.1"));
    auto doc = dmp->document(id).value();
    REQUIRE(doc);
    CHECK(doc->status == "current");
    CHECK(doc->size == 19);
    CHECK(doc->sha1_hex.size() == 40);
    CHECK(doc->deposited_by == kFeed.id);
    CHECK(dmp->content(id).value() == std::optional<std::string>("<ClinicalDocument/>"));
    CHECK(current(*dmp).size() == 1);
}

TEST_CASE("the same uniqueId is filed once") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto id = filed(*dmp, report("1.2.3.1"));
    auto again = std::get<std::vector<DepositReceipt>>(file(*dmp, {report("1.2.3.1")}));
    CHECK(again.at(0).duplicate);
    CHECK(again.at(0).id == id);
    CHECK(current(*dmp).size() == 1);
}

TEST_CASE("no DMP, no consent or opposition: 902; traits that differ: 904") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto unknown = report("1.2.3.1");
    unknown.document.patient_ins = "180017599999917";
    CHECK(refused(*dmp, unknown) == AckCode::NoDmp);
    auto older = report("1.2.3.2");
    older.birth_date = "19810115";
    CHECK(refused(*dmp, older) == AckCode::TraitsDiffer);
    auto same = report("1.2.3.3");
    same.family = "duval";  // case does not matter
    filed(*dmp, same);
    REQUIRE(dmp->set_opposition(kIns, true, kOperator).ok());
    CHECK(refused(*dmp, report("1.2.3.4")) == AckCode::NoDmp);
}

TEST_CASE("replacement: by the author supersedes; by another 901; of a superseded version 900") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto first = filed(*dmp, report("1.2.3.1"));
    auto stranger = report("1.2.3.2", "810000000031");
    stranger.replaces_ref = first;
    CHECK(refused(*dmp, stranger) == AckCode::NotTheAuthor);
    auto second = report("1.2.3.3");
    second.replaces_ref = "1.2.3.1";  // by uniqueId
    auto second_id = filed(*dmp, second);
    CHECK(dmp->document(first).value()->status == "superseded");
    CHECK(dmp->document(second_id).value()->replaces == first);
    auto late = report("1.2.3.4");
    late.replaces_ref = first;
    CHECK(refused(*dmp, late) == AckCode::WrongVersion);
    auto nowhere = report("1.2.3.5");
    nowhere.replaces_ref = "no-such-document";
    CHECK(refused(*dmp, nowhere) == AckCode::WrongVersion);
}

TEST_CASE("the same setId replaces the current version when the version follows") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto v1 = report("1.2.3.1");
    v1.document.set_id = "1.2.3";
    auto first = filed(*dmp, v1);
    auto stale = report("1.2.3.2");
    stale.document.set_id = "1.2.3";
    CHECK(refused(*dmp, stale) == AckCode::WrongVersion);
    auto v2 = report("1.2.3.3");
    v2.document.set_id = "1.2.3";
    v2.document.version = 2;
    auto second = filed(*dmp, v2);
    auto now = current(*dmp);
    REQUIRE(now.size() == 1);
    CHECK(now[0].id == second);
    CHECK(dmp->document(first).value()->status == "superseded");
}

TEST_CASE("a submission is filed all or nothing") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto bad = report("1.2.3.2");
    bad.family = "MARTIN";
    auto r = file(*dmp, {report("1.2.3.1"), bad});
    REQUIRE(std::holds_alternative<Refusal>(r));
    CHECK(current(*dmp).empty());
    auto traces = dmp->traces(kIns).value();
    CHECK(traces.back().action == "deposit-refused");
}

TEST_CASE("masking and deletion: the author or the operator only") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto id = filed(*dmp, report("1.2.3.1"));
    Actor other{Actor::Kind::Professional, "810000000031"};
    Actor author{Actor::Kind::Professional, kAuthor};
    auto refused_mask = dmp->set_visibility(id, {kMasquePs}, other).value();
    CHECK(std::get<Refusal>(refused_mask).ack == AckCode::NotTheAuthor);
    auto masked = dmp->set_visibility(id, {kMasquePs}, author).value();
    CHECK(std::get<Document>(masked).has_visibility(kMasquePs));
    CHECK(dmp->document(id).value()->has_visibility(kMasquePs));
    CHECK(dmp->set_visibility(id, {}, kOperator).ok());
    CHECK(dmp->document(id).value()->visibility.empty());
    CHECK(std::holds_alternative<Refusal>(dmp->supersede(id, other).value()));
    CHECK(std::holds_alternative<Document>(dmp->supersede(id, author).value()));
    CHECK(current(*dmp).empty());
    std::vector<std::string> actions;
    auto traces = dmp->traces(kIns).value();
    for (const auto& t : traces) actions.push_back(t.action);
    CHECK(actions == std::vector<std::string>{"create", "deposit", "mask", "unmask", "delete"});
}

TEST_CASE("blocking: never the médecin traitant; the file keeps everything across a reopen") {
    unit_test::TempDir dir;
    {
        auto dmp = open(dir);
        CHECK(dmp->set_blocked(kIns, "810000000023", true, kOperator).error().kind == mss::ErrorKind::Invalid);
        REQUIRE(dmp->set_blocked(kIns, "810000000031", true, kOperator).ok());
        REQUIRE(dmp->declare_care(kIns, "810000000049", kOperator).ok());
        filed(*dmp, report("1.2.3.1"));
        CHECK(dmp->add_patient(claire(), kOperator).error().kind == mss::ErrorKind::Exists);
    }
    auto dmp = std::move(open_sqlite_dmp(dir.path / "dmp.db")).value();
    CHECK(dmp->blocked(kIns).value() == std::vector<std::string>{"810000000031"});
    CHECK(dmp->has_care(kIns, "810000000049").value());
    CHECK_FALSE(dmp->has_care(kIns, "810000000031").value());
    CHECK(current(*dmp).size() == 1);
    CHECK(dmp->patient(kIns).value()->medecin_traitant == "810000000023");
}

TEST_CASE("search criteria: class, type with its system, author, period, status") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    auto synthese = report("1.2.3.2", "810000000031");
    synthese.document.class_code.code = "11";
    synthese.document.type.code = "34133-9";
    synthese.document.service_start = "2025-06-01";
    filed(*dmp, report("1.2.3.1"));
    filed(*dmp, synthese);
    DocumentQuery q;
    q.ins = kIns;
    q.statuses = {"current"};
    CHECK(dmp->find(q).value().size() == 2);
    q.classes = {"11"};
    CHECK(dmp->find(q).value().size() == 1);
    q.classes = {};
    q.types = {"http://loinc.org|11502-2"};  // a URI system that is not the stored OID: no match
    CHECK(dmp->find(q).value().empty());
    q.types = {"urn:oid:2.16.840.1.113883.6.1|11502-2"};
    CHECK(dmp->find(q).value().size() == 1);
    q.types = {};
    q.authors = {"810000000031"};
    CHECK(dmp->find(q).value().size() == 1);
    q.authors = {};
    q.date_from = "2026-01-01";
    CHECK(dmp->find(q).value().size() == 1);
    q.statuses = {"superseded"};
    CHECK(dmp->find(q).value().empty());
}

TEST_CASE("reading traces from many threads at once: each one written once, all there after a reopen") {
    unit_test::TempDir dir;
    constexpr int kThreads = 8, kEach = 25;
    {
        auto dmp = open(dir);
        std::vector<std::thread> readers;
        std::atomic<int> failed{0};
        for (int t = 0; t < kThreads; ++t)
            readers.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i) {
                    auto s = dmp->trace({.ins = kIns, .action = "search", .actor_kind = "professional",
                                         .actor = "810000000023", .detail = std::to_string(t * kEach + i)});
                    if (!s) ++failed;
                }
            });
        for (auto& r : readers) r.join();
        CHECK(failed == 0);
    }
    auto dmp = open_sqlite_dmp(dir.path / "dmp.db");
    REQUIRE(dmp.ok());
    auto traces = dmp.value()->traces(kIns);
    REQUIRE(traces.ok());
    std::set<std::string> details;
    int searches = 0;
    for (const auto& t : *traces)
        if (t.action == "search") ++searches, details.insert(t.detail);
    CHECK(searches == kThreads * kEach);
    CHECK(details.size() == static_cast<std::size_t>(kThreads * kEach));
}

TEST_CASE("several submissions in one transaction: each filed or refused on its own") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    std::vector<Deposit> first{report("1.2.3.1")}, bad{report("1.2.3.2"), report("1.2.3.3")}, third{report("1.2.3.4")};
    bad[1].family = "AUTRE";  // 904: the second document of the second submission
    auto all = dmp->deposit_all({{&first, kFeed}, {&bad, kFeed}, {&third, kFeed}});
    REQUIRE(all.ok());
    REQUIRE(all->size() == 3);
    CHECK(std::holds_alternative<std::vector<DepositReceipt>>((*all)[0]));
    REQUIRE(std::holds_alternative<Refusal>((*all)[1]));
    CHECK(std::get<Refusal>((*all)[1]).ack == AckCode::TraitsDiffer);
    CHECK(std::holds_alternative<std::vector<DepositReceipt>>((*all)[2]));
    std::set<std::string> ids;
    for (const auto& d : current(*dmp)) ids.insert(d.unique_id);
    CHECK(ids == std::set<std::string>{"1.2.3.1", "1.2.3.4"});  // nothing of the refused submission
}

TEST_CASE("a submission retried by the same sender finds its own earlier filing") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    std::vector<Deposit> job{report("1.2.4.1")};
    job[0].submission = "Q1";
    REQUIRE(dmp->deposit(job, kFeed).ok());
    auto again = dmp->deposit(job, kFeed);
    REQUIRE(again.ok());
    auto receipt = std::get<std::vector<DepositReceipt>>(*again).at(0);
    CHECK(receipt.duplicate);
    CHECK(receipt.same_submission);
    std::vector<Deposit> other{report("1.2.4.1")};
    other[0].submission = "Q2";
    auto elsewhere = std::get<std::vector<DepositReceipt>>(*dmp->deposit(other, kFeed)).at(0);
    CHECK(elsewhere.duplicate);
    CHECK_FALSE(elsewhere.same_submission);
}
