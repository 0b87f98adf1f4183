// The PDSm request readers: an ITI-65 Bundle into deposits (patient INS and traits, author,
// codes, Binary, replacement) with the acknowledgement code of each refusal, the bounds, and the
// JSON Patch of securityLabel and status.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "dmp/pdsm_request.h"

using namespace mss::dmp;
using nlohmann::json;

namespace {

json bundle() {
    return json::parse(R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:list","resource":{"resourceType":"List","masterIdentifier":{"value":"urn:oid:1.2.9"}}},
 {"fullUrl":"urn:uuid:doc","resource":{"resourceType":"DocumentReference",
   "contained":[{"resourceType":"Practitioner","id":"a","identifier":[{"system":"urn:oid:1.2.250.1.71.4.2.1","value":"810000000015"}]},
                {"resourceType":"Patient","id":"p","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"280017512345622"}],
                 "name":[{"family":"DUVAL","given":["Claire"]}],"birthDate":"1980-01-15","gender":"female"}],
   "masterIdentifier":{"system":"urn:ietf:rfc:3986","value":"urn:oid:1.2.3.4"},
   "type":{"coding":[{"system":"http://loinc.org","code":"11502-2"}]},
   "category":[{"coding":[{"system":"urn:oid:1.2.250.1.213.1.1.4.1","code":"10"}]}],
   "subject":{"reference":"#p"},"author":[{"reference":"#a"}],
   "securityLabel":[{"coding":[{"code":"N"}]},{"coding":[{"code":"INVISIBLE_PATIENT"}]}],
   "relatesTo":[{"code":"replaces","target":{"reference":"DocumentReference/abc"}}],
   "content":[{"attachment":{"contentType":"text/xml","url":"urn:uuid:bin","size":5,"creation":"2026-12-01"},
               "format":{"system":"urn:oid:1.3.6.1.4.1.19376.1.2.3","code":"urn:ihe:lab:xd-lab:2008"}}],
   "context":{"period":{"start":"2026-12-01"}}}},
 {"fullUrl":"urn:uuid:bin","resource":{"resourceType":"Binary","contentType":"text/xml","data":"PGEvPgo="}}]})");
}

json& document(json& b) { return b["entry"][1]["resource"]; }

BadRequest refusal(const json& b) {
    auto r = parse_provide_bundle(b.dump());
    REQUIRE(std::holds_alternative<BadRequest>(r));
    return std::get<BadRequest>(r);
}

}  // namespace

TEST_CASE("an ITI-65 Bundle gives its deposits") {
    auto r = parse_provide_bundle(bundle().dump());
    REQUIRE(std::holds_alternative<ProvideBundle>(r));
    const auto& b = std::get<ProvideBundle>(r);
    CHECK(b.submission_set == "urn:oid:1.2.9");
    REQUIRE(b.deposits.size() == 1);
    const auto& d = b.deposits[0];
    CHECK(d.document.unique_id == "1.2.3.4");
    CHECK(d.document.patient_ins == "280017512345622");
    CHECK(d.document.author == "810000000015");
    CHECK(d.document.type.code == "11502-2");
    CHECK(d.document.class_code.system == "1.2.250.1.213.1.1.4.1");
    CHECK(d.document.format.code == "urn:ihe:lab:xd-lab:2008");
    CHECK(d.document.confidentiality == "N");
    CHECK(d.document.visibility == std::vector<std::string>{"INVISIBLE_PATIENT"});
    CHECK(d.document.service_start == "2026-12-01");
    CHECK(d.replaces_ref == "abc");
    CHECK(d.content == "<a/>\n");
    CHECK(d.family == std::optional<std::string>("DUVAL"));
    CHECK(d.birth_date == std::optional<std::string>("19800115"));
    CHECK(d.gender == std::optional<std::string>("F"));
}

TEST_CASE("the patient's INS: missing 903, not an INS OID or malformed 905") {
    auto b = bundle();
    document(b)["contained"][1]["identifier"] = json::array();
    CHECK(refusal(b).ack == AckCode::InsMissing);
    b = bundle();
    document(b)["contained"][1]["identifier"][0]["system"] = "urn:oid:1.2.250.1.71.4.2.1";
    CHECK(refusal(b).ack == AckCode::InsIncomplete);
    b = bundle();
    document(b)["contained"][1]["identifier"][0]["value"] = "2800175";
    CHECK(refusal(b).ack == AckCode::InsIncomplete);
    b = bundle();
    document(b)["subject"] = {{"identifier", {{"system", "urn:oid:1.2.250.1.213.1.4.10"}, {"value", "28001751234562A"}}}};
    CHECK(refusal(b).ack == AckCode::InsIncomplete);
}

TEST_CASE("malformed Bundles are 400, too large ones 413") {
    CHECK(std::get<BadRequest>(parse_provide_bundle("{")).http_status == 400);
    CHECK(std::get<BadRequest>(parse_provide_bundle("[]")).http_status == 400);
    auto b = bundle();
    b["entry"][2]["resource"]["data"] = "!!";
    CHECK(refusal(b).http_status == 400);
    b = bundle();
    b["entry"].erase(2);
    CHECK(refusal(b).message.find("Binary") != std::string::npos);
    b = bundle();
    document(b)["content"][0]["attachment"]["size"] = 6;
    CHECK(refusal(b).message.find("size") != std::string::npos);
    b = bundle();
    document(b)["author"] = json::array();
    CHECK(refusal(b).message.find("PS_IdNat") != std::string::npos);
    b = bundle();
    b["entry"].erase(0);
    CHECK(refusal(b).message.find("SubmissionSet") != std::string::npos);
    RequestLimits small;
    small.max_body = 100;
    CHECK(std::get<BadRequest>(parse_provide_bundle(bundle().dump(), small)).http_status == 413);
    std::string deep(30, '[');
    deep += std::string(30, ']');
    CHECK(std::get<BadRequest>(parse_provide_bundle(deep)).message.find("nested") != std::string::npos);
    RequestLimits few;
    few.max_entries = 2;
    CHECK(std::get<BadRequest>(parse_provide_bundle(bundle().dump(), few)).http_status == 413);
}

TEST_CASE("JSON Patch: securityLabel and status only") {
    auto add = parse_metadata_patch(
        R"([{"op":"add","path":"/securityLabel/-","value":{"coding":[{"system":"urn:oid:1.2.250.1.213.1.1.4.13","code":"MASQUE_PS"}]}}])");
    REQUIRE(std::holds_alternative<MetadataPatch>(add));
    CHECK(std::get<MetadataPatch>(add).add_visibility == std::vector<std::string>{"MASQUE_PS"});
    auto replace = parse_metadata_patch(R"([{"op":"replace","path":"/securityLabel","value":[{"coding":[{"code":"N"}]}]},
                                            {"op":"replace","path":"/status","value":"superseded"}])");
    REQUIRE(std::holds_alternative<MetadataPatch>(replace));
    CHECK(std::get<MetadataPatch>(replace).visibility == std::optional<std::vector<std::string>>(std::vector<std::string>{}));
    CHECK(std::get<MetadataPatch>(replace).supersede);
    CHECK(std::get<BadRequest>(parse_metadata_patch(R"([{"op":"replace","path":"/status","value":"current"}])")).http_status == 422);
    CHECK(std::get<BadRequest>(parse_metadata_patch(R"([{"op":"remove","path":"/type"}])")).http_status == 422);
    CHECK(std::get<BadRequest>(parse_metadata_patch("[]")).http_status == 400);
    CHECK(std::get<BadRequest>(parse_metadata_patch("{}")).http_status == 400);
}
