// Commands as real clients send them (Thunderbird, Outlook, Apple Mail, mutt, isync/mbsync,
// interimap, imtest), parsed into their typed arguments.
#include <doctest/doctest.h>

#include "imap/parse/command.h"

using namespace mss::imap;
using namespace std::literals;

namespace {

Command ok(std::string_view text, const ParseOptions& options = {}) {
    auto parsed = parse_command(text, options);
    if (auto* r = std::get_if<Response>(&parsed)) FAIL_CHECK("refused: ", text, " -> ", format_response(*r));
    REQUIRE(std::holds_alternative<Command>(parsed));
    return std::get<Command>(std::move(parsed));
}

template <class T>
T args(std::string_view text, const ParseOptions& options = {}) {
    Command c = ok(text, options);
    REQUIRE(std::holds_alternative<T>(c.args));
    return std::get<T>(std::move(c.args));
}

SequenceSet seq(std::string_view text) { return std::get<SequenceSet>(parse_sequence_set(text)); }

}  // namespace

TEST_CASE("commands without arguments, any case") {
    struct {
        const char* text;
        Verb verb;
    } cases[] = {
        {"1 capability", Verb::Capability}, {"A001 NOOP", Verb::Noop},     {"a0000 LOGOUT", Verb::Logout},
        {"C01 STARTTLS", Verb::StartTls},   {"5 namespace", Verb::Namespace}, {"11 IDLE", Verb::Idle},
        {"x CHECK", Verb::Check},           {"x close", Verb::Close},       {"x UNSELECT", Verb::Unselect},
        {"x EXPUNGE", Verb::Expunge},
    };
    for (auto& c : cases) {
        Command cmd = ok(c.text);
        CHECK(cmd.verb == c.verb);
        CHECK_FALSE(cmd.uid);
        CHECK(std::holds_alternative<NoArgs>(cmd.args));
    }
    CHECK(ok("1.1 CAPABILITY").tag == "1.1");  // Apple Mail's tags
    CHECK(verb_name(Verb::GetQuotaRoot) == "GETQUOTAROOT");
}

TEST_CASE("Thunderbird") {
    auto id = args<IdArgs>("3 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")");
    REQUIRE(id.fields);
    REQUIRE(id.fields->size() == 2);
    CHECK((*id.fields)[1].first == "version");
    CHECK((*id.fields)[1].second == "115.3.1");

    auto auth = args<AuthenticateArgs>("2 authenticate PLAIN");
    CHECK(auth.mechanism == "PLAIN");
    CHECK_FALSE(auth.initial_response);

    auto sel = args<SelectArgs>("7 select \"INBOX\" (CONDSTORE)");
    CHECK(sel.mailbox == "INBOX");
    CHECK(sel.condstore);

    auto f = args<FetchArgs>(
        "9 UID fetch 123 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID "
        "Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])");
    REQUIRE(f.attributes.size() == 4);
    CHECK(f.attributes[3].item == FetchItem::BodySection);
    CHECK(f.attributes[3].peek);
    CHECK(f.attributes[3].section.text == SectionText::HeaderFields);
    CHECK(f.attributes[3].section.fields.size() == 14);
    CHECK(f.attributes[3].section.fields[0] == "FROM");

    auto cs = args<FetchArgs>("10 UID fetch 1:* (FLAGS) (CHANGEDSINCE 12345)");
    CHECK(cs.changed_since == 12345u);
    CHECK(cs.set == seq("1:*"));

    auto st = args<StoreArgs>("12 uid store 5 +Flags (\\Seen)");
    CHECK(st.mode == StoreMode::Add);
    CHECK_FALSE(st.silent);
    CHECK(st.flags == std::vector<std::string>{"\\Seen"});

    Command mv = ok("13 UID MOVE 5 \"Trash\"");
    CHECK(mv.verb == Verb::Move);
    CHECK(mv.uid);
    CHECK(std::get<CopyArgs>(mv.args).mailbox == "Trash");

    auto ap = args<AppendArgs>("14 append \"Sent\" (\\Seen) {12+}\r\nSubject: hi\n");
    CHECK(ap.mailbox == "Sent");
    REQUIRE(ap.messages.size() == 1);
    CHECK(ap.messages[0].flags == std::vector<std::string>{"\\Seen"});
    CHECK(ap.messages[0].data == "Subject: hi\n");

    auto status = args<StatusArgs>("16 STATUS \"Sent\" (UIDNEXT MESSAGES UNSEEN RECENT)");
    CHECK(status.items ==
          std::vector<StatusItem>{StatusItem::UidNext, StatusItem::Messages, StatusItem::Unseen, StatusItem::Recent});

    CHECK(args<MailboxArgs>("17 getquotaroot \"INBOX\"").mailbox == "INBOX");
    CHECK(args<MailboxArgs>("18 myrights \"INBOX\"").mailbox == "INBOX");
    CHECK(args<UidExpungeArgs>("19 UID EXPUNGE 5").uids == seq("5"));

    auto list = args<ListArgs>("6 list (subscribed) \"\" \"*\" return (special-use)");
    CHECK(list.extended);
    CHECK(list.select_subscribed);
    CHECK(list.return_special_use);
    CHECK(list.patterns == std::vector<std::string>{"*"});
    CHECK(args<EnableArgs>("4 ENABLE UTF8=ACCEPT").capabilities == std::vector<std::string>{"UTF8=ACCEPT"});
}

TEST_CASE("Outlook") {
    auto login = args<LoginArgs>("9gn6 LOGIN jean.dupont@cab.mssante.fr \"p@ss w\\\"d\"");
    CHECK(login.user == "jean.dupont@cab.mssante.fr");
    CHECK(login.password == "p@ss w\"d");
    auto f = args<FetchArgs>("A5 UID FETCH 1:14 (UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER])");
    CHECK(f.attributes.size() == 5);
    CHECK(f.attributes[4].section.text == SectionText::Header);
    auto st = args<StoreArgs>("A6 uid store 1 +FLAGS.SILENT (\\Deleted)");
    CHECK(st.silent);
    CHECK(st.flags == std::vector<std::string>{"\\Deleted"});
    CHECK(args<ListArgs>("A7 LIST \"\" \"*\"").patterns == std::vector<std::string>{"*"});
}

TEST_CASE("Apple Mail") {
    auto id = args<IdArgs>(
        "2.1 ID (\"name\" \"Mac OS X Mail\" \"version\" \"16.0 (3731.500.231)\" \"os\" \"Mac OS X\" \"os-version\" "
        "\"13.4 (22F66)\" \"vendor\" \"Apple Inc.\")");
    CHECK(id.fields->size() == 5);
    auto delim = args<ListArgs>("4.1 LIST \"\" \"\"");
    CHECK(delim.patterns == std::vector<std::string>{""});
    CHECK_FALSE(delim.extended);
    auto su = args<ListArgs>("5.1 LIST (SPECIAL-USE) \"\" \"*\"");
    CHECK(su.select_special_use);
    auto search = args<SearchArgs>("8.1 UID SEARCH 1:* NOT DELETED");
    REQUIRE(search.criteria.children.size() == 2);
    CHECK(search.criteria.children[1].kind == SearchKeyKind::Not);
    CHECK(search.criteria.children[1].children.at(0).kind == SearchKeyKind::Deleted);
    auto f = args<FetchArgs>("9.1 UID FETCH 34 (BODYSTRUCTURE BODY.PEEK[HEADER] BODY.PEEK[1.MIME] BODY.PEEK[2]<0.8192>)");
    REQUIRE(f.attributes.size() == 4);
    CHECK(f.attributes[2].section.part == std::vector<uint32_t>{1});
    CHECK(f.attributes[2].section.text == SectionText::Mime);
    CHECK(f.attributes[3].partial == Partial{0, 8192});
    CHECK(response_name(f.attributes[3]) == "BODY[2]<0>");
    auto ap = args<AppendArgs>("10.1 APPEND \"Drafts\" (\\Seen \\Draft) \"21-Jun-2023 10:14:52 +0200\" {3}\r\nabc");
    REQUIRE(ap.messages.at(0).internal_date);
    const DateTime& t = *ap.messages[0].internal_date;
    CHECK(t.date == Date{2023, 6, 21});
    CHECK(t.zone_minutes == 120);
    CHECK(t.unix_time() == 1687335292);
}

TEST_CASE("mutt") {
    auto auth = args<AuthenticateArgs>("a0001 AUTHENTICATE PLAIN AGdwQGEuZnIAcHc=");
    CHECK(auth.initial_response == "AGdwQGEuZnIAcHc=");
    auto f = args<FetchArgs>(
        "a0006 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC "
        "MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL "
        "X-ORIGINAL-TO)])");
    CHECK(f.attributes.size() == 5);
    CHECK(args<CopyArgs>("a0008 UID COPY 12 \"Archive\"").set == seq("12"));
    auto search = args<SearchArgs>("a0011 UID SEARCH CHARSET UTF-8 SUBJECT {6}\r\ncaf\xC3\xA9!");
    CHECK(search.charset == "UTF-8");
    CHECK(search.criteria.children.at(0).kind == SearchKeyKind::Subject);
    CHECK(search.criteria.children.at(0).text == "caf\xC3\xA9!");
    CHECK(args<StatusArgs>("a0010 STATUS \"INBOX\" (MESSAGES)").items == std::vector<StatusItem>{StatusItem::Messages});
}

TEST_CASE("isync/mbsync") {
    CHECK(args<FetchArgs>("3 UID FETCH 1:1000000000 (UID FLAGS)").set.count(2000000000) == 1000000000u);
    auto f = args<FetchArgs>("4 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (X-TUID)])");
    CHECK(f.attributes[2].section.fields == std::vector<std::string>{"X-TUID"});
    auto ap = args<AppendArgs>("5 APPEND \"INBOX\" (\\Seen) \" 1-Jan-2023 12:00:00 +0000\" {4+}\r\nabcd");
    CHECK(ap.messages[0].internal_date->date == Date{2023, 1, 1});
    auto st = args<StoreArgs>("6 UID STORE 1:3,5 +FLAGS.SILENT (\\Deleted)");
    CHECK(st.set.ranges.size() == 2);
}

TEST_CASE("interimap: QRESYNC") {
    CHECK(args<EnableArgs>("1 ENABLE QRESYNC").capabilities == std::vector<std::string>{"QRESYNC"});
    auto sel = args<SelectArgs>("2 SELECT INBOX (QRESYNC (1617892749 1234 1:100))");
    REQUIRE(sel.qresync);
    CHECK(sel.qresync->uidvalidity == 1617892749u);
    CHECK(sel.qresync->modseq == 1234u);
    CHECK(sel.qresync->known_uids == seq("1:100"));
    auto full = args<SelectArgs>("3 EXAMINE \"Sent\" (QRESYNC (67890007 90060115194045000 41,43:211,214:541 (1:5,10 41:45,50)))");
    REQUIRE(full.qresync);
    CHECK(full.qresync->known_sequence == seq("1:5,10"));
    CHECK(full.qresync->known_sequence_uids == seq("41:45,50"));
    auto bare = args<SelectArgs>("4 SELECT INBOX (QRESYNC (1 2 (1 5)) CONDSTORE)");
    CHECK_FALSE(bare.qresync->known_uids);
    CHECK(bare.condstore);
    auto f = args<FetchArgs>("5 UID FETCH 1:* (MODSEQ FLAGS) (CHANGEDSINCE 1234 VANISHED)");
    CHECK(f.vanished);
    CHECK(f.attributes[0].item == FetchItem::ModSeq);
    auto ls = args<ListArgs>("6 LIST \"\" \"*\" RETURN (STATUS (UIDVALIDITY UIDNEXT HIGHESTMODSEQ))");
    REQUIRE(ls.return_status);
    CHECK(ls.return_status->size() == 3);
    auto st = args<StoreArgs>("7 UID STORE 12 (UNCHANGEDSINCE 42) +FLAGS.SILENT (\\Seen)");
    CHECK(st.unchanged_since == 42u);
}

TEST_CASE("imtest") {
    auto a = args<AuthenticateArgs>("A01 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==");
    CHECK(a.initial_response == "AHVzZXIAcGFzcw==");
    CHECK(args<AuthenticateArgs>("A02 AUTHENTICATE EXTERNAL =").initial_response == "=");
    CHECK(args<AuthenticateArgs>("A03 authenticate scram-sha-256").mechanism == "SCRAM-SHA-256");
}

TEST_CASE("mailbox management, ACL, quota") {
    CHECK(args<CreateArgs>("1 CREATE \"Archive/2024\"").mailbox == "Archive/2024");
    auto use = args<CreateArgs>("2 CREATE Brouillons (USE (\\drafts \\X-Custom))");
    CHECK(use.special_use == std::vector<std::string>{"\\Drafts", "\\X-Custom"});
    auto rn = args<RenameArgs>("3 RENAME inbox/old Archive");
    CHECK(rn.from == "INBOX/old");
    CHECK(rn.to == "Archive");
    CHECK(ok("4 SUBSCRIBE Archive").verb == Verb::Subscribe);
    CHECK(ok("5 UNSUBSCRIBE Archive").verb == Verb::Unsubscribe);
    CHECK(ok("6 DELETE Archive").verb == Verb::Delete);
    auto lsub = args<ListArgs>("7 LSUB \"\" \"%\"");
    CHECK(lsub.patterns == std::vector<std::string>{"%"});
    auto multi = args<ListArgs>("8 LIST (REMOTE SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" \"Archive/%\") RETURN (CHILDREN)");
    CHECK(multi.select_recursive_match);
    CHECK(multi.patterns.size() == 2);
    CHECK(multi.return_children);

    auto set = args<AclArgs>("9 SETACL cabinet secretariat@cab.mssante.fr +lrsw0");
    CHECK(set.mode == StoreMode::Add);
    CHECK(set.rights == "lrsw0");
    CHECK(args<AclArgs>("10 SETACL cabinet bob \"\"").rights.empty());
    CHECK(args<AclArgs>("11 DELETEACL cabinet bob").identifier == "bob");
    CHECK(ok("12 LISTRIGHTS cabinet bob").verb == Verb::ListRights);
    CHECK(ok("13 GETACL cabinet").verb == Verb::GetAcl);
    CHECK(args<QuotaRootArgs>("14 GETQUOTA \"\"").root.empty());
    auto q = args<SetQuotaArgs>("15 SETQUOTA \"\" (STORAGE 512 message 1000)");
    REQUIRE(q.limits.size() == 2);
    CHECK(q.limits[1] == std::pair<std::string, uint64_t>{"MESSAGE", 1000});
    CHECK(args<IdArgs>("16 ID NIL").fields == std::nullopt);
    auto status = args<StatusArgs>("17 STATUS Archive (DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)");
    CHECK(status.items.size() == 4);
}

TEST_CASE("APPEND variants") {
    auto multi = args<AppendArgs>("1 APPEND Sent {3+}\r\nabc (\\Answered $Forwarded) {2+}\r\nde ~{3+}\r\nf\0g"sv);
    REQUIRE(multi.messages.size() == 3);
    CHECK(multi.messages[1].flags == std::vector<std::string>{"\\Answered", "$Forwarded"});
    CHECK(multi.messages[2].binary);
    auto utf8 = args<AppendArgs>("2 APPEND INBOX UTF8 (~{2}\r\nhi)");
    CHECK(utf8.messages[0].utf8);
    CHECK(utf8.messages[0].data == "hi");
    CHECK(args<AppendArgs>("3 APPEND INBOX () {0}\r\n").messages[0].data.empty());
}

TEST_CASE("SORT and THREAD") {
    auto s = args<SortArgs>("1 UID SORT (REVERSE ARRIVAL subject) UTF-8 SINCE 1-Feb-1994");
    REQUIRE(s.criteria.size() == 2);
    CHECK(s.criteria[0] == SortCriterion{true, SortKey::Arrival});
    CHECK(s.charset == "UTF-8");
    CHECK(s.search.children.at(0).kind == SearchKeyKind::Since);
    auto t = args<ThreadArgs>("2 THREAD references US-ASCII ALL");
    CHECK(t.algorithm == "REFERENCES");
}

TEST_CASE("mailbox names: INBOX, modified UTF-7, UTF-8 when enabled") {
    CHECK(args<SelectArgs>("1 SELECT inbox").mailbox == "INBOX");
    CHECK(args<SelectArgs>("1 SELECT InBoX/Sub").mailbox == "INBOX/Sub");
    CHECK(args<SelectArgs>("1 SELECT INBOXES").mailbox == "INBOXES");
    CHECK(args<SelectArgs>("1 SELECT \"&AMk-l&AOk-ments envoy&AOk-s\"").mailbox == "\xC3\x89l\xC3\xA9ments envoy\xC3\xA9s");
    CHECK(args<SelectArgs>("1 SELECT \"Tom &- Jerry\"").mailbox == "Tom & Jerry");
    ParseOptions utf8;
    utf8.utf8_names = true;
    CHECK(args<SelectArgs>("1 SELECT \"\xC3\x89l\xC3\xA9ments\"", utf8).mailbox == "\xC3\x89l\xC3\xA9ments");
    CHECK(args<SelectArgs>("1 SELECT \"Tom & Jerry\"", utf8).mailbox == "Tom & Jerry");
}
