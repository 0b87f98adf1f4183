// Personal mailboxes by PS_IdNat (what a Pro Santé Connect sign-in looks up): only personal ones,
// all of them, by address; none is an empty list, not an error.
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss::store;

TEST_CASE("personal_accounts_of: the professional's personal mailboxes only") {
    unit_test::TempDir d;
    auto s = std::move(open_sqlite(d.path / "s.db")).value();
    REQUIRE(s->create_account({"b.dupont@cab.fr", MailboxKind::Personal, "810001045367", "hash", {}}).ok());
    REQUIRE(s->create_account({"a.dupont@hop.fr", MailboxKind::Personal, "810001045367", "hash", {}}).ok());
    REQUIRE(s->create_account({"other@cab.fr", MailboxKind::Personal, "810002567773", "hash", {}}).ok());
    REQUIRE(s->create_account({"cabinet@cab.fr", MailboxKind::Organisational, {}, {}, {}}).ok());
    auto found = s->personal_accounts_of("810001045367");
    REQUIRE(found.ok());
    REQUIRE(found->size() == 2);
    CHECK((*found)[0].address == "a.dupont@hop.fr");
    CHECK((*found)[1].address == "b.dupont@cab.fr");
    auto none = s->personal_accounts_of("899999999999");
    REQUIRE(none.ok());
    CHECK(none->empty());
    CHECK(s->personal_accounts_of("")->empty());
}
