// The msg-id lists and thread keys THREAD and THREADID read (core/message_ids.h).
#include <doctest/doctest.h>

#include "core/message_ids.h"

using namespace mss;

TEST_CASE("thread keys: Message-ID, References before In-Reply-To, folded fields, comments") {
    auto k = thread_keys("Subject: x\r\nMessage-ID: <own@a.fr>\r\nIn-Reply-To: <parent@a.fr>\r\n"
                         "References: <root@a.fr>\r\n (a comment <not-an-id@a.fr>)\r\n\t<parent@a.fr>\r\n\r\n"
                         "References: <in-body@a.fr>\r\n");
    CHECK(k.message_id == "own@a.fr");
    CHECK(k.references == std::vector<std::string>{"root@a.fr", "parent@a.fr"});
    auto reply = thread_keys("message-id:<r@b.fr>\nin-reply-to: \"quoted <q@b.fr>\" <p@b.fr> <p2@b.fr>\n\nbody");
    CHECK(reply.message_id == "r@b.fr");
    CHECK(reply.references == std::vector<std::string>{"p@b.fr"});
    auto none = thread_keys("Subject: nothing\r\n\r\nMessage-ID: <body@c.fr>\r\n");
    CHECK(none.message_id.empty());
    CHECK(none.references.empty());
    CHECK(thread_keys("").message_id.empty());
    CHECK(thread_keys("Message-ID: <unterminated@c.fr\r\n\r\n").message_id.empty());
}

TEST_CASE("thread keys keep References' root and the last ones") {
    std::string refs = "References:";
    for (int i = 0; i < 100; ++i) refs += " <r" + std::to_string(i) + "@x.fr>";
    auto k = thread_keys(refs + "\r\n\r\n", 4);
    CHECK(k.references == std::vector<std::string>{"r0@x.fr", "r97@x.fr", "r98@x.fr", "r99@x.fr"});
    CHECK(message_ids("<a@b> <c@d> <e@f>", 2) == std::vector<std::string>{"c@d", "e@f"});
}
