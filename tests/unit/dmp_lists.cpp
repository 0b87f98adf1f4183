// ITI-66's store side and reading: an ITI-65 List's metadata read from the Bundle, the SubmissionSet
// kept in the deposit's transaction with its documents (none for a refused submission, one for a
// retried one), and find_lists' filters.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "dmp/dmp.h"
#include "dmp/pdsm_request.h"
#include "temp_dir.h"

using namespace mss::dmp;

namespace {

const Actor kFeed{Actor::Kind::Feed, "CN=labo,OU=010000001"};
const Actor kOperator{Actor::Kind::Operator, "mssctl"};
constexpr const char* kIns = "280017512345622";

Deposit report(const std::string& unique_id, const std::string& family = "DUVAL") {
    Deposit d;
    d.document.unique_id = unique_id;
    d.document.patient_ins = kIns;
    d.document.author = "810000000015";
    d.document.type = {"2.16.840.1.113883.6.1", "11502-2", ""};
    d.document.class_code = {"1.2.250.1.213.1.1.4.1", "10", ""};
    d.content = "<ClinicalDocument/>";
    d.family = family;
    return d;
}

SubmissionSet set_of(const std::string& uid, const std::string& source, const std::string& date) {
    SubmissionSet s;
    s.unique_id = uid;
    s.source_id = source;
    s.date = date;
    s.designation = {"1.2.250.1.213.1.1.4.12", "04", ""};
    return s;
}

std::unique_ptr<Dmp> open(const unit_test::TempDir& dir) {
    auto dmp = open_sqlite_dmp(dir.path / "dmp.db");
    REQUIRE(dmp.ok());
    auto d = std::move(dmp).value();
    Patient p{.ins = kIns, .ins_oid = kInsNirTestOid, .family = "DUVAL", .given = "Claire", .birth_date = "19800115",
              .gender = "F", .consent = true};
    REQUIRE(d->add_patient(p, kOperator).ok());
    return d;
}

std::vector<std::string> uids(Dmp& dmp, ListQuery q) {
    q.ins = kIns;
    auto found = dmp.find_lists(q);
    REQUIRE(found.ok());
    std::vector<std::string> out;
    for (const auto& s : *found) out.push_back(s.unique_id);
    return out;
}

}  // namespace

TEST_CASE("an ITI-65 List gives the SubmissionSet's metadata") {
    auto bundle = nlohmann::json::parse(R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:list","resource":{"resourceType":"List","masterIdentifier":{"value":"urn:oid:1.2.9"},
   "date":"2026-12-01T10:00:00+01:00","title":"Envoi",
   "source":{"identifier":{"system":"urn:oid:1.2.250.1.71.4.2.1","value":"810000000015"}},
   "extension":[{"url":"https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId","valueIdentifier":{"value":"urn:oid:1.2.250.1.999.7"}},
                {"url":"https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType",
                 "valueCodeableConcept":{"coding":[{"system":"urn:oid:1.2.250.1.213.1.1.4.12","code":"04"}]}}]}},
 {"fullUrl":"urn:uuid:doc","resource":{"resourceType":"DocumentReference",
   "masterIdentifier":{"value":"urn:oid:1.2.3.4"},
   "subject":{"identifier":{"system":"urn:oid:1.2.250.1.213.1.4.10","value":"280017512345622"}},
   "author":[{"identifier":{"system":"urn:oid:1.2.250.1.71.4.2.1","value":"810000000015"}}],
   "type":{"coding":[{"code":"11502-2"}]},"category":[{"coding":[{"code":"10"}]}],
   "content":[{"attachment":{"contentType":"text/xml","data":"PGEvPgo="}}]}}]})");
    auto r = parse_provide_bundle(bundle.dump());
    REQUIRE(std::holds_alternative<ProvideBundle>(r));
    const auto& list = std::get<ProvideBundle>(r).list;
    CHECK(list.unique_id == "1.2.9");
    CHECK(list.source_id == "1.2.250.1.999.7");
    CHECK(list.date == "2026-12-01T10:00:00+01:00");
    CHECK(list.title == "Envoi");
    CHECK(list.author == "810000000015");
    CHECK(list.designation.system == "1.2.250.1.213.1.1.4.12");
    CHECK(list.designation.code == "04");

    SUBCASE("the author as PDSm gives it: a contained PractitionerRole") {
        auto& l = bundle["entry"][0]["resource"];
        l["contained"] = nlohmann::json::parse(R"([
          {"resourceType":"Practitioner","id":"pr","identifier":[{"system":"urn:oid:1.2.250.1.71.4.2.1","value":"810000000023"}]},
          {"resourceType":"PractitionerRole","id":"role","practitioner":{"reference":"#pr"}}])");
        l["source"] = nlohmann::json::parse(R"({"reference":"#role"})");
        auto again = parse_provide_bundle(bundle.dump());
        REQUIRE(std::holds_alternative<ProvideBundle>(again));
        CHECK(std::get<ProvideBundle>(again).list.author == "810000000023");
    }
    SUBCASE("two Lists in one Bundle are refused") {
        bundle["entry"].push_back(bundle["entry"][0]);
        CHECK(std::holds_alternative<BadRequest>(parse_provide_bundle(bundle.dump())));
    }
}

TEST_CASE("a submission set is kept with the documents it filed, once") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    std::vector<Deposit> docs{report("1.2.5.1"), report("1.2.5.2")};
    auto set = set_of("1.2.50.1", "1.2.250.1.999.7", "2026-12-01T10:00:00+01:00");
    auto filed = dmp->deposit_all({{&docs, kFeed, &set}});
    REQUIRE(filed.ok());
    const auto& receipts = std::get<std::vector<DepositReceipt>>(filed->at(0));
    auto found = dmp->find_lists({.ins = kIns});
    REQUIRE(found.ok());
    REQUIRE(found->size() == 1);
    const auto& kept = found->front();
    CHECK(kept.patient_ins == kIns);
    CHECK(kept.deposited_by == kFeed.id);
    CHECK(kept.status == "current");
    CHECK(kept.documents == std::vector<std::string>{receipts[0].id, receipts[1].id});

    REQUIRE(dmp->deposit_all({{&docs, kFeed, &set}}).ok());  // retried: duplicates, no second set
    CHECK(uids(*dmp, {}) == std::vector<std::string>{"1.2.50.1"});
}

TEST_CASE("a refused submission keeps no submission set") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    std::vector<Deposit> docs{report("1.2.6.1"), report("1.2.6.2", "AUTRE")};  // 904 on the second
    auto set = set_of("1.2.60.1", "", "");
    auto filed = dmp->deposit_all({{&docs, kFeed, &set}});
    REQUIRE(filed.ok());
    CHECK(std::holds_alternative<Refusal>(filed->at(0)));
    CHECK(uids(*dmp, {}).empty());
}

TEST_CASE("a set deposited without a date gets its deposit time") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    std::vector<Deposit> docs{report("1.2.7.1")};
    auto set = set_of("1.2.70.1", "", "");
    REQUIRE(dmp->deposit_all({{&docs, kFeed, &set}}).ok());
    auto found = dmp->find_lists({.ins = kIns});
    REQUIRE(found.ok());
    REQUIRE(found->size() == 1);
    CHECK(found->front().date.size() == 20);
    CHECK(found->front().date.back() == 'Z');
}

TEST_CASE("find_lists filters on status, source, identifier, designation and date") {
    unit_test::TempDir dir;
    auto dmp = open(dir);
    std::vector<Deposit> first{report("1.2.8.1")}, second{report("1.2.8.2")};
    auto a = set_of("1.2.80.1", "1.2.250.1.999.7", "2026-12-01T10:00:00+01:00");
    auto b = set_of("1.2.80.2", "1.2.250.1.999.8", "2026-12-03T09:00:00+01:00");
    b.designation.code = "05";
    REQUIRE(dmp->deposit_all({{&first, kFeed, &a}, {&second, kFeed, &b}}).ok());
    using V = std::vector<std::string>;
    CHECK(uids(*dmp, {.source_ids = {"urn:oid:1.2.250.1.999.7"}}) == V{"1.2.80.1"});
    CHECK(uids(*dmp, {.identifiers = {"urn:ietf:rfc:3986|urn:oid:1.2.80.2"}}) == V{"1.2.80.2"});
    CHECK(uids(*dmp, {.designation_types = {"urn:oid:1.2.250.1.213.1.1.4.12|05"}}) == V{"1.2.80.2"});
    CHECK(uids(*dmp, {.statuses = {"retired"}}).empty());
    CHECK(uids(*dmp, {.date_from = "2026-12-02"}) == V{"1.2.80.2"});
    CHECK(uids(*dmp, {.date_to = "2026-12-02"}) == V{"1.2.80.1"});
    CHECK(uids(*dmp, {.date_from = "2026-12-01", .date_to = "2026-12-01"}) == V{"1.2.80.1"});
}
