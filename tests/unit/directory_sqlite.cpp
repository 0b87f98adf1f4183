// The SQLite directory: imports work out what was added, changed and withdrawn, apply it all or
// nothing, and readers see the directory they started with until it is committed.
#include <doctest/doctest.h>

#include <fstream>

#include <sqlite3.h>

#include "directory/directory.h"
#include "directory/import.h"
#include "temp_dir.h"

using namespace mss::directory;

namespace {

MailboxEntry mailbox(const std::string& address, uint64_t fingerprint = 1) {
    MailboxEntry e;
    e.address = address;
    e.type = MailboxType::Per;
    e.ps_idnat = "810001045367";
    e.family = "DUPONT";
    e.given = "Hélène";
    e.postcode = "75013";
    e.fingerprint = fingerprint;
    return e;
}

ImportCounts import(Directory& d, std::initializer_list<MailboxEntry> entries) {
    auto session = std::move(d.begin_import(ExtractionKind::Correspondance)).value();
    for (const auto& e : entries) REQUIRE(session->add(e).value());
    auto n = session->commit("test.txt", entries.size(), 0);
    REQUIRE(n.ok());
    return *n;
}

SearchQuery query(std::optional<std::string> SearchQuery::*criterion, std::string value) {
    SearchQuery q;
    q.*criterion = std::move(value);
    return q;
}

}  // namespace

TEST_CASE("imports count what was added, changed, withdrawn and unchanged") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    auto first = import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr"), mailbox("c@x.fr")});
    CHECK(first.added == 3);
    auto second = import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr", 2), mailbox("d@x.fr")});
    CHECK(second.added == 1);
    CHECK(second.changed == 1);
    CHECK(second.withdrawn == 1);
    CHECK(second.unchanged == 1);
    CHECK_FALSE(d->find_mailbox("c@x.fr").value().has_value());
    REQUIRE(d->find_mailbox("b@x.fr").value().has_value());
    CHECK(d->find_mailbox("b@x.fr").value()->fingerprint == 2);
    auto st = d->status().value();
    CHECK(st.mailboxes == 3);
    REQUIRE(st.imports.size() == 1);
    CHECK(st.imports[0].kind == "correspondance");
    CHECK(st.imports[0].counts.withdrawn == 1);
}

TEST_CASE("a duplicate key in one file is reported, not staged") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    auto session = std::move(d->begin_import(ExtractionKind::Correspondance)).value();
    CHECK(session->add(mailbox("a@x.fr")).value());
    CHECK_FALSE(session->add(mailbox("a@x.fr", 7)).value());
}

TEST_CASE("an import not committed changes nothing; readers keep the old directory meanwhile") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    import(*d, {mailbox("a@x.fr")});
    auto reader = std::move(open_sqlite_directory(tmp.path / "directory.db", {.read_only = true})).value();
    {
        auto session = std::move(d->begin_import(ExtractionKind::Correspondance)).value();
        REQUIRE(session->add(mailbox("b@x.fr")).value());
        CHECK(reader->find_mailbox("a@x.fr").value().has_value());  // while the import runs
    }
    CHECK(reader->find_mailbox("a@x.fr").value().has_value());
    CHECK_FALSE(reader->find_mailbox("b@x.fr").value().has_value());
    import(*d, {mailbox("b@x.fr")});
    CHECK_FALSE(reader->find_mailbox("a@x.fr").value().has_value());  // seen at the next look-up
    CHECK_FALSE(reader->begin_import(ExtractionKind::Correspondance).ok());
}

TEST_CASE("search by PS_IdNat, name, address, postcode, with paging") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    auto other = mailbox("zz@y.fr");
    other.family = "MARTIN";
    other.given = "Paul";
    other.ps_idnat = "810000005479";
    other.postcode = "69003";
    import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr"), other});
    CHECK(d->search(query(&SearchQuery::ps_idnat, "810000005479")).value().size() == 1);
    CHECK(d->search(query(&SearchQuery::name, "dup")).value().size() == 2);
    CHECK(d->search(query(&SearchQuery::name, "pau")).value().size() == 1);
    CHECK(d->search(query(&SearchQuery::name, "100%")).value().empty());
    CHECK(d->search(query(&SearchQuery::address, "@x.")).value().size() == 2);
    CHECK(d->search(query(&SearchQuery::postcode, "69003")).value().at(0).address == "zz@y.fr");
    SearchQuery second;
    second.offset = 1;
    second.limit = 1;
    auto page = d->search(second).value();
    REQUIRE(page.size() == 1);
    CHECK(page[0].address == "b@x.fr");
}

TEST_CASE("whitelist replaced whole, domains looked up") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    std::vector<WhitelistEntry> w = {{"chu-x.mssante.fr", "CN=1", "", "", "", ""},
                                     {"chu-x.mssante.fr", "CN=2", "", "", "", ""}};
    CHECK(d->replace_whitelist(w, "w.xml").value().added == 2);
    CHECK(d->domain_whitelisted("chu-x.mssante.fr").value());
    CHECK(d->whitelist_entries("chu-x.mssante.fr").value().size() == 2);
    w = {{"labo.mssante.fr", "CN=3", "", "", "", ""}, {"chu-x.mssante.fr", "CN=2", "x", "", "", ""}};
    auto n = d->replace_whitelist(w, "w2.xml").value();
    CHECK(n.added == 1);
    CHECK(n.changed == 1);
    CHECK(n.withdrawn == 1);
    CHECK(d->status().value().whitelisted_domains == 2);
}

TEST_CASE("the operator DNs of the whitelist, each once") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    std::vector<WhitelistEntry> w = {{"a.mssante.fr", "CN=op1", "", "", "", ""},
                                     {"b.mssante.fr", "CN=op1", "", "", "", ""},
                                     {"c.mssante.fr", "CN=op2", "", "", "", ""}};
    REQUIRE(d->replace_whitelist(w, "w.xml"));
    CHECK(d->operator_dns().value() == std::vector<std::string>{"CN=op1", "CN=op2"});
}

TEST_CASE("a file refused whole leaves the directory as it was") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    import(*d, {mailbox("a@x.fr")});
    std::string header;
    for (auto name : published_header(ExtractionKind::Correspondance)) header += (header.empty() ? "" : "|") + std::string(name);
    std::string row = "PER|b@x.fr|8|10001045367|810001045367";
    for (int i = 5; i < correspondance::kCount; ++i) row += "|";
    std::ofstream(tmp.path / "bad.txt") << header << "\n" << row << "\n" << "PER|c@x.fr|\xE9\n";
    std::vector<BadRow> bad;
    auto r = import_extraction(*d, tmp.path / "bad.txt", [&](const BadRow& b) { bad.push_back(b); });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("line 3") != std::string::npos);
    CHECK(d->find_mailbox("a@x.fr").value().has_value());
    CHECK_FALSE(d->find_mailbox("b@x.fr").value().has_value());
    std::ofstream(tmp.path / "good.txt") << header << "\n" << row << "\n" << row << "\n";
    auto ok = import_extraction(*d, tmp.path / "good.txt", [&](const BadRow& b) { bad.push_back(b); });
    REQUIRE(ok.ok());
    CHECK(ok->counts.added == 1);
    CHECK(ok->counts.withdrawn == 1);
    CHECK(ok->bad_rows == 1);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].line == 3);
    CHECK(bad[0].reason == "duplicate mailbox address");
}

TEST_CASE("activities: keyed by professional, structure, profession, mode and savoir-faire") {
    unit_test::TempDir tmp;
    auto d = std::move(open_sqlite_directory(tmp.path / "directory.db")).value();
    auto activity = [](std::string structure, uint64_t fingerprint) {
        ActivityEntry e;
        e.ps_idnat = "810001045367";
        e.profession_code = "10";
        e.structure_id = std::move(structure);
        e.fingerprint = fingerprint;
        return e;
    };
    auto run = [&](std::initializer_list<ActivityEntry> entries) {
        auto session = std::move(d->begin_import(ExtractionKind::PersonneActivite)).value();
        for (const auto& e : entries) REQUIRE(session->add(e).value());
        CHECK_FALSE(session->add(MailboxEntry{}).ok());  // not in an activity import
        return session->commit("a.txt", entries.size(), 0).value();
    };
    CHECK(run({activity("S1", 1), activity("S2", 1)}).added == 2);
    auto n = run({activity("S1", 2), activity("S3", 1)});
    CHECK(n.changed == 1);
    CHECK(n.added == 1);
    CHECK(n.withdrawn == 1);
    auto held = d->activities("810001045367").value();
    REQUIRE(held.size() == 2);
    CHECK(held[0].structure_id == "S1");
    CHECK(held[0].fingerprint == 2);
    CHECK(held[1].structure_id == "S3");
}

TEST_CASE("a first load builds the look-up indexes once at commit; an abandoned one leaves them as they were") {
    unit_test::TempDir tmp;
    const auto file = tmp.path / "directory.db";
    auto d = std::move(open_sqlite_directory(file)).value();
    auto indexes = [&] {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
        sqlite3_stmt* q = nullptr;
        sqlite3_prepare_v2(db, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' "
                               "AND tbl_name = 'mailboxes' AND sql IS NOT NULL ORDER BY name)", -1, &q, nullptr);
        std::string names;
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            names = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        sqlite3_close(db);
        return names;
    };
    const std::string before = indexes();
    REQUIRE(before.find("mailboxes_by_structure") != std::string::npos);
    {
        auto abandoned = std::move(d->begin_import(ExtractionKind::Correspondance)).value();
        REQUIRE(abandoned->add(mailbox("a@x.fr")).value());
    }
    CHECK(indexes() == before);
    import(*d, {mailbox("a@x.fr"), mailbox("b@x.fr")});
    CHECK(indexes() == before);
    SearchQuery q;
    q.ps_idnat = "810001045367";
    CHECK(d->search(q)->size() == 2);
}
