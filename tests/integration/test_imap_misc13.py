"""Issue 13's remaining defects against the real mssd with Python's imaplib and smtplib: THREADID of
messages of one new thread stored at the same moment (parallel APPENDs and SMTP deliveries); NOTIFY
for folders of an organisational mailbox made after NOTIFY SET (SUBTREE, MAILBOXES), and
AnnotationChange refused as an event we do not support (RFC 5465 5); a COMPRESS=DEFLATE session that
rested (idle past the stream's rest time) still inflates what refers to its earlier commands."""
import imaplib
import re
import smtplib
import threading
import time

import pytest

from mssd_harness import DOMAIN, GP, PRACTICE, SECRETARY, add_personal_account, deliver, wait_mail_count
from test_imap_live import compressed_login
from test_imap_notify import notify, unsolicited

for _name in ("NOTIFY", "COMPRESS"):
    imaplib.Commands.setdefault(_name, ("AUTH", "SELECTED"))


def reply(n, root):
    return (f"From: <dr{n}@autre.mssante.fr>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\nSubject: Re: avis\r\n"
            f"Message-ID: <reply{n}.{root}>\r\n"
            f"References: <{root}>\r\n\r\nReponse {n}.\r\n").encode()


def test_replies_stored_at_the_same_moment_share_one_thread_id(server):
    address = add_personal_account(server, f"threads@{DOMAIN}")
    root = f"root.{time.monotonic_ns()}@cabinet.mssante.fr"
    writers = 6
    start = threading.Barrier(writers)
    failures = []

    def append(n):
        c = server.imaps_login(address)
        start.wait(timeout=60)
        typ, data = c.append("INBOX", None, None, reply(n, root))
        if typ != "OK":
            failures.append(data)
        c.logout()

    def send(n):
        with smtplib.SMTP("127.0.0.1", server.smtp, timeout=60) as s:
            start.wait(timeout=60)
            s.sendmail(f"dr{n}@autre.mssante.fr", [address], reply(n, root))

    threads = [threading.Thread(target=append if n % 2 else send, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures
    wait_mail_count(server, address, writers, timeout=60)
    with server.imaps_login(address) as c:
        assert c.append("INBOX", None, None,
                        f"Subject: avis\r\nMessage-ID: <{root}>\r\n\r\nQuestion.\r\n".encode())[0] == "OK"
        c.select("INBOX")
        typ, data = c.fetch("1:*", "(THREADID)")
        assert typ == "OK"
        ids = {re.search(rb"THREADID \((\w+)\)", line).group(1) for line in data}
        assert len(data) == writers + 1 and len(ids) == 1, data


@pytest.fixture
def watcher(server):
    c = server.imaps_login(SECRETARY)  # lrsw on the practice's mailbox: sees its folders
    yield c
    c.logout()


def test_a_folder_made_in_an_organisational_mailbox_is_watched_under_subtree(server, watcher):
    folder = f"Shared/{PRACTICE}/Projets{time.monotonic_ns()}"
    typ, _, data = notify(watcher, "SET", f'(SUBTREE "Shared/{PRACTICE}" (MessageNew MessageExpunge MailboxName))')
    assert typ == "OK", data
    with server.imaps_login(GP) as gp:  # k (create) on the practice's mailbox
        assert gp.create(f'"{folder}"')[0] == "OK"
        unsolicited(watcher, rb'^\* LIST \(\) "/" "?' + re.escape(folder.encode()) + rb'"?$')
        assert gp.append(f'"{folder}"', None, None, b"Subject: projet\r\n\r\nTexte.\r\n")[0] == "OK"
        unsolicited(watcher, rb'^\* STATUS "?' + re.escape(folder.encode()) + rb'"? \(MESSAGES 1 UIDNEXT 2 UNSEEN 1\)')
        assert gp.delete(f'"{folder}"')[0] == "OK"
        unsolicited(watcher, rb'^\* LIST \(\\NonExistent\) "/" "?' + re.escape(folder.encode()))
    assert watcher.noop()[0] == "OK"


def test_a_shared_folder_named_before_it_exists_is_watched_once_made(server, watcher):
    folder = f"Shared/{PRACTICE}/Plus-tard{time.monotonic_ns()}"
    typ, _, data = notify(watcher, "SET", f'(MAILBOXES "{folder}" (MessageNew MessageExpunge))')
    assert typ == "OK", data
    with server.imaps_login(GP) as gp:
        assert gp.create(f'"{folder}"')[0] == "OK"
        # The STATUS can only come from a watch taken once the folder appeared; the NOOP gives
        # mssd a command boundary after the CREATE, as a client would.
        assert watcher.noop()[0] == "OK"
        assert gp.append(f'"{folder}"', None, None, b"Subject: plus tard\r\n\r\nTexte.\r\n")[0] == "OK"
        unsolicited(watcher, rb'^\* STATUS "?' + re.escape(folder.encode()) + rb'"? \(MESSAGES 1 UIDNEXT 2 UNSEEN 1\)')
        assert gp.delete(f'"{folder}"')[0] == "OK"


def test_personal_filter_does_not_watch_the_shared_namespace(server, watcher):
    typ, _, data = notify(watcher, "SET", "(PERSONAL (MessageNew MessageExpunge))")
    assert typ == "OK", data
    with server.imaps_login(GP) as gp:
        assert gp.append(f'"Shared/{PRACTICE}/INBOX"', None, None, b"Subject: cabinet\r\n\r\nTexte.\r\n")[0] == "OK"
    # Then something for the watcher's own INBOX: its STATUS ends the wait, and no STATUS of the
    # shared INBOX came before it.
    deliver(server, SECRETARY, "pour vous")
    heard = unsolicited(watcher, rb'^\* STATUS "?INBOX"? ')
    assert not any(b"Shared/" in line for line in heard), heard


def test_annotation_change_is_refused_as_an_unsupported_event(server, watcher):
    typ, _, data = notify(watcher, "SET", "(SELECTED (MessageNew MessageExpunge FlagChange AnnotationChange))")
    assert typ == "NO" and b"[BADEVENT (" in data[0] and b"AnnotationChange" not in data[0], data
    typ, _, data = notify(watcher, "SET", "(INBOXES (MessageNew AnnotationChange))")
    assert typ == "NO" and b"[BADEVENT (" in data[0], data


def test_a_compressed_session_that_rested_still_inflates_references_to_its_past(server):
    """The server's decompressor rests after 10 s without a command (core/stream.cpp kFilterRestAfter):
    its window is packed and given back at the next command; the client's deflater, which never
    rests, refers back into it."""
    c = compressed_login(server, GP)
    assert c.select("INBOX")[0] == "OK"
    phrase = '"compte rendu de consultation du patient, examen clinique et bilan biologique"'
    for _ in range(30):
        assert c.uid("SEARCH", "TEXT", phrase)[0] == "OK"
    time.sleep(13)
    for _ in range(3):
        assert c.uid("SEARCH", "TEXT", phrase)[0] == "OK"
        assert c.noop()[0] == "OK"
    assert c.logout()[0] == "BYE"
