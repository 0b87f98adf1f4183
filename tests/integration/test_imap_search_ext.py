"""IMAP search extensions of issue 13, part 2: ESORT, PARTIAL and CONTEXT=SEARCH (RFC 5267), over
raw TLS sessions so that each untagged ESEARCH line and each refusal can be checked exactly. Every
test works in a folder of its own, filled by APPEND, so the tests do not depend on each other."""
import re

from imap_raw import RawImap


def esearch(lines, tag):
    found = [line for line in lines if line.startswith(f'* ESEARCH (TAG "{tag}")')]
    assert len(found) == 1, lines
    return found[0][len(f'* ESEARCH (TAG "{tag}")'):]


def folder_with(server, name, subjects):
    """A new folder holding one message per subject, selected in a new session; the session and UIDs."""
    s = RawImap(server)
    s.ok(f"CREATE {name}")
    uids = [s.append(name, subject) for subject in subjects]
    s.ok(f"SELECT {name}")
    return s, uids


def test_esort_and_context_search_are_advertised(server):
    s = RawImap(server)
    caps = " ".join(s.ok("CAPABILITY")).split()
    assert "ESORT" in caps and "CONTEXT=SEARCH" in caps
    assert "CONTEXT=SORT" not in caps  # SORT results are not kept up to date
    s.close()


# ESORT (RFC 5267 section 3)

def test_sort_return_gives_min_max_count_all_in_sort_order(server):
    s, uids = folder_with(server, "esort1", ["cerise", "abricot", "banane", "datte"])
    lines = s.ok("SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL")
    # sort order by subject: 2 abricot, 3 banane, 1 cerise, 4 datte
    assert esearch(lines, f"t{s.tags}") == " MIN 2 MAX 4 COUNT 4 ALL 2:3,1,4"
    assert not any(line.startswith("* SORT") for line in lines)
    lines = s.ok("UID SORT RETURN (MIN MAX) (REVERSE SUBJECT) UTF-8 ALL")
    assert esearch(lines, f"t{s.tags}") == f" UID MIN {uids[3]} MAX {uids[1]}"
    # RETURN () is ALL; an empty result has no MIN, MAX or ALL but COUNT 0
    lines = s.ok("SORT RETURN () (ARRIVAL) UTF-8 ALL")
    assert esearch(lines, f"t{s.tags}") == " ALL 1:4"
    lines = s.ok('SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 SUBJECT "zzz-absent"')
    assert esearch(lines, f"t{s.tags}") == " COUNT 0"
    # plain SORT is unchanged
    assert "* SORT 2 3 1 4" in s.ok("SORT (SUBJECT) UTF-8 ALL")
    s.close()


def test_sort_return_save_and_refusals(server):
    s, uids = folder_with(server, "esort2", ["b", "a", "c"])
    # SAVE with SORT keeps the matches as a set (RFC 5267 3, RFC 5182): MIN in sort order is 2
    assert not any("ESEARCH" in line for line in s.ok("SORT RETURN (SAVE) (SUBJECT) UTF-8 NOT SUBJECT c"))
    assert "* SEARCH 1 2" in s.ok("SEARCH $")
    lines = s.ok("UID SORT RETURN (SAVE MIN) (SUBJECT) UTF-8 ALL")
    assert esearch(lines, f"t{s.tags}") == f" UID MIN {uids[1]}"
    assert "* SEARCH 2" in s.ok("SEARCH $")
    assert "SORT takes no UPDATE" in s.bad("SORT RETURN (UPDATE) (SUBJECT) UTF-8 ALL")
    assert s.bad("SORT RETURN (FIRST) (SUBJECT) UTF-8 ALL").endswith("Unknown SORT return option")
    assert "PARTIAL conflicts with ALL" in s.bad("SORT RETURN (ALL PARTIAL 1:2) (SUBJECT) UTF-8 ALL")
    s.close()


# PARTIAL (RFC 5267 section 4.4)

def test_partial_returns_positions_of_the_result(server):
    s, uids = folder_with(server, "partial1", ["e", "d", "c", "b", "a"])
    lines = s.ok("SEARCH RETURN (PARTIAL 2:3) ALL")
    assert esearch(lines, f"t{s.tags}") == " PARTIAL (2:3 2:3)"
    lines = s.ok("UID SEARCH RETURN (PARTIAL 4:9 COUNT) ALL")
    assert esearch(lines, f"t{s.tags}") == f" UID COUNT 5 PARTIAL (4:9 {uids[3]}:{uids[4]})"
    lines = s.ok("SEARCH RETURN (PARTIAL 6:10) ALL")
    assert esearch(lines, f"t{s.tags}") == " PARTIAL (6:10 NIL)"
    # given the other way round, the range is swapped (as Dovecot does)
    lines = s.ok("SEARCH RETURN (PARTIAL 3:1) ALL")
    assert esearch(lines, f"t{s.tags}") == " PARTIAL (1:3 1:3)"
    # on a SORT result, positions are in sort order: a b c d e = messages 5 4 3 2 1
    lines = s.ok("SORT RETURN (PARTIAL 1:2) (SUBJECT) UTF-8 ALL")
    assert esearch(lines, f"t{s.tags}") == " PARTIAL (1:2 5,4)"
    s.close()


def test_partial_refusals(server):
    s, _ = folder_with(server, "partial2", ["x"])
    assert s.bad("SEARCH RETURN (PARTIAL 1:2 ALL) ALL").endswith("PARTIAL conflicts with ALL")
    s.bad("SEARCH RETURN (PARTIAL 0:2) ALL")
    s.bad("SEARCH RETURN (PARTIAL) ALL")
    s.bad("SEARCH RETURN (PARTIAL 1:*) ALL")
    assert "[CLIENTBUG]" in s.bad("SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL")
    s.close()


# CONTEXT=SEARCH: UPDATE, ADDTO, REMOVEFROM, CANCELUPDATE (RFC 5267 sections 4.2, 4.3)

def test_update_tells_addto_and_removefrom_when_another_session_changes_the_mailbox(server):
    a, uids = folder_with(server, "context1", ["un", "deux", "trois"])
    b = RawImap(server)
    b.ok("SELECT context1")
    lines = a.ok("UID SEARCH RETURN (ALL UPDATE CONTEXT) UNSEEN", tag="watch")
    assert esearch(lines, "watch") == f" UID ALL {uids[0]}:{uids[2]}"
    b.ok(f"UID STORE {uids[1]} +FLAGS (\\Seen)")
    new_uid = b.append("context1", "quatre")
    lines = a.ok("NOOP")
    assert f'* ESEARCH (TAG "watch") UID REMOVEFROM (0 {uids[1]}) ADDTO (0 {new_uid})' in lines, lines
    # nothing changed since: no update
    assert not any("ESEARCH" in line for line in a.ok("NOOP"))
    # the session's own STORE changes the result too; it is told at its next command
    a.ok(f"UID STORE {uids[0]} +FLAGS.SILENT (\\Seen)")
    lines = a.ok("NOOP")
    assert f'* ESEARCH (TAG "watch") UID REMOVEFROM (0 {uids[0]})' in lines, lines
    a.close()
    b.close()


def test_update_of_a_message_number_search_names_numbers(server):
    a, uids = folder_with(server, "context2", ["un", "deux"])
    b = RawImap(server)
    b.ok("SELECT context2")
    lines = a.ok('SEARCH RETURN (COUNT UPDATE) SUBJECT "trois"', tag="num")
    assert esearch(lines, "num") == " COUNT 0"
    b.append("context2", "trois")
    lines = a.ok("NOOP")
    assert "* 3 EXISTS" in lines
    assert '* ESEARCH (TAG "num") ADDTO (0 3)' in lines, lines
    a.close()
    b.close()


def test_messages_expunged_elsewhere_are_told_by_expunge_or_removefrom_while_held(server):
    a, uids = folder_with(server, "context3", ["un", "deux", "trois"])
    b = RawImap(server)
    b.ok("SELECT context3")
    a.ok("SEARCH RETURN (UPDATE) ALL", tag="gone")
    b.ok(f"UID STORE {uids[1]} +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    lines = a.ok("NOOP")
    # the EXPUNGE says it; no REMOVEFROM follows for a message the client no longer has
    assert "* 2 EXPUNGE" in lines and not any("ESEARCH" in line for line in lines), lines
    # during FETCH the expunge is held (RFC 3501 7.4.1), the result still loses the message
    b.ok(f"UID STORE {uids[2]} +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    lines = a.ok("FETCH 1 (FLAGS)")
    assert '* ESEARCH (TAG "gone") REMOVEFROM (0 2)' in lines, lines
    assert not any("EXPUNGE" in line for line in lines), lines
    lines = a.ok("NOOP")
    assert "* 2 EXPUNGE" in lines and not any("ESEARCH" in line for line in lines), lines
    # the session's own EXPUNGE: its EXPUNGE response says it, no REMOVEFROM follows
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert "* 1 EXPUNGE" in a.ok("EXPUNGE")
    assert not any("ESEARCH" in line for line in a.ok("NOOP"))
    a.close()
    b.close()


def test_cancelupdate_stops_the_updates(server):
    a, uids = folder_with(server, "context4", ["un"])
    b = RawImap(server)
    b.ok("SELECT context4")
    a.ok("UID SEARCH RETURN (UPDATE) ALL", tag="w1")
    a.ok("UID SEARCH RETURN (UPDATE) ALL", tag="w2")
    # a tag already kept is refused; an unknown tag in CANCELUPDATE is NO (as Dovecot), cancels nothing
    assert a.command("UID SEARCH RETURN (UPDATE) ALL", tag="w1")[-1] == "w1 BAD Duplicate search update tag"
    assert re.match(r't\d+ NO Unknown search update tag', a.command('CANCELUPDATE "w1" "nope"')[-1])
    a.ok('CANCELUPDATE "w1"')
    new_uid = b.append("context4", "deux")
    lines = a.ok("NOOP")
    assert f'* ESEARCH (TAG "w2") UID ADDTO (0 {new_uid})' in lines, lines
    assert not any('TAG "w1"' in line for line in lines), lines
    a.bad("CANCELUPDATE")
    a.ok('CANCELUPDATE "w2"')
    b.append("context4", "trois")
    assert not any("ESEARCH" in line for line in a.ok("NOOP"))
    # outside a selected mailbox CANCELUPDATE is refused
    a.ok("UNSELECT")
    assert a.bad('CANCELUPDATE "w2"').endswith("Select a mailbox first")
    a.close()
    b.close()


def test_updates_end_with_the_mailbox_and_are_bounded(server):
    a, _ = folder_with(server, "context5", ["un"])
    for i in range(10):
        a.ok("UID SEARCH RETURN (UPDATE) ALL", tag=f"k{i}")
    lines = a.ok("UID SEARCH RETURN (UPDATE COUNT) ALL", tag="k10")
    assert '* NO [NOUPDATE "k10"] Too many searches kept up to date' in lines
    assert esearch(lines, "k10") == " UID COUNT 1"
    # a new SELECT forgets every kept search
    a.ok("SELECT context5")
    a.ok('UID SEARCH RETURN (UPDATE) ALL', tag="k11")
    assert a.command('CANCELUPDATE "k0"')[-1].endswith("NO Unknown search update tag")
    a.close()


# THREADID (RFC 8474 section 5.2) and THREAD=REFS

def headers(message_id, references=None, reply_to=None, date="Mon, 1 Jun 2026 10:00:00 +0200"):
    extra = f"Message-ID: <{message_id}>\r\nDate: {date}\r\n"
    if references:
        extra += "References: " + " ".join(f"<{r}>" for r in references) + "\r\n"
    if reply_to:
        extra += f"In-Reply-To: <{reply_to}>\r\n"
    return extra


def thread_ids(lines):
    found = {}
    for line in lines:
        m = re.match(r"\* (\d+) FETCH \(.*THREADID (NIL|\(T[0-9a-f]{24}\))", line)
        if m:
            found[int(m.group(1))] = m.group(2)
    return found


def test_threadid_follows_references_in_reply_to_and_message_id(server):
    s = RawImap(server)
    s.ok("CREATE threads1")
    s.append("threads1", "root", headers("root-1@cabinet.fr"))
    s.append("threads1", "Re: root", headers("reply-1@cabinet.fr", reply_to="root-1@cabinet.fr"))
    s.append("threads1", "Re: Re: root", headers("reply-2@cabinet.fr", references=["root-1@cabinet.fr", "reply-1@cabinet.fr"]))
    s.append("threads1", "other", headers("other-1@labo.fr"))
    # a reply that arrives before the message it answers still joins the thread when that comes
    s.append("threads1", "Re: late", headers("late-reply@labo.fr", reply_to="late-root@labo.fr"))
    s.append("threads1", "late", headers("late-root@labo.fr"))
    s.ok("SELECT threads1")
    ids = thread_ids(s.ok("FETCH 1:* (THREADID)"))
    assert len(ids) == 6 and "NIL" not in ids.values(), ids
    assert ids[1] == ids[2] == ids[3]
    assert ids[4] not in (ids[1], ids[5])
    assert ids[5] == ids[6]
    # SEARCH THREADID finds the thread; an unknown id finds nothing
    thread = ids[1][1:-1]
    assert s.ok(f"SEARCH THREADID {thread}")[0] == "* SEARCH 1 2 3"
    assert s.ok(f"UID SEARCH RETURN (COUNT) THREADID {ids[5][1:-1]}")[0].endswith(" UID COUNT 2")
    assert s.ok("SEARCH THREADID Tnothing")[0] == "* SEARCH"
    # COPY keeps the thread (the content is the same), and a new reply elsewhere joins it too
    s.ok("CREATE threads1b")
    s.ok("COPY 1 threads1b")
    s.append("threads1b", "Re: root again", headers("reply-3@cabinet.fr", reply_to="reply-2@cabinet.fr"))
    s.ok("SELECT threads1b")
    other = thread_ids(s.ok("FETCH 1:2 (THREADID)"))
    assert other[1] == other[2] == ids[1], other
    s.close()


def test_thread_refs_orders_threads_by_their_latest_message_and_ignores_subjects(server):
    s = RawImap(server)
    caps = " ".join(s.ok("CAPABILITY")).split()
    assert "THREAD=REFS" in caps
    s.ok("CREATE threads2")
    s.append("threads2", "A", headers("a@x.fr", date="Mon, 1 Jun 2026 08:00:00 +0000"))
    s.append("threads2", "B", headers("b@x.fr", date="Mon, 1 Jun 2026 09:00:00 +0000"))
    s.append("threads2", "Re: A", headers("a2@x.fr", reply_to="a@x.fr", date="Mon, 1 Jun 2026 10:00:00 +0000"))
    s.append("threads2", "B", headers("c@x.fr", date="Mon, 1 Jun 2026 11:00:00 +0000"))  # same subject as 2, no reference
    s.ok("SELECT threads2")
    # REFERENCES: threads by their first message, and 2 and 4 gathered by subject (RFC 5256 step 5)
    assert "* THREAD (1 3)((2)(4))" in s.ok("THREAD REFERENCES UTF-8 ALL")
    # REFS: thread (2) moved last at 9:00, (1 3) at 10:00, (4) at 11:00; no merging by subject
    assert "* THREAD (2)(1 3)(4)" in s.ok("THREAD REFS UTF-8 ALL")
    uids = s.ok("UID THREAD REFS UTF-8 ALL")
    assert any(line.startswith("* THREAD (") for line in uids)
    assert s.bad("THREAD NOSUCH UTF-8 ALL").endswith("Unknown threading algorithm")
    s.close()
