"""Every session sees the truth at once (issue 13): a doctor and the secretary on the practice's
shared INBOX, each command answering from the mailbox as it is now, with the other session's
changes as untagged FETCH and EXISTS first, expunges only where RFC 3501 7.4.1 allows them, new
keywords announced in FLAGS before any FETCH shows them, and HIGHESTMODSEQ on the first CONDSTORE
enabling command. Raw TLS sessions, so that every untagged line can be checked."""
import re
import socket

from mssd_harness import GP, PASSWORD, PRACTICE, SECRETARY, deliver, wait_mail_count

SHARED_INBOX = f'"Shared/{PRACTICE}/INBOX"'


class Session:
    """One raw IMAP session; command() returns every line up to and including the tagged one."""

    def __init__(self, server, user, mailbox=None):
        sock = socket.create_connection(("127.0.0.1", server.imaps), timeout=10)
        self.sock = server.tls_context().wrap_socket(sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        self.file.readline()
        self.tags = 0
        self.ok(f'LOGIN "{user}" "{PASSWORD}"')
        if mailbox:
            self.selected = self.ok(f"SELECT {mailbox}")

    def exists(self):
        """The message count SELECT gave."""
        return int(re.search(r"\* (\d+) EXISTS", "\n".join(self.selected)).group(1))

    def command(self, text):
        self.tags += 1
        tag = f"t{self.tags}"
        self.sock.sendall(f"{tag} {text}\r\n".encode())
        lines = []
        while True:
            line = self.file.readline()
            assert line, "the server closed the connection"
            lines.append(line.decode().rstrip("\r\n"))
            if lines[-1].startswith(tag + " "):
                return lines

    def ok(self, text):
        lines = self.command(text)
        assert re.match(r"t\d+ OK", lines[-1]), lines
        return lines

    def close(self):
        self.sock.close()


def fill(server, n, tag):
    before = len(server.mail_list(PRACTICE))
    for i in range(n):
        deliver(server, PRACTICE, f"{tag} {i}")
    wait_mail_count(server, PRACTICE, before + n)


def test_a_fetch_sees_the_other_sessions_flags_without_noop(server):
    fill(server, 2, "flags")
    doctor, secretary = Session(server, GP, SHARED_INBOX), Session(server, SECRETARY, SHARED_INBOX)
    doctor.ok("STORE 1 +FLAGS (\\Flagged)")
    lines = secretary.ok("FETCH 1 (FLAGS)")
    assert any(re.match(r"\* 1 FETCH \(FLAGS \(.*\\Flagged.*\)\)", line) for line in lines), lines
    doctor.ok("STORE 1 -FLAGS (\\Flagged)")
    lines = secretary.ok("SEARCH FLAGGED")
    assert "* SEARCH" in lines, lines
    doctor.close()
    secretary.close()


def test_new_mail_is_announced_in_the_next_command(server):
    secretary = Session(server, SECRETARY, SHARED_INBOX)
    exists = secretary.exists()
    fill(server, 1, "new")
    lines = secretary.ok("FETCH 1 (FLAGS)")
    assert f"* {exists + 1} EXISTS" in lines, lines
    lines = secretary.ok(f"FETCH {exists + 1} (UID)")
    assert any(line.startswith(f"* {exists + 1} FETCH (UID ") for line in lines), lines
    secretary.close()


def test_expunges_by_others_wait_for_a_command_that_may_tell_them(server):
    fill(server, 3, "expunge")
    doctor, secretary = Session(server, GP, SHARED_INBOX), Session(server, SECRETARY, SHARED_INBOX)
    count = secretary.exists()
    doctor.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    doctor.ok("EXPUNGE")
    # FETCH, STORE and SEARCH never say EXPUNGE: the secretary's numbers stay as they were.
    for command in ("FETCH 1:* (UID)", "SEARCH ALL", "STORE 2 +FLAGS (\\Seen)"):
        lines = secretary.ok(command)
        assert not any(line.endswith(" EXPUNGE") for line in lines), (command, lines)
    lines = secretary.ok("SEARCH ALL")
    assert lines[0] == "* SEARCH " + " ".join(str(n) for n in range(1, count + 1)), lines
    # NOOP tells it, and the next FETCH numbers the messages without it.
    lines = secretary.ok("NOOP")
    assert "* 1 EXPUNGE" in lines, lines
    lines = secretary.ok("SEARCH ALL")
    assert lines[0] == "* SEARCH " + " ".join(str(n) for n in range(1, count)), lines
    doctor.close()
    secretary.close()


def test_an_expunge_reports_what_others_removed_and_added_too(server):
    fill(server, 3, "both")
    # The same doctor on two devices: both may expunge.
    desktop, laptop = Session(server, GP, SHARED_INBOX), Session(server, GP, SHARED_INBOX)
    count = laptop.exists()
    desktop.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    desktop.ok("EXPUNGE")
    laptop.ok(f"STORE {count} +FLAGS.SILENT (\\Deleted)")
    fill(server, 1, "arrived")
    lines = laptop.ok("EXPUNGE")
    expunged = [line for line in lines if line.endswith(" EXPUNGE")]
    assert expunged[0] == "* 1 EXPUNGE" and len(expunged) == 2, lines
    assert f"* {count} EXISTS" in lines, lines  # count - 1 + 1 new, told before its own expunge
    desktop.close()
    laptop.close()


def test_a_new_keyword_is_announced_before_any_fetch_shows_it(server):
    fill(server, 1, "keyword")
    doctor, secretary = Session(server, GP, SHARED_INBOX), Session(server, SECRETARY, SHARED_INBOX)
    lines = doctor.ok("STORE 1 +FLAGS ($Urgent)")
    flags_at = next(i for i, line in enumerate(lines) if line.startswith("* FLAGS ("))
    fetch_at = next(i for i, line in enumerate(lines) if "FETCH" in line)
    assert "$Urgent" in lines[flags_at] and flags_at < fetch_at, lines
    assert any("[PERMANENTFLAGS (" in line and "$Urgent" in line for line in lines), lines
    lines = secretary.ok("FETCH 1 (FLAGS)")
    flags_at = next(i for i, line in enumerate(lines) if line.startswith("* FLAGS ("))
    fetch_at = next(i for i, line in enumerate(lines) if "$Urgent" in line and "FETCH" in line)
    assert flags_at < fetch_at, lines
    doctor.ok("STORE 1 -FLAGS ($Urgent)")
    doctor.close()
    secretary.close()


def test_the_first_condstore_command_tells_highestmodseq(server):
    fill(server, 1, "condstore")
    session = Session(server, GP, SHARED_INBOX)
    lines = session.ok("FETCH 1 (MODSEQ)")
    assert any(re.match(r"\* OK \[HIGHESTMODSEQ \d+\]", line) for line in lines), lines
    lines = session.ok("FETCH 1 (MODSEQ)")
    assert not any("HIGHESTMODSEQ" in line for line in lines), lines
    session.close()


def test_address_search_sees_through_comments_and_folding(server):
    from mssd_harness import add_personal_account
    user = add_personal_account(server, "recherche@test.mssante.fr")
    message = ("From: Dr Jean <jean (Dr) @ (cabinet) example.org>\r\n"
               "To: a@b.example,\r\n\t<secretariat (accueil) @ cabinet.example>\r\n"
               "Subject: adresses\r\n\r\ncorps\r\n")
    c = server.imaps_login(user)
    c.append("INBOX", None, None, message.encode())
    c.select("INBOX")
    for key, value in (("FROM", "jean@example.org"), ("TO", "secretariat@cabinet.example"), ("FROM", "Dr Jean")):
        typ, data = c.search(None, key, f'"{value}"')
        assert typ == "OK" and data[0].split() == [b"1"], (key, value, data)
    typ, data = c.search(None, "FROM", '"nobody@example.org"')
    assert data[0].split() == []
    c.logout()


def test_exactly_one_imap4rev1_session_sees_a_new_message_as_recent(server):
    from mssd_harness import add_personal_account
    user = add_personal_account(server, "recent@test.mssante.fr")
    first, second = Session(server, user, "INBOX"), Session(server, user, "INBOX")
    assert "* 0 RECENT" in first.selected and "* 0 RECENT" in second.selected
    deliver(server, user, "nouveau")
    wait_mail_count(server, user, 1)
    lines = first.ok("NOOP")
    assert "* 1 EXISTS" in lines and "* 1 RECENT" in lines, lines
    lines = second.ok("NOOP")
    assert "* 1 EXISTS" in lines and "* 0 RECENT" in lines, lines
    assert first.ok("FETCH 1 (FLAGS)")[0] == "* 1 FETCH (FLAGS (\\Recent))"
    assert second.ok("FETCH 1 (FLAGS)")[0] == "* 1 FETCH (FLAGS ())"
    assert first.ok("SEARCH NEW")[0] == "* SEARCH 1" and second.ok("SEARCH NEW")[0] == "* SEARCH"
    assert first.ok("SEARCH OLD")[0] == "* SEARCH" and second.ok("SEARCH RECENT")[0] == "* SEARCH"
    # Delivered while nobody has the mailbox selected: the next SELECT gets it, STATUS counts it.
    first.ok("UNSELECT")
    second.ok("UNSELECT")
    deliver(server, user, "deuxieme")
    wait_mail_count(server, user, 2)
    assert "* STATUS \"INBOX\" (RECENT 1)" in first.ok("STATUS INBOX (RECENT)")
    assert "* 0 RECENT" in first.ok("EXAMINE INBOX")  # EXAMINE claims nothing
    assert "* 1 RECENT" in second.ok("SELECT INBOX")
    assert "* 0 RECENT" in first.ok("SELECT INBOX")
    first.close()
    second.close()


def test_a_binary_part_is_stored_without_nul_and_read_back_with_binary(server):
    from mssd_harness import add_personal_account
    user = add_personal_account(server, "binaire@test.mssante.fr")
    pdf = b"%PDF-1.4\x00\x01\x02 fin"
    message = (b"Subject: CR\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
               b"Content-Type: text/plain\r\n\r\ntexte\r\n--b\r\nContent-Type: application/pdf\r\n"
               b"Content-Transfer-Encoding: binary\r\n\r\n" + pdf + b"\r\n--b--\r\n")
    session = Session(server, user)
    session.sock.sendall(b"a APPEND INBOX ~{%d}\r\n" % len(message))
    assert session.file.readline().startswith(b"+")
    session.sock.sendall(message + b"\r\n")
    assert session.file.readline().startswith(b"a OK [APPENDUID")
    session.ok("SELECT INBOX")
    lines = session.ok("FETCH 1 BODY.PEEK[]")
    assert "\x00" not in "\n".join(lines) and "Content-Transfer-Encoding: base64" in lines, lines
    lines = session.ok("FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])")
    assert f"BINARY.SIZE[2] {len(pdf)}" in lines[0] and lines[0].endswith(f"BINARY[2] ~{{{len(pdf)}}}"), lines
    assert lines[1].startswith(pdf.decode().split("\r\n")[0]), lines
    session.close()
