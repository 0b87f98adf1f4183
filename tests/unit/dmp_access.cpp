// The DMP's reading rules: the access matrix file, who may open a DMP (feed, care relationship,
// blocked, bris de glace) and which documents a professional sees (class by profession, masked).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "dmp/access.h"
#include "dmp/pdsm_routes.h"

using namespace mss::dmp;

namespace {

const char* kMatrix =
    "# test matrix\n"
    "10\tMédecin\t*\n"
    "70\tMasseur-kinésithérapeute\t11, 44\n";

AccessMatrix matrix() { return AccessMatrix::parse(kMatrix).value(); }

Patient patient() {
    Patient p;
    p.ins = "280017512345622";
    p.consent = true;
    p.medecin_traitant = "810000000023";
    return p;
}

ReadRequest professional(const std::string& ps_idnat, std::vector<std::string> professions = {"10"}) {
    ReadRequest r;
    r.actor = {Actor::Kind::Professional, ps_idnat};
    r.professions = std::move(professions);
    return r;
}

DocumentSummary document(const std::string& class_code, const std::string& author = "810000000015") {
    return {"d1", class_code, author, {}};
}

}  // namespace

TEST_CASE("the access matrix file: rows, '*', comments; malformed rows named by line") {
    auto m = matrix();
    CHECK(m.allows("10", "60"));
    CHECK(m.allows("70", "44"));
    CHECK_FALSE(m.allows("70", "10"));
    CHECK_FALSE(m.allows("21", "11"));
    CHECK(m.knows("70"));
    auto bad = AccessMatrix::parse("10\tMédecin\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("line 1") != std::string::npos);
}

TEST_CASE("the shipped default matrix parses and lets médecins read every class") {
    std::ifstream in(MSSD_SOURCE_DIR "/dmp/data/access-matrix.tsv");
    std::ostringstream text;
    text << in.rdbuf();
    auto m = AccessMatrix::parse(text.str());
    REQUIRE(m.ok());
    for (const char* c : {"10", "11", "31", "42", "43", "44", "45", "52", "60", "90", "95"}) CHECK(m->allows("10", c));
    CHECK_FALSE(m->allows("21", "60"));
}

TEST_CASE("who opens a DMP") {
    auto m = matrix();
    auto p = patient();
    ReadRequest feed;
    feed.actor = {Actor::Kind::Feed, "CN=labo"};
    CHECK(may_open(p, feed, false, false, m) == Denial::FeedOnly);
    CHECK(may_open(std::nullopt, professional("810000000023"), false, false, m) == Denial::NoDmp);
    CHECK(may_open(p, professional("810000000023"), false, false, m) == Denial::None);  // médecin traitant
    CHECK(may_open(p, professional("810000000031"), false, false, m) == Denial::NoCareRelationship);
    CHECK(may_open(p, professional("810000000031"), false, true, m) == Denial::None);  // declared before
    auto declaring = professional("810000000031");
    declaring.declares_care = true;
    CHECK(may_open(p, declaring, false, false, m) == Denial::None);
    CHECK(may_open(p, declaring, true, false, m) == Denial::Blocked);
    CHECK(may_open(p, professional("810000000031", {"95"}), false, true, m) == Denial::ProfessionNotAllowed);
    CHECK(may_open(p, professional("810000000031", {}), false, true, m) == Denial::ProfessionNotAllowed);
}

TEST_CASE("bris de glace: with a justification, when the patient allowed it, never when blocked") {
    auto m = matrix();
    auto p = patient();
    auto urgent = professional("810000000031");
    urgent.emergency = true;
    CHECK(may_open(p, urgent, false, false, m) == Denial::NoJustification);
    urgent.justification = "coma";
    CHECK(may_open(p, urgent, false, false, m) == Denial::None);
    CHECK(may_open(p, urgent, true, false, m) == Denial::Blocked);
    p.emergency_allowed = false;
    CHECK(may_open(p, urgent, false, false, m) == Denial::EmergencyRefused);
}

TEST_CASE("which documents a professional sees") {
    auto m = matrix();
    auto p = patient();
    auto kine = professional("810000000049", {"70"});
    CHECK_FALSE(may_see(document("10"), p, kine, m));
    CHECK(may_see(document("11"), p, kine, m));
    CHECK(may_see(document("10", "810000000049"), p, kine, m));  // the author sees his own
    auto masked = document("11");
    masked.visibility = {kMasquePs};
    CHECK_FALSE(may_see(masked, p, kine, m));
    CHECK_FALSE(may_see(masked, p, professional("810000000031"), m));
    CHECK(may_see(masked, p, professional("810000000023"), m));  // médecin traitant
    CHECK(may_see(masked, p, professional("810000000015"), m));  // author
}

TEST_CASE("the actor a client certificate names") {
    const std::string personnes = "CN=AC IGC-SANTE TEST PERSONNES,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR";
    const std::string organisations = "CN=AC IGC-SANTE TEST ORGANISATIONS,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR";
    const ProfessionalAuthorities ours{personnes};
    CHECK_FALSE(actor_of_certificate(false, "CN=810001045367,OU=IGC-SANTE TEST,O=X,C=FR", personnes, ours));
    auto ps = actor_of_certificate(true, "CN=810001045367,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR", personnes, ours);
    REQUIRE(ps);
    CHECK(ps->kind == Actor::Kind::Professional);
    CHECK(ps->id == "810001045367");
    auto org = actor_of_certificate(true, "CN=labo@x.fr,OU=010000001,O=LABO TEST,C=FR", organisations, ours);
    REQUIRE(org);
    CHECK(org->kind == Actor::Kind::Feed);
    // A CN that is not a PS_IdNat, or a personal-looking CN outside the personal CA's OU, is no professional.
    CHECK(actor_of_certificate(true, "CN=mallory,OU=IGC-SANTE TEST,O=X,C=FR", personnes, ours)->kind == Actor::Kind::Feed);
    CHECK(actor_of_certificate(true, "CN=810001045367,OU=010000001,O=X,C=FR", personnes, ours)->kind == Actor::Kind::Feed);
    CHECK(actor_of_certificate(true, "CN=810001045367\\,OU=IGC-SANTE TEST,O=X,C=FR", personnes, ours)->kind ==
          Actor::Kind::Feed);
    // The subject of a personal certificate, issued by another authority than a PERSONNES one (a
    // server or organisation CA, or any CA the trust store holds): no professional either.
    CHECK(actor_of_certificate(true, "CN=810001045367,OU=IGC-SANTE TEST,O=X,C=FR", organisations, ours)->kind ==
          Actor::Kind::Feed);
    CHECK(actor_of_certificate(true, "CN=810001045367,OU=IGC-SANTE TEST,O=X,C=FR", "CN=Some Root,O=Elsewhere", ours)->kind ==
          Actor::Kind::Feed);
    // Another operator's PERSONNES authority (trusted for the relay) names nobody unless listed.
    const std::string theirs = "CN=AC IGC-SANTE TEST PERSONNES,OU=IGC-SANTE TEST,O=OTHER OPERATOR,C=FR";
    CHECK(actor_of_certificate(true, "CN=810001045367,OU=IGC-SANTE TEST,O=OTHER OPERATOR,C=FR", theirs, ours)->kind ==
          Actor::Kind::Feed);
    const ProfessionalAuthorities both{personnes, theirs};
    CHECK(actor_of_certificate(true, "CN=810001045367,OU=IGC-SANTE TEST,O=OTHER OPERATOR,C=FR", theirs, both)->kind ==
          Actor::Kind::Professional);
    // No authority configured: certificates name no professional at all.
    CHECK(actor_of_certificate(true, "CN=810001045367,OU=IGC-SANTE TEST,O=X,C=FR", personnes, {})->kind ==
          Actor::Kind::Feed);
}

TEST_CASE("the token of an Authorization: Bearer field") {
    CHECK(bearer_token("Bearer abc.def.ghi") == std::optional<std::string_view>("abc.def.ghi"));
    CHECK(bearer_token("bearer   abc") == std::optional<std::string_view>("abc"));
    CHECK_FALSE(bearer_token("Basic dXNlcjpwYXNz"));
    CHECK_FALSE(bearer_token("Bearerabc"));
    CHECK_FALSE(bearer_token("Bear abc"));
}

TEST_CASE("the patient's side: INVISIBLE_PATIENT hides from both, INVISIBLE_REPRESENTANTS_LEGAUX from representatives") {
    DocumentSummary normal{"d1", "10", "810000000015", {}};
    DocumentSummary hidden_patient{"d2", "10", "810000000015", {kInvisiblePatient}};
    DocumentSummary hidden_reps{"d3", "10", "810000000015", {kInvisibleRepresentants}};
    DocumentSummary masked{"d4", "10", "810000000015", {kMasquePs}};
    for (auto side : {PatientSide::Patient, PatientSide::LegalRepresentative}) {
        CHECK(may_see(normal, side));
        CHECK_FALSE(may_see(hidden_patient, side));
        CHECK(may_see(masked, side));  // MASQUE_PS hides from professionals, not from the patient who masked it
    }
    CHECK(may_see(hidden_reps, PatientSide::Patient));
    CHECK_FALSE(may_see(hidden_reps, PatientSide::LegalRepresentative));
    CHECK(to_string(PatientSide::LegalRepresentative) == "legal-representative");
}
