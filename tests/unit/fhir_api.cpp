// The FHIR API over a real SQLite directory: searches by each parameter, paging links, includes,
// the liste rouge hidden everywhere (and kept across a re-import), errors as OperationOutcome.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "directory/fhir/api.h"
#include "temp_dir.h"

using namespace mss::directory;
using namespace mss::directory::fhir;

namespace {

std::string idnat(int n) {  // 8 + an 11-digit RPPS with its Luhn key
    std::string body = fmt::format("1{:09d}", n);
    int total = 0;
    std::string digits = body + "0";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        int d = digits[digits.size() - 1 - i] - '0';
        if (i % 2) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        total += d;
    }
    return "8" + body + std::to_string((10 - total % 10) % 10);
}

ActivityEntry activity(int n) {
    ActivityEntry a;
    a.ps_idnat = idnat(n);
    a.family = n % 2 ? "MARTIN" : "DURAND";
    a.given = "Jean";
    a.profession_code = "10";
    a.mode_code = "S";
    a.structure_id = fmt::format("S{:08d}", n % 3);
    a.structure_name = "Centre hospitalier";
    a.finess_site = "750000016";
    a.postcode = "75013";
    a.fingerprint = 1;
    return a;
}

MailboxEntry mailbox(std::string address, MailboxType type, std::string ps_idnat, std::string structure) {
    MailboxEntry m;
    m.address = std::move(address);
    m.type = type;
    m.ps_idnat = std::move(ps_idnat);
    m.structure_id = std::move(structure);
    m.family = "SECRET";
    m.fingerprint = 1;
    return m;
}

struct Fixture {
    unit_test::TempDir tmp;
    std::unique_ptr<Directory> dir = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    std::vector<MailboxEntry> boxes{
        mailbox("jean.martin@chu.mssante.fr", MailboxType::Per, idnat(1), "S00000001"),
        mailbox("hidden@chu.mssante.fr", MailboxType::Per, idnat(99), ""),
        mailbox("secretariat@chu.mssante.fr", MailboxType::Org, "", "S00000001"),
    };

    Fixture() {
        auto acts = std::move(dir->begin_import(ExtractionKind::PersonneActivite)).value();
        for (int n = 1; n <= 7; ++n) REQUIRE(acts->add(activity(n)).value());
        REQUIRE(acts->commit("a.txt", 7, 0).ok());
        import_mailboxes();
        REQUIRE(dir->set_liste_rouge("hidden@chu.mssante.fr", true).ok());
    }
    void import_mailboxes() {
        auto s = std::move(dir->begin_import(ExtractionKind::Correspondance)).value();
        for (const auto& m : boxes) REQUIRE(s->add(m).value());
        REQUIRE(s->commit("m.txt", boxes.size(), 0).ok());
    }
    Json get(std::string path, std::string query = "") {
        mss::http::Request r;
        r.method = "GET";
        r.path = std::move(path);
        r.query = std::move(query);
        last = Api(*dir, {}).handle(r);
        return Json::parse(last.body);
    }
    mss::http::Response last;
};

std::vector<std::string> ids(const Json& bundle, std::string_view mode = "match") {
    std::vector<std::string> out;
    for (const auto& e : bundle["entry"])
        if (e["search"]["mode"] == mode) out.push_back(e["resource"]["id"]);
    return out;
}

}  // namespace

TEST_CASE("Practitioner search by identifier, RPPS system, family and mailbox") {
    Fixture f;
    CHECK(ids(f.get("/fhir/Practitioner", "identifier=" + idnat(2))) == std::vector{idnat(2)});
    CHECK(ids(f.get("/fhir/Practitioner", "identifier=https://rpps.esante.gouv.fr|" + idnat(3).substr(1))) ==
          std::vector{idnat(3)});
    CHECK(f.get("/fhir/Practitioner", "family=durand")["total"] == 3);
    CHECK(ids(f.get("/fhir/Practitioner", "mailbox-mss=Jean.Martin@chu.mssante.fr")) == std::vector{idnat(1)});
    CHECK(ids(f.get("/fhir/Practitioner", "mailbox-mss:contains=martin")) == std::vector{idnat(1)});
    CHECK(f.get("/fhir/Practitioner", "identifier=http://other|1")["total"] == 0);
}

TEST_CASE("paging: _count, total and next/previous links") {
    Fixture f;
    Json page1 = f.get("/fhir/Practitioner", "given=jean&_count=3");
    CHECK(page1["total"] == 7);
    CHECK(ids(page1).size() == 3);
    std::string next;
    for (const auto& l : page1["link"])
        if (l["relation"] == "next") next = l["url"];
    CHECK(next.ends_with("/fhir/Practitioner?given=jean&_count=3&_offset=3"));
    Json page3 = f.get("/fhir/Practitioner", "given=jean&_count=3&_offset=6");
    CHECK(ids(page3).size() == 1);
    bool has_next = false, has_previous = false;
    for (const auto& l : page3["link"]) has_next |= l["relation"] == "next", has_previous |= l["relation"] == "previous";
    CHECK_FALSE(has_next);
    CHECK(has_previous);
}

TEST_CASE("the liste rouge is hidden from searches, reads and includes, and survives a re-import") {
    Fixture f;
    CHECK(f.get("/fhir/Practitioner", "mailbox-mss=hidden@chu.mssante.fr")["total"] == 0);
    f.get("/fhir/Practitioner/" + idnat(99));
    CHECK(f.last.status == 404);
    f.import_mailboxes();
    CHECK(f.get("/fhir/Practitioner", "identifier=" + idnat(99))["total"] == 0);
    REQUIRE(f.dir->set_liste_rouge("hidden@chu.mssante.fr", false).ok());
    CHECK(f.get("/fhir/Practitioner", "identifier=" + idnat(99))["total"] == 1);
}

TEST_CASE("PractitionerRole with _include of practitioner and organisation; Practitioner _revinclude") {
    Fixture f;
    Json b = f.get("/fhir/PractitionerRole", "practitioner=Practitioner/" + idnat(1) +
                                                 "&_include=PractitionerRole:practitioner,PractitionerRole:organization");
    CHECK(ids(b).size() == 1);
    auto included = ids(b, "include");
    CHECK(included == std::vector<std::string>{idnat(1), "S00000001"});
    Json org = f.get("/fhir/Organization/S00000001");
    CHECK(org["telecom"][0]["value"] == "secretariat@chu.mssante.fr");
    Json rev = f.get("/fhir/Practitioner", "_id=" + idnat(4) + "&_revinclude=PractitionerRole:practitioner");
    CHECK(ids(rev, "include").size() == 1);
    std::string role = ids(rev, "include")[0];
    CHECK(f.get("/fhir/PractitionerRole/" + role)["practitioner"]["reference"] == "Practitioner/" + idnat(4));
}

TEST_CASE("Organization by FINESS, national id and postcode") {
    Fixture f;
    CHECK(f.get("/fhir/Organization", "identifier=750000016")["total"] == 3);
    CHECK(f.get("/fhir/Organization", "identifier=urn:oid:1.2.250.1.71.4.2.2|1750000016")["total"] == 3);
    CHECK(f.get("/fhir/Organization", "address-postalcode=75013&_count=1")["total"] == 3);
    CHECK(ids(f.get("/fhir/Organization", "mailbox-mss-type=ORG")) == std::vector<std::string>{"S00000001"});
}

TEST_CASE("bad parameters are answered with an OperationOutcome and 400") {
    Fixture f;
    CHECK(f.get("/fhir/Practitioner", "_count=ten")["resourceType"] == "OperationOutcome");
    CHECK(f.last.status == 400);
    f.get("/fhir/Practitioner", "family:contains=x");
    CHECK(f.last.status == 400);
    f.get("/fhir/Practitioner", "mailbox-mss-type=XYZ");
    CHECK(f.last.status == 400);
    f.get("/fhir/Practitioner", "_include=PractitionerRole:organization");
    CHECK(f.last.status == 400);
    f.get("/fhir/Practitioner", "family=%zz");
    CHECK(f.last.status == 400);
    Json lenient = f.get("/fhir/Practitioner", "colour=blue&family=durand");
    CHECK(f.last.status == 200);
    CHECK(lenient["total"] == 3);
    CHECK(lenient["entry"].back()["search"]["mode"] == "outcome");
    f.get("/fhir/Patient");
    CHECK(f.last.status == 404);
}
