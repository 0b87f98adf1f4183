// The extraction reader: header by name (both formats, " structure BAL" variants, trailing '|'),
// CR/LF mixtures, BOM, UTF-8 only, bounded lines, rows in published order, bad rows reported.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "directory/entries.h"
#include "directory/extraction.h"

using namespace mss::directory;

namespace {

std::string header(ExtractionKind kind, bool trailing_bar = false) {
    std::string out;
    for (auto name : published_header(kind)) out += (out.empty() ? "" : "|") + std::string(name);
    return trailing_bar ? out + "|" : out;
}

// A Correspondance row with the given values at the given columns, the rest empty.
std::string row(std::initializer_list<std::pair<int, std::string>> values, bool trailing_bar = false) {
    std::vector<std::string> f(correspondance::kCount);
    for (auto& [c, v] : values) f[static_cast<std::size_t>(c)] = v;
    std::string out;
    for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "|" : "") + f[i];
    return trailing_bar ? out + "|" : out;
}

std::string per(const std::string& address, const std::string& ps_idnat = "810001045367") {
    using namespace correspondance;
    return row({{TypeBal, "PER"}, {Adresse, address}, {TypeIdPp, "8"}, {IdPp, ps_idnat.substr(1)},
                {IdNatPp, ps_idnat}, {Nom, "DUPONT"}, {Prenom, "Hélène"}});
}

struct Read {
    mss::Status status = mss::Ok{};
    std::vector<std::vector<std::string>> rows;
    std::vector<std::size_t> lines;
    std::vector<BadRow> bad;
    std::optional<ExtractionKind> kind;
};

// Feeds the text in pieces of `piece` octets (every boundary a chance to split a CRLF or the BOM).
Read read(const std::string& text, std::size_t piece = 7) {
    Read r;
    ExtractionReader reader;
    auto visit = [&](const RawRow& row) {
        r.rows.emplace_back(row.fields.begin(), row.fields.end());
        r.lines.push_back(row.line);
    };
    auto reject = [&](const BadRow& b) { r.bad.push_back(b); };
    for (std::size_t at = 0; at < text.size() && r.status.ok(); at += piece)
        r.status = reader.feed(std::string_view(text).substr(at, piece), visit, reject);
    if (r.status.ok()) r.status = reader.finish(visit, reject);
    r.kind = reader.kind();
    return r;
}

}  // namespace

TEST_CASE("a Correspondance file, in pieces of every size, gives its rows in published order") {
    std::string text = header(ExtractionKind::Correspondance) + "\r\n" + per("a@x.mssante.fr") + "\r\n" +
                       per("b@x.mssante.fr") + "\r\n";
    for (std::size_t piece : {1, 2, 3, 7, 64, 100000}) {
        Read r = read(text, piece);
        REQUIRE_MESSAGE(r.status.ok(), piece);
        CHECK(r.kind == ExtractionKind::Correspondance);
        REQUIRE(r.rows.size() == 2);
        CHECK(r.rows[1][correspondance::Adresse] == "b@x.mssante.fr");
        CHECK(r.rows[0][correspondance::Prenom] == "Hélène");
        CHECK(r.lines == std::vector<std::size_t>{2, 3});
    }
}

TEST_CASE("columns are found by name in any order, with or without the ' structure BAL' suffix") {
    auto names = published_header(ExtractionKind::Correspondance);
    std::string h = std::string(names[1]) + "|" + std::string(names[0]);
    for (std::size_t i = 2; i < names.size(); ++i) {
        std::string n(names[i]);
        if (n == "Code postal" || n == "L6LIGNEACHEMINEMENT") n += " structure BAL";
        if (n == "Raison Sociale structure BAL") n = "Raison Sociale";
        h += "|" + n;
    }
    std::string line = "x@y.mssante.fr|ORG";
    for (std::size_t i = 2; i < names.size(); ++i) line += i == 28 ? "|75013" : "|";
    Read r = read(h + "\n" + line + "\n");
    REQUIRE(r.status.ok());
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][correspondance::TypeBal] == "ORG");
    CHECK(r.rows[0][correspondance::Adresse] == "x@y.mssante.fr");
    CHECK(r.rows[0][correspondance::CodePostal] == "75013");
}

TEST_CASE("the activity file with its trailing '|' on every line") {
    std::vector<std::string> f(activite::kCount);
    f[activite::TypeIdPp] = "8";
    f[activite::IdPp] = "10001045367";
    f[activite::IdNatPp] = "810001045367";
    std::string line;
    for (std::size_t i = 0; i < f.size(); ++i) line += f[i] + "|";
    Read r = read(header(ExtractionKind::PersonneActivite, true) + "\n" + line + "\n");
    REQUIRE(r.status.ok());
    CHECK(r.kind == ExtractionKind::PersonneActivite);
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][activite::IdNatPp] == "810001045367");
}

TEST_CASE("CR, LF and CRLF line ends mixed in one file; a BOM; blank lines; no final line break") {
    std::string text = "\xEF\xBB\xBF" + header(ExtractionKind::Correspondance) + "\r" + per("a@x.fr") + "\n\n" +
                       per("b@x.fr") + "\r\n" + per("c@x.fr");
    for (std::size_t piece : {1, 2, 5, 1000}) {
        Read r = read(text, piece);
        REQUIRE(r.status.ok());
        REQUIRE(r.rows.size() == 3);
        CHECK(r.rows[2][correspondance::Adresse] == "c@x.fr");
        CHECK(r.lines == std::vector<std::size_t>{2, 4, 5});
    }
}

TEST_CASE("a file that is no extraction is refused whole, naming the line") {
    SUBCASE("empty") { CHECK_FALSE(read("").status.ok()); }
    SUBCASE("only a BOM") { CHECK_FALSE(read("\xEF\xBB\xBF").status.ok()); }
    SUBCASE("unknown column") {
        Read r = read(header(ExtractionKind::Correspondance) + "|Couleur préférée\n" + per("a@x.fr") + "\n");
        REQUIRE_FALSE(r.status.ok());
        CHECK(r.status.error().message.find("unknown column \"Couleur préférée\"") != std::string::npos);
        CHECK(r.rows.empty());
    }
    SUBCASE("missing column") {
        std::string h = header(ExtractionKind::Correspondance);
        h = h.substr(0, h.rfind('|'));
        Read r = read(h + "\n");
        REQUIRE_FALSE(r.status.ok());
        CHECK(r.status.error().message.find("missing column \"Pays\"") != std::string::npos);
    }
    SUBCASE("repeated column") {
        Read r = read(header(ExtractionKind::Correspondance) + "|Pays\n");
        REQUIRE_FALSE(r.status.ok());
        CHECK(r.status.error().message.find("repeated column") != std::string::npos);
    }
    SUBCASE("Latin-1 bytes in a row") {
        Read r = read(header(ExtractionKind::Correspondance) + "\n" + per("a@x.fr") + "\n" +
                      per("b@x.fr").replace(per("b@x.fr").find("Hélène"), 7, "H\xE9l\xE8ne") + "\n");
        REQUIRE_FALSE(r.status.ok());
        CHECK(r.status.error().message.find("line 3: not UTF-8") != std::string::npos);
    }
    SUBCASE("an over-long line") {
        Read r = read(header(ExtractionKind::Correspondance) + "\n" + std::string(20000, 'x') + "\n", 4096);
        REQUIRE_FALSE(r.status.ok());
        CHECK(r.status.error().message.find("line 2: longer than") != std::string::npos);
    }
}

TEST_CASE("a row with the wrong column count is set aside with its line; the others are read") {
    Read r = read(header(ExtractionKind::Correspondance) + "\n" + per("a@x.fr") + "|extra|\n" + per("b@x.fr") + "\n");
    REQUIRE(r.status.ok());
    REQUIRE(r.bad.size() == 1);
    CHECK(r.bad[0].line == 2);
    CHECK(r.bad[0].reason.find("33 columns where the header has 31") != std::string::npos);
    CHECK(r.rows.size() == 1);
}

TEST_CASE("row checks: PS_IdNat, type, address, FINESS") {
    using namespace correspondance;
    auto check = [](const std::string& line) {
        Read r = read(header(ExtractionKind::Correspondance) + "\n" + line + "\n");
        REQUIRE(r.rows.size() == 1);
        std::vector<std::string_view> fields(r.rows[0].begin(), r.rows[0].end());
        return mailbox_of(RawRow{2, fields});
    };
    auto good = check(per("Jean.Dupont@Medecin.mssante.fr"));
    REQUIRE(good.ok());
    CHECK(good->address == "jean.dupont@medecin.mssante.fr");
    CHECK(good->type == MailboxType::Per);
    CHECK(check(per("a@x.fr", "810001045368")).error().message.find("check digit") != std::string::npos);
    CHECK_FALSE(check(per("a@x.fr", "910001045367")).ok());
    CHECK(check(per("not an address")).error().message.find("not a mailbox address") != std::string::npos);
    CHECK_FALSE(check(row({{TypeBal, "XYZ"}, {Adresse, "a@x.fr"}})).ok());
    CHECK(check(row({{TypeBal, "PER"}, {Adresse, "a@x.fr"}})).error().message.find("without its PS_IdNat") !=
          std::string::npos);
    CHECK(check(row({{TypeBal, "ORG"}, {Adresse, "a@x.fr"}, {TypeIdStructure, "1"}, {IdStructure, "1750000017"}})).ok() ==
          false);
    CHECK(check(row({{TypeBal, "ORG"}, {Adresse, "a@x.fr"}, {TypeIdStructure, "1"}, {IdStructure, "1750000010"}})).ok());
    // The PS_IdNat must be the type followed by the identifier.
    CHECK_FALSE(check(row({{TypeBal, "PER"}, {Adresse, "a@x.fr"}, {TypeIdPp, "8"}, {IdPp, "10001045375"},
                           {IdNatPp, "810001045367"}})).ok());
}

TEST_CASE("the fingerprint follows every field of the row") {
    Read r = read(header(ExtractionKind::Correspondance) + "\n" + per("a@x.fr") + "\n" +
                  row({{correspondance::TypeBal, "PER"}, {correspondance::Adresse, "a@x.fr"},
                       {correspondance::TypeIdPp, "8"}, {correspondance::IdPp, "10001045367"},
                       {correspondance::IdNatPp, "810001045367"}, {correspondance::Nom, "DUPONT"},
                       {correspondance::Prenom, "Helene"}}) + "\n");
    REQUIRE(r.rows.size() == 2);
    std::vector<std::string_view> a(r.rows[0].begin(), r.rows[0].end()), b(r.rows[1].begin(), r.rows[1].end());
    CHECK(mailbox_of(RawRow{2, a})->fingerprint != mailbox_of(RawRow{3, b})->fingerprint);
    CHECK(mailbox_of(RawRow{2, a})->fingerprint == mailbox_of(RawRow{9, a})->fingerprint);
}
