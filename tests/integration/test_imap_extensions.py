"""The IMAP extensions Dovecot offers that mssd lacked (issue 13, part 1): LITERAL- (RFC 7888),
SAVEDATE (RFC 8514), OBJECTID (RFC 8474), PREVIEW (RFC 8970), ... Raw TLS sessions so that every
line of an answer, and the exact BAD/NO with its response code, can be checked."""
import re

from imap_raw import RawImap
from mssd_harness import GP, PASSWORD


def capabilities(lines):
    text = next(line for line in lines if line.startswith("* CAPABILITY"))
    return set(text.split()[2:])


# LITERAL- (RFC 7888)

def test_literal_minus_before_login_literal_plus_after(server):
    s = RawImap(server, login=False)
    before = capabilities(s.ok("CAPABILITY"))
    assert "LITERAL-" in before and "LITERAL+" not in before
    s.ok(f'LOGIN "{GP}" "{PASSWORD}"')
    after = capabilities(s.ok("CAPABILITY"))
    assert "LITERAL+" in after and "LITERAL-" not in after
    s.close()


def test_literal_minus_refuses_a_large_non_synchronising_literal_before_login(server):
    s = RawImap(server, login=False)
    s.send('a1 ID ("name" {4097+}\r\n' + "x" * 4097 + ")\r\n")
    refused = s.tagged("a1")
    assert re.match(r"a1 BAD \[TOOBIG\]", refused[-1]), refused
    # The refused literal was skipped: the connection goes on, and 4096 octets are fine.
    s.send(f'a2 LOGIN "{GP}" {{4096+}}\r\n' + "y" * 4096 + "\r\n")
    assert s.tagged("a2")[-1].startswith("a2 NO [AUTHENTICATIONFAILED]")
    s.ok(f'LOGIN "{GP}" "{PASSWORD}"')
    # After login LITERAL+ holds: larger non-synchronising literals are taken.
    message = "Subject: literal+\r\n\r\n" + "z" * 5000 + "\r\n"
    s.send(f"a3 APPEND Drafts {{{len(message)}+}}\r\n{message}\r\n")
    assert s.tagged("a3")[-1].startswith("a3 OK")
    s.close()


# SAVEDATE (RFC 8514)

def savedate(lines):
    found = re.search(r'SAVEDATE ("[^"]+"|NIL)', "\n".join(lines))
    assert found, lines
    return found.group(1)


def test_savedate_is_when_the_message_was_filed_in_this_folder(server):
    import datetime
    s = RawImap(server)
    assert "SAVEDATE" in capabilities(s.ok("CAPABILITY"))
    s.ok('CREATE "savedate-box"')
    s.ok('SELECT "savedate-box"')
    message = "Subject: savedate\r\n\r\nold\r\n"
    s.send(f'a1 APPEND "savedate-box" "01-Jan-2001 10:00:00 +0000" {{{len(message)}+}}\r\n{message}\r\n')
    assert s.tagged("a1")[-1].startswith("a1 OK")
    s.ok("NOOP")
    fetched = s.ok("FETCH 1 (INTERNALDATE SAVEDATE)")
    assert 'INTERNALDATE "01-Jan-2001 10:00:00 +0000"' in "\n".join(fetched)
    saved = datetime.datetime.strptime(savedate(fetched).strip('"'), "%d-%b-%Y %H:%M:%S %z")
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - saved).total_seconds()) < 600, (saved, now)
    today = now.strftime("%d-%b-%Y")
    assert s.ok(f"SEARCH SAVEDON {today}")[0] == "* SEARCH 1"
    assert s.ok(f"SEARCH SAVEDSINCE {today}")[0] == "* SEARCH 1"
    assert s.ok(f"SEARCH SAVEDBEFORE {today}")[0] == "* SEARCH"
    assert s.ok("SEARCH BEFORE 02-Jan-2001")[0] == "* SEARCH 1"
    assert s.ok("SEARCH SAVEDATESUPPORTED")[0] == "* SEARCH 1"
    # A syntax error is BAD, not NO.
    assert re.match(r"t\d+ BAD", s.command("SEARCH SAVEDON 31-Feb-2025")[-1])
    assert re.match(r"t\d+ BAD", s.command("FETCH 1 SAVEDATE[]")[-1])
    s.close()


def test_a_copy_gets_its_own_save_date_and_keeps_its_internal_date(server):
    s = RawImap(server)
    s.ok('CREATE "savedate-copy"')
    s.ok('SELECT "savedate-box"')
    s.ok('COPY 1 "savedate-copy"')
    s.ok('SELECT "savedate-copy"')
    fetched = "\n".join(s.ok("FETCH 1 (INTERNALDATE SAVEDATE)"))
    assert 'INTERNALDATE "01-Jan-2001 10:00:00 +0000"' in fetched
    assert re.search(r'SAVEDATE "\d\d-\w{3}-20\d\d', fetched), fetched
    s.close()


def test_savedate_of_a_message_filed_before_save_dates_were_kept_is_nil(server):
    """Rows from before the schema step have no save date: FETCH says NIL, and the SAVED* keys
    search by the internal date instead (RFC 8514)."""
    import sqlite3
    s = RawImap(server)
    s.ok('CREATE "savedate-old"')
    message = "Subject: older\r\n\r\nold\r\n"
    s.send(f'a1 APPEND "savedate-old" "05-May-2005 10:00:00 +0000" {{{len(message)}+}}\r\n{message}\r\n')
    assert s.tagged("a1")[-1].startswith("a1 OK")
    db = sqlite3.connect(server.data / "mssd.db", timeout=60)
    db.execute("UPDATE folder_messages SET saved_at = NULL WHERE folder_id = "
               "(SELECT id FROM folders WHERE name = 'savedate-old')")
    db.commit()
    db.close()
    s.ok('SELECT "savedate-old"')
    assert savedate(s.ok("FETCH 1 SAVEDATE")) == "NIL"
    assert s.ok("SEARCH SAVEDON 5-May-2005")[0] == "* SEARCH 1"
    assert s.ok("SEARCH SAVEDSINCE 6-May-2005")[0] == "* SEARCH"
    s.close()


# OBJECTID (RFC 8474)

OBJECTID = r"[A-Za-z0-9_-]{1,255}"


def mailbox_id_of(lines):
    found = re.search(rf"MAILBOXID \(({OBJECTID})\)", "\n".join(lines))
    assert found, lines
    return found.group(1)


def test_mailboxid_on_create_select_status_kept_by_rename_never_reused(server):
    s = RawImap(server)
    assert "OBJECTID" in capabilities(s.ok("CAPABILITY"))
    created = s.ok('CREATE "objectid-box"')
    assert re.match(rf"t\d+ OK \[MAILBOXID \({OBJECTID}\)\]", created[-1]), created
    made = mailbox_id_of(created[-1:])
    assert mailbox_id_of(s.ok('SELECT "objectid-box"')) == made
    assert mailbox_id_of(s.ok('STATUS "objectid-box" (MAILBOXID)')) == made
    s.ok('UNSELECT')
    s.ok('RENAME "objectid-box" "objectid-renamed"')
    assert mailbox_id_of(s.ok('STATUS "objectid-renamed" (MAILBOXID MESSAGES)')) == made
    assert mailbox_id_of(s.ok("EXAMINE INBOX")) != made
    s.ok('DELETE "objectid-renamed"')
    assert mailbox_id_of(s.ok('CREATE "objectid-renamed"')[-1:]) != made
    # A mailbox that does not exist is NO [NONEXISTENT]; an unknown status item is BAD.
    assert re.match(r"t\d+ NO \[NONEXISTENT\]", s.command('STATUS "objectid-none" (MAILBOXID)')[-1])
    assert re.match(r"t\d+ BAD", s.command('STATUS INBOX (MAILBOXID EMAILID)')[-1])
    s.close()


def test_emailid_is_kept_by_copy_and_move_and_searchable(server):
    s = RawImap(server)
    s.ok('CREATE "objectid-a"')
    s.ok('CREATE "objectid-b"')
    for subject in ("one", "two"):
        message = f"Subject: {subject}\r\n\r\nbody\r\n"
        s.send(f'a1 APPEND "objectid-a" {{{len(message)}+}}\r\n{message}\r\n')
        assert s.tagged("a1")[-1].startswith("a1 OK")
    s.ok('SELECT "objectid-a"')
    fetched = s.ok("FETCH 1:2 (EMAILID THREADID)")
    # two messages that name no other have threads of their own (test_imap_search_ext.py: THREADID)
    ids = re.findall(rf"EMAILID \(({OBJECTID})\) THREADID \(T[0-9a-f]{{24}}\)", "\n".join(fetched))
    assert len(ids) == 2 and ids[0] != ids[1], fetched
    assert s.ok(f"SEARCH EMAILID {ids[1]}")[0] == "* SEARCH 2"
    assert s.ok("SEARCH EMAILID Mnothing")[0] == "* SEARCH"
    assert s.ok("SEARCH THREADID T1")[0] == "* SEARCH"
    assert s.ok(f"SEARCH NOT EMAILID {ids[1]}")[0] == "* SEARCH 1"
    s.ok('COPY 1 "objectid-b"')
    s.ok('MOVE 2 "objectid-b"')
    s.ok('SELECT "objectid-b"')
    copied = re.findall(rf"EMAILID \(({OBJECTID})\)", "\n".join(s.ok("UID FETCH 1:* EMAILID")))
    assert copied == ids
    # Syntax: an objectid holds no other characters, and no more than 255 of them.
    assert re.match(r"t\d+ BAD", s.command("SEARCH EMAILID M.1")[-1])
    assert re.match(r"t\d+ BAD", s.command("SEARCH EMAILID " + "x" * 256)[-1])
    s.close()


# PREVIEW (RFC 8970)

def test_preview_of_plain_html_and_long_messages(server):
    s = RawImap(server)
    assert "PREVIEW" in capabilities(s.ok("CAPABILITY"))
    s.ok('CREATE "preview-box"')
    messages = [
        "Subject: plain\r\n\r\nBonjour,\r\n\r\n  le \"compte rendu\" est joint.\r\n",
        "Subject: html\r\nContent-Type: text/html\r\n\r\n<p>Tension&nbsp;: 12/8</p><style>p{}</style>\r\n",
        "Subject: long\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "\u00e9" * 300 + "\r\n",
        "Subject: empty\r\n\r\n",
    ]
    for message in messages:
        data = message.encode()
        s.send(f'a1 APPEND "preview-box" {{{len(data)}+}}\r\n'.encode() + data + b"\r\n")
        assert s.tagged("a1")[-1].startswith("a1 OK")
    s.ok('SELECT "preview-box"')
    assert '* 1 FETCH (PREVIEW "Bonjour, le \\"compte rendu\\" est joint.")' in s.ok("FETCH 1 PREVIEW")
    assert '* 2 FETCH (UID 2 PREVIEW "Tension : 12/8")' in s.ok("UID FETCH 2 (PREVIEW (LAZY))")
    # 8-bit text goes as a literal to an IMAP4rev1 client, and holds 256 characters at most.
    tag = s.next_tag()
    s.send(f"{tag} FETCH 3 PREVIEW\r\n")
    head = s.file.readline().decode()
    size = int(re.match(r"\* 3 FETCH \(PREVIEW \{(\d+)\}\r\n", head).group(1))
    text = s.file.read(size).decode("utf-8")
    assert text == "\u00e9" * 256
    assert s.tagged(tag)[-1].startswith(f"{tag} OK")
    assert '* 4 FETCH (PREVIEW "")' in s.ok("FETCH 4 PREVIEW")
    # The modifier list holds LAZY only; anything else is a syntax error, BAD.
    assert re.match(r"t\d+ BAD", s.command("FETCH 1 (PREVIEW (FUZZY))")[-1])
    assert re.match(r"t\d+ BAD", s.command("FETCH 1 (PREVIEW ())")[-1])
    s.close()


# REPLACE (RFC 8508)

def append(s, mailbox, message):
    data = message.encode()
    tag = s.next_tag()
    s.send(f'{tag} APPEND "{mailbox}" {{{len(data)}+}}\r\n'.encode() + data + b"\r\n")
    lines = s.tagged(tag)
    assert lines[-1].startswith(f"{tag} OK"), lines


def test_replace_files_the_new_message_then_expunges_the_old(server):
    s = RawImap(server)
    assert "REPLACE" in capabilities(s.ok("CAPABILITY"))
    s.ok('CREATE "replace-drafts"')
    s.ok('CREATE "replace-sent"')
    append(s, "replace-drafts", "Subject: draft 1\r\n\r\nfirst\r\n")
    append(s, "replace-drafts", "Subject: other\r\n\r\nkeep\r\n")
    s.ok('SELECT "replace-drafts"')
    new = "Subject: draft 2\r\n\r\nsecond\r\n"
    tag = s.next_tag()
    s.send(f'{tag} REPLACE 1 "replace-drafts" (\\Draft) {{{len(new)}+}}\r\n{new}\r\n')
    lines = s.tagged(tag)
    assert re.match(rf"{tag} OK REPLACE completed", lines[-1]), lines
    appenduid = next(line for line in lines if "[APPENDUID" in line)
    assert re.match(r"\* OK \[APPENDUID \d+ 3\] ", appenduid), lines
    # The new message and the expunge, in either order (EXPUNGE first: 2 messages, else 3 before it).
    assert "* 1 EXPUNGE" in lines, lines
    exists = [line for line in lines if line.endswith(" EXISTS")]
    assert exists == (["* 3 EXISTS"] if lines.index(exists[0]) < lines.index("* 1 EXPUNGE") else ["* 2 EXISTS"]), lines
    subjects = "\n".join(s.ok("UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
    assert "draft 1" not in subjects and "draft 2" in subjects and "other" in subjects
    assert "\\Draft" in subjects
    # UID REPLACE into another mailbox: the old one leaves this one.
    new = "Subject: sent\r\n\r\nsent\r\n"
    tag = s.next_tag()
    s.send(f'{tag} UID REPLACE 3 "replace-sent" {{{len(new)}+}}\r\n{new}\r\n')
    lines = s.tagged(tag)
    assert lines[-1].startswith(f"{tag} OK UID REPLACE completed"), lines
    assert re.search(r"\* OK \[APPENDUID \d+ 1\]", "\n".join(lines))
    assert "* 2 EXPUNGE" in lines, lines
    assert s.ok('STATUS "replace-sent" (MESSAGES)')[0].endswith("(MESSAGES 1)")
    s.close()


def test_replace_refusals_leave_the_old_message(server):
    s = RawImap(server)
    s.ok('CREATE "replace-keep"')
    append(s, "replace-keep", "Subject: keep\r\n\r\nkeep\r\n")
    new = "Subject: x\r\n\r\nx\r\n"
    # Not selected: BAD; no such target: NO [TRYCREATE], nothing removed; bad number: BAD; unknown UID: NO.
    assert re.match(r"t\d+ BAD", s.command(f'REPLACE 1 "replace-keep" {{{len(new)}+}}\r\n{new}')[-1])
    s.ok('SELECT "replace-keep"')
    assert re.match(r"t\d+ NO \[TRYCREATE\]", s.command(f'REPLACE 1 "replace-nowhere" {{{len(new)}+}}\r\n{new}')[-1])
    assert re.match(r"t\d+ BAD", s.command(f'REPLACE 5 "replace-keep" {{{len(new)}+}}\r\n{new}')[-1])
    assert re.match(r"t\d+ NO \[NONEXISTENT\]", s.command(f'UID REPLACE 99 "replace-keep" {{{len(new)}+}}\r\n{new}')[-1])
    assert re.match(r"t\d+ BAD", s.command(f'REPLACE 1 "replace-keep" {{{len(new)}+}}\r\n{new} {{1+}}\r\nx')[-1])
    s.ok('EXAMINE "replace-keep"')
    assert re.match(r"t\d+ NO \[READ-ONLY\]", s.command(f'REPLACE 1 "replace-keep" {{{len(new)}+}}\r\n{new}')[-1])
    assert s.ok('STATUS "replace-keep" (MESSAGES)')[0].endswith("(MESSAGES 1)")
    s.close()
