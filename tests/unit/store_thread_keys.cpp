// THREADID under concurrency and after expunges (issue 13): messages of one new thread stored at the
// same moment by several threads (APPENDs and SMTP deliveries) share one thread id; a thread's
// msg-ids are forgotten with its last stored content.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "store/store.h"
#include "temp_dir.h"

using namespace mss;
using namespace mss::store;

namespace {

std::string reply(int n) {
    return "Message-ID: <reply" + std::to_string(n) + "@x.fr>\r\nReferences: <root@x.fr>\r\n\r\nbody\r\n";
}

}  // namespace

TEST_CASE("replies to one unseen original stored at the same moment share one thread id") {
    constexpr int kWriters = 8;
    unit_test::TempDir dir;
    auto s = std::move(open_sqlite(dir.path / "s.db")).value();
    NewAccount n;
    n.address = "a@x.fr";
    auto account = s->create_account(n);
    REQUIRE(account);
    std::atomic<int> ready = 0;
    std::atomic<int> failures = 0;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            ++ready;
            while (ready.load() < kWriters) std::this_thread::yield();
            std::vector<std::string> none;
            if (w % 2 == 0) {
                if (!s->append("a@x.fr", "INBOX", reply(w), none, 1000)) ++failures;
                return;
            }
            Delivery d;
            d.return_path = "b@y.fr";
            d.account_ids = {account->id};
            d.content = reply(w);
            d.internal_date = 1000;
            auto out = s->deliver_batch(std::span<const Delivery>(&d, 1));
            if (out.size() != 1 || !out[0]) ++failures;
        });
    for (auto& t : writers) t.join();
    REQUIRE(failures.load() == 0);
    std::vector<std::string> none;
    REQUIRE(s->append("a@x.fr", "INBOX", "Message-ID: <root@x.fr>\r\n\r\noriginal\r\n", none, 1000));
    auto m = *s->list_messages("a@x.fr", "INBOX");
    REQUIRE(m.size() == kWriters + 1);
    std::set<std::string> threads;
    for (const auto& message : m) threads.insert(message.thread_id);
    CHECK(threads.size() == 1);
    CHECK(!threads.begin()->empty());
}

TEST_CASE("a thread's msg-ids go with its last message, not before") {
    unit_test::TempDir dir;
    auto s = std::move(open_sqlite(dir.path / "s.db")).value();
    NewAccount n;
    n.address = "a@x.fr";
    REQUIRE(s->create_account(n));
    std::vector<std::string> none;
    auto uid_of = [&](std::string content) { return *s->append("a@x.fr", "INBOX", content, none, 1000); };
    auto thread_of = [&](uint32_t uid) {
        auto listed = s->list_messages("a@x.fr", "INBOX");
        REQUIRE(listed);
        auto it = std::find_if(listed->begin(), listed->end(), [&](const MessageSummary& m) { return m.uid == uid; });
        return it == listed->end() ? std::string() : it->thread_id;
    };
    uint32_t root = uid_of("Message-ID: <root@x.fr>\r\n\r\noriginal\r\n");
    uint32_t first = uid_of(reply(1));
    auto remove = [&](std::vector<uint32_t> uids) {
        std::vector<std::string> deleted{"\\Deleted"};
        REQUIRE(s->update_flags("a@x.fr", "INBOX", uids, FlagMode::Add, deleted));
        REQUIRE(s->expunge("a@x.fr", "INBOX", std::nullopt));
    };
    std::string thread = thread_of(root);
    REQUIRE(thread_of(first) == thread);

    // One message of the thread left: its msg-ids still join a late reply.
    remove({root});
    uint32_t second = uid_of(reply(2));
    CHECK(thread_of(second) == thread);

    // None left: the msg-ids went with them, and a reply starts a thread of its own.
    remove({first, second});
    REQUIRE(s->list_messages("a@x.fr", "INBOX")->empty());
    std::string fresh = thread_of(uid_of(reply(3)));
    CHECK(!fresh.empty());
    CHECK(fresh != thread);
}
