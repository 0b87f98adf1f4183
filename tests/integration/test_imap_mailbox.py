"""IMAP mailbox commands against the real mssd with Python's imaplib: LIST with special-use
attributes, STATUS, SELECT/EXAMINE, FETCH items and \\Seen, STORE, EXPUNGE, CLOSE, and a second
session of the same mailbox learning of changes on NOOP."""
import imaplib
import re
import smtplib

import pytest

from mssd_harness import DOCTOR


@pytest.fixture(scope="module")
def mailbox(server):
    """DOCTOR's INBOX with three messages delivered over SMTP."""
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        for i in range(1, 4):
            c.sendmail("lab@labo-y.mssante.fr", [DOCTOR],
                       f"Subject: resultat {i}\r\nFrom: <lab@labo-y.mssante.fr>\r\n\r\nligne {i}\r\n")
    return server


def connect(server):
    return server.imaps_login(DOCTOR)


def test_list_shows_the_folders_with_special_use(mailbox):
    c = connect(mailbox)
    typ, lines = c.list()
    assert typ == "OK"
    names = {re.search(rb'"([^"]*)"$', l).group(1): l for l in lines}
    assert set(names) == {b"INBOX", b"Sent", b"Drafts", b"Trash", b"Junk", b"Archive"}
    assert b"\\Sent" in names[b"Sent"] and b"\\Trash" in names[b"Trash"]
    assert c.list('""', "S%")[1] == [names[b"Sent"]]  # imaplib does not quote "" itself
    assert c.list('""', '""')[1] == [b'(\\Noselect) "/" ""']
    c.logout()


def test_status_and_select(mailbox):
    c = connect(mailbox)
    typ, data = c.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)")
    assert typ == "OK"
    assert re.search(rb"MESSAGES 3 UNSEEN 3 UIDNEXT 4 UIDVALIDITY \d+", data[0])
    typ, data = c.select("INBOX")
    assert (typ, data) == ("OK", [b"3"])
    assert c.response("UIDVALIDITY")[1][0].isdigit()
    assert c.response("PERMANENTFLAGS")[1][0].startswith(b"(\\Answered")
    typ, data = c.select("Nonexistent")
    assert typ == "NO" and b"[NONEXISTENT]" in data[0]
    assert c.state == "AUTH"  # a failed SELECT leaves nothing selected
    c.logout()


def test_fetch_items_and_seen(mailbox):
    c = connect(mailbox)
    c.select("INBOX")
    typ, data = c.fetch("1", "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    meta, subject = data[0]
    assert re.search(rb"UID 1 FLAGS \(\) RFC822\.SIZE \d+ INTERNALDATE \"\d\d-\w{3}-\d{4} ", meta)
    assert subject == b"Subject: resultat 1\r\n\r\n"
    typ, data = c.uid("FETCH", "2", "(BODY[TEXT]<0.5>)")
    assert data[0][1] == b"ligne"
    assert b"FLAGS (\\Seen)" in data[1] or b"FLAGS (\\Seen)" in data[0][0]
    typ, data = c.fetch("1:*", "(FLAGS)")
    assert data == [b"1 (FLAGS ())", b"2 (FLAGS (\\Seen))", b"3 (FLAGS ())"]
    typ, data = c.fetch("1", "(BODY[])")
    assert data[0][1].startswith(b"Return-Path: <lab@labo-y.mssante.fr>\r\nReceived: ")
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        c.fetch("9", "(FLAGS)")
    typ, data = c.fetch("1", "(BODYSTRUCTURE)")
    assert typ == "OK" and data[0] == b'1 (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 1 NIL NIL NIL NIL))'
    c.logout()


def test_examine_is_read_only(mailbox):
    c = connect(mailbox)
    c.select("INBOX", readonly=True)
    c.fetch("3", "(BODY[])")
    assert c.fetch("3", "(FLAGS)")[1] == [b"3 (FLAGS ())"]
    typ, data = c.store("3", "+FLAGS", "\\Flagged")
    assert typ == "NO" and b"[READ-ONLY]" in data[0]
    c.logout()


def test_store_expunge_and_another_session_sees_it(mailbox, server):
    reader = connect(mailbox)
    reader.select("INBOX")
    c = connect(mailbox)
    c.select("INBOX")
    typ, data = c.store("1", "+FLAGS", "(\\Flagged \\Deleted)")
    assert data == [b"1 (FLAGS (\\Deleted \\Flagged \\Seen))"] or data == [b"1 (FLAGS (\\Deleted \\Flagged))"]
    typ, data = c.expunge()
    assert data == [b"1"]
    typ, _ = reader.noop()
    assert reader.response("EXPUNGE")[1] == [b"1"]
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as s:
        s.sendmail("lab@labo-y.mssante.fr", [DOCTOR], "Subject: resultat 4\r\n\r\nligne 4\r\n")
    reader.noop()
    assert reader.response("EXISTS")[1][-1] == b"3"
    c.store("1", "+FLAGS.SILENT", "\\Answered")
    reader.noop()
    fetches = reader.response("FETCH")[1]
    assert any(b"\\Answered" in f for f in fetches)
    c.close()
    assert c.state == "AUTH"
    reader.logout()
    c.logout()
