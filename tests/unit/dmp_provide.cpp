// ITI-65 as a client: a bundle written by provide_bundle_json reads back the same through the
// server's own reader, and the server's answers (receipts, refusals, failures) read back right.
#include <doctest/doctest.h>

#include "dmp/pdsm_provide.h"
#include "dmp/remote_deposit.h"

using namespace mss::dmp;

namespace {

ProvideBundle sample() {
    ProvideBundle b;
    b.submission_set = "4F2A9C1B7D3E";
    b.list.unique_id = b.submission_set;
    b.list.source_id = "1.2.250.1.213.1.1.9.99";
    b.list.designation = {"1.2.250.1.213.1.1.4.12", "04", "Hospitalisation"};
    b.list.date = "2026-12-06T09:30:00";
    b.list.author = "810001234565";
    Deposit d;
    d.document.unique_id = "1.2.250.1.213.1.1.9.99.1";
    d.document.set_id = "1.2.250.1.213.1.1.9.99.2";
    d.document.version = 2;
    d.document.patient_ins = "280057512345671";
    d.ins_oid = "1.2.250.1.213.1.4.8";
    d.document.type = {"2.16.840.1.113883.6.1", "11502-2", "CR d'examens biologiques"};
    d.document.class_code = {"1.2.250.1.213.1.1.4.1", "10", ""};
    d.document.format = {"1.3.6.1.4.1.19376.1.2.3", "urn:ihe:lab:xd-lab:2008", ""};
    d.document.practice_setting = {"1.2.250.1.71.4.2.4", "ETABLISSEMENT", ""};
    d.document.facility_type = {"1.2.250.1.71.4.2.2", "SA07", ""};
    d.document.title = "Compte rendu";
    d.document.author = "810001234565";
    d.document.creation_time = "2026-12-06T09:00:00";
    d.document.service_start = "2026-12-05";
    d.document.confidentiality = "N";
    d.document.visibility = {"MASQUE_PS"};
    d.document.content_type = "text/xml";
    d.content = std::string("<ClinicalDocument/>\0\xff", 21);
    d.replaces_ref = "1.2.250.1.213.1.1.9.99.0";
    d.family = "DUPONT";
    d.given = "Marie";
    d.birth_date = "19800512";
    d.gender = "F";
    d.submission = b.submission_set;
    b.deposits.push_back(d);
    b.full_urls.push_back("urn:mssd:filing:4F2A9C1B7D3E:0");
    return b;
}

}  // namespace

TEST_CASE("a bundle written for a remote PDSm server reads back the same through the server's reader") {
    auto b = sample();
    auto read = parse_provide_bundle(provide_bundle_json(b));
    REQUIRE(std::holds_alternative<ProvideBundle>(read));
    const auto& r = std::get<ProvideBundle>(read);
    CHECK(r.submission_set == b.submission_set);
    CHECK(r.list.source_id == b.list.source_id);
    CHECK(r.list.designation.code == "04");
    CHECK(r.list.date == b.list.date);
    CHECK(r.list.author == b.list.author);
    REQUIRE(r.deposits.size() == 1);
    const auto &got = r.deposits[0], &sent = b.deposits[0];
    CHECK(got.content == sent.content);
    CHECK(got.ins_oid == sent.ins_oid);
    CHECK(got.replaces_ref == sent.replaces_ref);
    CHECK(got.family == sent.family);
    CHECK(got.given == sent.given);
    CHECK(got.birth_date == sent.birth_date);
    CHECK(got.gender == sent.gender);
    CHECK(got.submission == sent.submission);
    const auto &g = got.document, &s = sent.document;
    for (auto [x, y] : {std::pair{&g.unique_id, &s.unique_id}, {&g.set_id, &s.set_id}, {&g.patient_ins, &s.patient_ins},
                        {&g.title, &s.title}, {&g.author, &s.author}, {&g.creation_time, &s.creation_time},
                        {&g.service_start, &s.service_start}, {&g.confidentiality, &s.confidentiality},
                        {&g.content_type, &s.content_type}})
        CHECK(*x == *y);
    CHECK(g.version == 2);
    CHECK(g.visibility == s.visibility);
    for (auto [x, y] : {std::pair{&g.type, &s.type}, {&g.class_code, &s.class_code}, {&g.format, &s.format},
                        {&g.practice_setting, &s.practice_setting}, {&g.facility_type, &s.facility_type}}) {
        CHECK(x->system == y->system);
        CHECK(x->code == y->code);
    }
}

TEST_CASE("a server's answer to ITI-65: receipts, the refusal's code, or a temporary failure") {
    std::string ok = R"({"resourceType":"Bundle","type":"transaction-response","entry":[
        {"response":{"status":"201 Created","location":"List/x"}},
        {"response":{"status":"201 Created","location":"DocumentReference/aa"}},
        {"response":{"status":"200 OK","location":"DocumentReference/bb"}},
        {"response":{"status":"201 Created","location":"Binary/aa"}}]})";
    auto filed = read_provide_response(200, ok, 2);
    REQUIRE(filed.ok());
    const auto& receipts = std::get<std::vector<DepositReceipt>>(*filed);
    REQUIRE(receipts.size() == 2);
    CHECK((receipts[0].id == "aa" && !receipts[0].duplicate));
    CHECK((receipts[1].id == "bb" && receipts[1].duplicate));
    CHECK_FALSE(read_provide_response(200, ok, 3).ok());  // a document unacknowledged

    std::string refused = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",
        "diagnostics":"no DMP for INS 1","details":{"coding":[{"system":"urn:mssd:ci-sis:acquittement","code":"902"}]}}]})";
    auto no_dmp = read_provide_response(404, refused, 1);
    REQUIRE(no_dmp.ok());
    const auto& r = std::get<Refusal>(*no_dmp);
    CHECK(r.ack == AckCode::NoDmp);
    CHECK(r.message == "no DMP for INS 1");
    auto other = read_provide_response(400, R"({"resourceType":"OperationOutcome","issue":[]})", 1);
    REQUIRE(other.ok());
    CHECK(std::get<Refusal>(*other).ack == AckCode::Other);

    for (int status : {500, 503, 429, 401})
        CHECK_FALSE(read_provide_response(status, refused, 1).ok());
    CHECK_FALSE(read_provide_response(200, "<html>", 1).ok());
    CHECK_FALSE(read_provide_response(400, "", 1).ok());
}

TEST_CASE("the remote PDSm server's URL: host, port (443 by default), base path") {
    auto full = parse_remote_pdsm("https://dmp.example.fr:8443/dmp/fhir");
    REQUIRE(full.ok());
    CHECK((full->host == "dmp.example.fr" && full->port == "8443" && full->base_path == "/dmp/fhir"));
    auto bare = parse_remote_pdsm("https://127.0.0.1");
    REQUIRE(bare.ok());
    CHECK((bare->host == "127.0.0.1" && bare->port == "443" && bare->base_path == "/"));
    for (const char* bad : {"http://x/dmp", "https://", "https://:443/x", "https://x:port/", "https://x:123456/",
                            "https://x/a b"})
        CHECK_FALSE(parse_remote_pdsm(bad).ok());
}
