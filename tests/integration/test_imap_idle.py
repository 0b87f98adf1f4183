"""Concurrent sessions on one mailbox (issue 3): the secretary idles on the practice's shared INBOX
while a doctor files, flags and expunges messages in it and the lab delivers over SMTP; each change
reaches the idling session as untagged EXISTS / FETCH / EXPUNGE without any command, within a
second. Python's imaplib has no IDLE before 3.14, so the idling side is a raw TLS socket."""
import imaplib
import smtplib
import socket
import time

import pytest

from mssd_harness import GP, PASSWORD, PRACTICE, SECRETARY

SHARED_INBOX = f'"Shared/{PRACTICE}/INBOX"'


class Idler:
    """A raw IMAP session that logs in, selects a mailbox and idles; lines are read as they come."""

    def __init__(self, server, user, mailbox):
        sock = socket.create_connection(("127.0.0.1", server.imaps), timeout=10)
        self.sock = server.tls_context().wrap_socket(sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        self.readline()  # greeting
        self.command(f'l LOGIN "{user}" "{PASSWORD}"', "l ")
        self.selected = self.command(f"s SELECT {mailbox}", "s ")

    def readline(self):
        line = self.file.readline()
        if not line:
            raise EOFError("the server closed the connection")
        return line.decode().rstrip("\r\n")

    def command(self, line, tag):
        self.sock.sendall(line.encode() + b"\r\n")
        lines = []
        while not (lines and lines[-1].startswith(tag)):
            lines.append(self.readline())
        assert lines[-1].startswith(tag + "OK"), lines
        return lines

    def idle(self):
        self.sock.sendall(b"i IDLE\r\n")
        assert self.readline() == "+ idling"

    def next_untagged(self):
        """The next line and how long it took to come (the read blocks up to the socket timeout)."""
        start = time.monotonic()
        line = self.readline()
        return line, time.monotonic() - start

    def done(self):
        self.sock.sendall(b"DONE\r\n")
        assert self.readline() == "i OK IDLE terminated"

    def close(self):
        self.sock.close()


@pytest.fixture
def doctor(server):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(GP, PASSWORD)
    yield c
    c.logout()


def test_idle_reports_every_change_from_other_sessions_within_a_second(server, doctor):
    idler = Idler(server, SECRETARY, SHARED_INBOX)
    exists = int(next(l.split()[1] for l in idler.selected if l.endswith(" EXISTS")))
    idler.idle()
    try:
        typ, _ = doctor.append(SHARED_INBOX, None, None, b"Subject: compte rendu\r\n\r\ntexte\r\n")
        assert typ == "OK"
        line, delay = idler.next_untagged()
        assert line == f"* {exists + 1} EXISTS" and delay < 1.0, (line, delay)
        assert idler.next_untagged()[0] == "* 1 RECENT"  # the idler is the first to see it (IMAP4rev1)

        with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
            c.sendmail("lab@labo-y.mssante.fr", [PRACTICE], b"Subject: resultat\r\n\r\nligne\r\n")
        line, delay = idler.next_untagged()
        assert line == f"* {exists + 2} EXISTS" and delay < 1.0, (line, delay)
        assert idler.next_untagged()[0] == "* 2 RECENT"

        doctor.select(SHARED_INBOX)
        doctor.store(str(exists + 1), "+FLAGS", "(\\Deleted)")
        line, delay = idler.next_untagged()
        assert line == f"* {exists + 1} FETCH (FLAGS (\\Recent \\Deleted))" and delay < 1.0, (line, delay)

        doctor.expunge()
        line, delay = idler.next_untagged()
        assert line == f"* {exists + 1} EXPUNGE" and delay < 1.0, (line, delay)
        idler.done()
        lines = idler.command("f FETCH 1:* (UID)", "f ")
        assert len([l for l in lines if l.startswith("* ") and " FETCH " in l]) == exists + 1
    finally:
        idler.close()


def test_idle_without_a_selected_mailbox_waits_for_done(server):
    sock = socket.create_connection(("127.0.0.1", server.imaps), timeout=10)
    idler = Idler.__new__(Idler)
    idler.sock = server.tls_context().wrap_socket(sock, server_hostname="localhost")
    idler.file = idler.sock.makefile("rb")
    idler.readline()
    idler.command(f'l LOGIN "{SECRETARY}" "{PASSWORD}"', "l ")
    idler.idle()
    idler.done()
    idler.close()
