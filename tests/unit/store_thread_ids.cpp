// What the store keeps for THREADID (RFC 8474 5.2): one thread per conversation, found from the
// msg-ids a message names when it is stored, whatever order the messages come in.
#include <doctest/doctest.h>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

TEST_CASE("thread ids from References, In-Reply-To and Message-ID") {
    unit_test::TempDir dir;
    auto s = std::move(open_sqlite(dir.path / "s.db")).value();
    NewAccount n;
    n.address = "a@x.fr";
    REQUIRE(s->create_account(n));
    std::vector<std::string> none;
    auto add = [&](std::string header) { REQUIRE(s->append("a@x.fr", "INBOX", header + "\r\nbody\r\n", none, 1000)); };
    add("Message-ID: <root@x.fr>\r\n");
    add("Message-ID: <reply@x.fr>\r\nIn-Reply-To: <root@x.fr>\r\n");
    add("Message-ID: <other@x.fr>\r\n");
    add("Subject: no ids\r\n");
    add("Message-ID: <early@x.fr>\r\nReferences: <missing-root@x.fr> <late@x.fr>\r\n");
    add("Message-ID: <late@x.fr>\r\n");
    add("Message-ID: <root@x.fr>\r\n");  // the same Message-ID again: the same thread
    auto m = *s->list_messages("a@x.fr", "INBOX");
    REQUIRE(m.size() == 7);
    for (const auto& message : m) {
        CHECK(message.thread_id.size() == 25);
        CHECK(message.thread_id.front() == 'T');
    }
    CHECK(m[0].thread_id == m[1].thread_id);
    CHECK(m[0].thread_id == m[6].thread_id);
    CHECK(m[2].thread_id != m[0].thread_id);
    CHECK(m[3].thread_id != m[0].thread_id);
    CHECK(m[3].thread_id != m[2].thread_id);
    CHECK(m[4].thread_id == m[5].thread_id);
    CHECK(m[4].thread_id != m[0].thread_id);

    std::vector<uint32_t> first{m[0].uid};
    REQUIRE(s->copy("a@x.fr", "INBOX", first, "a@x.fr", "Archive", false));
    CHECK(s->list_messages("a@x.fr", "Archive")->at(0).thread_id == m[0].thread_id);
    // a changes_since row carries it too (what refresh reads)
    auto changes = s->changes_since("a@x.fr", "INBOX", 0);
    REQUIRE(changes);
    CHECK(changes->changed.at(1).thread_id == m[1].thread_id);
}
