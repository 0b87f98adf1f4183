// The XDM reader: the generated archive read whole (submission set, entries, documents and their
// CDA headers), and each refused archive with its exact code: paths, duplicates, nested zips,
// bombs, encryption, entry counts, hash and size mismatches, two patients.
#include <doctest/doctest.h>

#include "cda/xdm.h"
#include "cda_fixture.h"

using namespace mss::cda;

TEST_CASE("an XDM of a biology report and a discharge letter") {
    auto a = read_xdm(cda_fixture("xdm.zip"));
    REQUIRE_MESSAGE(a.ok(), a.refusal().reason);
    CHECK(a->patient == PatientRef{"280057512345674", "1.2.250.1.213.1.4.8"});
    REQUIRE(a->subsets.size() == 1);
    const auto& s = a->subsets[0];
    CHECK(s.folder == "IHE_XDM/SUBSET01");
    CHECK(s.submission_set.entry_id == "SubmissionSet01");
    CHECK(s.submission_set.patient == a->patient);
    CHECK(s.submission_set.source_id == "1.2.250.1.213.1.1.9.99");
    CHECK(s.submission_set.submission_time == "20261206093000");
    CHECK(s.submission_set.content_type.code == "04");
    REQUIRE(s.submission_set.authors.size() == 1);
    REQUIRE(s.documents.size() == 2);
    const auto& bio = s.documents[0];
    CHECK(bio.uri == "DOC0001.XML");
    CHECK(bio.unique_id == "1.2.250.1.213.1.1.9.99^CRBIO-2026-0001");
    CHECK(bio.type_code.code == "11502-2");
    CHECK(bio.type_code.code_system == "2.16.840.1.113883.6.1");
    CHECK(bio.class_code.code == "10");
    CHECK(bio.confidentiality.code == "N");
    CHECK(bio.format_code.code == "urn:ihe:lab:xd-lab:2008");
    CHECK(bio.facility_type.code == "SA01");
    CHECK(bio.practice_setting.code == "ETABLISSEMENT");
    CHECK(bio.mime_type == "text/xml");
    CHECK(bio.hash.size() == 40);
    CHECK(bio.size == bio.content.size());
    CHECK(bio.content == cda_fixture("bio.xml"));
    REQUIRE(bio.authors.size() == 1);
    CHECK(bio.authors[0].rfind("810001234565^MARTIN^Paul", 0) == 0);
    REQUIRE(bio.cda);
    CHECK(bio.cda->code.code == "11502-2");
    REQUIRE(s.documents[1].cda);
    CHECK(s.documents[1].cda->body == BodyKind::NonXml);
    CHECK(s.documents[1].format_code.code == "urn:ihe:iti:xds-sd:pdf:2008");
}

TEST_CASE("a replacement inside an XDM keeps its RPLC") {
    auto a = read_xdm(cda_fixture("xdm_replacement.zip"));
    REQUIRE(a.ok());
    REQUIRE(a->subsets[0].documents[0].cda->replaces);
    CHECK(a->subsets[0].documents[0].cda->replaces->extension == "CRBIO-2026-0001");
}

TEST_CASE("an attachment is an XDM or a bare CDA") {
    auto zip = read_attachment(cda_fixture("xdm.zip"));
    REQUIRE(zip.ok());
    CHECK(cda_documents(zip.value()).size() == 2);
    auto bare = read_attachment(cda_fixture("discharge.xml"));
    REQUIRE(bare.ok());
    auto docs = cda_documents(bare.value());
    REQUIRE(docs.size() == 1);
    CHECK(docs[0]->code.code == "11490-0");
    auto neither = read_attachment("%PDF-1.4 not a CDA");
    REQUIRE_FALSE(neither.ok());
    CHECK(neither.refusal().code == AckCode::Other);
}

TEST_CASE("XDS patient ids") {
    CHECK(parse_patient_id("280057512345674^^^&1.2.250.1.213.1.4.8&ISO^NH") ==
          PatientRef{"280057512345674", "1.2.250.1.213.1.4.8"});
    CHECK(parse_patient_id("280057512345674^^^&1.2.250.1.213.1.4.8&ISO") ==
          PatientRef{"280057512345674", "1.2.250.1.213.1.4.8"});
    CHECK_FALSE(parse_patient_id("280057512345674"));
    CHECK_FALSE(parse_patient_id("^^^&1.2.250.1.213.1.4.8&ISO"));
    CHECK_FALSE(parse_patient_id("280057512345674^^^&&ISO"));
    CHECK_FALSE(parse_patient_id("280057512345674^^^&1.2.250.1.213.1.4.8&DNS"));
}

TEST_CASE("each refused archive: 906 with its reason") {
    struct Case {
        std::string file;
        std::string reason;
    } cases[] = {
        {"traversal.zip", "\"..\" refused"},
        {"absolute.zip", "absolute path"},
        {"duplicate.zip", "appears twice"},
        {"nested.zip", "nested archive"},
        {"bomb.zip", "ratio"},
        {"many.zip", "entries (at most 256)"},
        {"encrypted.zip", "encrypted"},
        {"size_mismatch.zip", "octets, METADATA.XML says"},
        {"hash_mismatch.zip", "SHA-1 differs"},
        {"two_patients.zip", "two patients"},
        {"metadata_patient.zip", "not the metadata's"},
        {"three_sets.zip", "3 submission sets"},
    };
    for (const auto& c : cases) {
        auto a = read_xdm(cda_fixture(c.file));
        REQUIRE_MESSAGE(!a.ok(), c.file);
        CHECK(a.refusal().code == AckCode::Other);
        CHECK_MESSAGE(a.refusal().reason.find(c.reason) != std::string::npos, c.file, ": ", a.refusal().reason);
    }
}

namespace {

XdmLimits limits(std::size_t archive, std::uint64_t total, std::uint64_t ratio, std::size_t xml_octets) {
    XdmLimits l;
    l.max_archive_octets = archive;
    l.max_total_octets = total;
    l.max_ratio = ratio;
    l.xml.max_octets = xml_octets;
    return l;
}

const XdmLimits defaults;

}  // namespace

TEST_CASE("bounds: archive size, total inflated size") {
    std::string zip = cda_fixture("xdm.zip");
    auto small = read_xdm(zip, limits(100, defaults.max_total_octets, defaults.max_ratio, defaults.xml.max_octets));
    REQUIRE_FALSE(small.ok());
    CHECK(small.refusal().reason.find("larger than 100") != std::string::npos);
    auto total = read_xdm(zip, limits(defaults.max_archive_octets, 1000, defaults.max_ratio, defaults.xml.max_octets));
    REQUIRE_FALSE(total.ok());
    CHECK(total.refusal().reason.find("more than 1000") != std::string::npos);
    // The ratio alone refused the bomb: past it, its 8 MiB fit the total and, listed nowhere, are not read.
    CHECK(read_xdm(cda_fixture("bomb.zip"), limits(defaults.max_archive_octets, defaults.max_total_octets, 100000, defaults.xml.max_octets)).ok());
    auto bomb = read_xdm(cda_fixture("bomb.zip"), limits(defaults.max_archive_octets, 1024 * 1024, 100000, defaults.xml.max_octets));
    REQUIRE_FALSE(bomb.ok());
    CHECK(bomb.refusal().reason.find("more than 1048576") != std::string::npos);
}

TEST_CASE("not a zip, a zip without METADATA.XML, an entry without its document") {
    auto junk = read_xdm("PK\x03\x04 garbage");
    REQUIRE_FALSE(junk.ok());
    CHECK(junk.refusal().reason.find("not a readable zip") != std::string::npos);
    auto empty = read_xdm("");
    REQUIRE_FALSE(empty.ok());
}

TEST_CASE("the CDA inside an XDM is bounded like a bare one") {
    auto a = read_xdm(cda_fixture("xdm.zip"), limits(defaults.max_archive_octets, defaults.max_total_octets, defaults.max_ratio, 4000));
    REQUIRE_FALSE(a.ok());
    CHECK(a.refusal().reason.find("larger than 4000") != std::string::npos);
}
