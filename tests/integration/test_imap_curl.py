"""curl's IMAP client, which nobody here wrote, against the real mssd checked with the test IGC chain:
sign-in (SASL-IR PLAIN), LIST, fetch by UID and UIDVALIDITY, SEARCH in the URL, APPEND (-T), custom
commands (-X) and STARTTLS."""
import imaplib
import re
import shutil
import subprocess

import pytest

from mssd_harness import DOMAIN, PASSWORD, add_personal_account, deliver, wait_mail_count

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (scripts/deps.sh --test)")

USER = f"curl.user@{DOMAIN}"

# curl's exit codes (curl(1), EXIT CODES)
CURLE_UPLOAD_FAILED = 25
CURLE_LOGIN_DENIED = 67
CURLE_REMOTE_FILE_NOT_FOUND = 78


@pytest.fixture(scope="module")
def mailbox(server):
    """A personal account with two messages delivered over SMTP (UIDs 1 and 2)."""
    add_personal_account(server, USER)
    deliver(server, USER, "resultat 1", body="ligne 1")
    deliver(server, USER, "resultat 2", body="ligne 2")
    assert len(wait_mail_count(server, USER, 2)) == 2
    return server


def curl(server, url_path, *args, user=USER, password=PASSWORD, scheme="imaps"):
    port = server.imaps if scheme == "imaps" else server.imap
    cmd = ["curl", "--silent", "--show-error", "--max-time", "60", "--cacert", str(server.trust),
           "--user", f"{user}:{password}", *args, f"{scheme}://127.0.0.1:{port}/{url_path}"]
    return subprocess.run(cmd, capture_output=True, timeout=90)


def imap(server):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(USER, PASSWORD)
    return c


def test_list_mailboxes(mailbox):
    r = curl(mailbox, "")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    names = {re.search(r'"([^"]*)"$', line).group(1): line for line in lines}
    assert set(names) == {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}
    assert all(line.startswith("* LIST (") and ' "/" ' in line for line in lines)
    assert "\\Sent" in names["Sent"] and "\\Drafts" in names["Drafts"] and "\\Trash" in names["Trash"]


def test_fetch_a_message_by_uid(mailbox):
    r = curl(mailbox, "INBOX;UID=2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == mailbox.mail_fetch(USER, 2)  # the stored message, octet for octet
    assert r.stdout.startswith(b"Return-Path: <lab@labo-y.mssante.fr>\r\n")
    assert r.stdout.endswith(b"Subject: resultat 2\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\nligne 2\r\n")
    c = imap(mailbox)
    c.select("INBOX", readonly=True)
    assert c.uid("FETCH", "1:2", "(FLAGS)")[1] == [b"1 (UID 1 FLAGS ())", b"2 (UID 2 FLAGS (\\Seen))"]
    c.logout()


def test_fetch_a_header_section_by_message_number(mailbox):
    r = curl(mailbox, "INBOX;MAILINDEX=1;SECTION=HEADER.FIELDS%20(SUBJECT)")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"Subject: resultat 1\r\n\r\n"


def test_search_in_the_url_query(mailbox):
    r = curl(mailbox, "INBOX?SUBJECT%20%22resultat%202%22")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"* SEARCH 2\r\n"
    r = curl(mailbox, "INBOX?SUBJECT%20absent")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"* SEARCH\r\n"


def test_uid_that_does_not_exist_and_stale_uidvalidity(mailbox):
    r = curl(mailbox, "INBOX;UID=99")
    assert r.returncode == CURLE_REMOTE_FILE_NOT_FOUND and r.stdout == b""
    c = imap(mailbox)
    uidvalidity = int(c.status("INBOX", "(UIDVALIDITY)")[1][0].split()[-1].rstrip(b")"))
    c.logout()
    r = curl(mailbox, f"INBOX;UIDVALIDITY={uidvalidity}/;UID=1")
    assert r.returncode == 0, r.stderr
    assert b"Subject: resultat 1\r\n" in r.stdout
    r = curl(mailbox, f"INBOX;UIDVALIDITY={uidvalidity + 1}/;UID=1")
    assert r.returncode == CURLE_REMOTE_FILE_NOT_FOUND
    assert b"UIDVALIDITY" in r.stderr


def test_upload_with_append(mailbox, tmp_path):
    message = (b"From: <" + USER.encode() + b">\r\nTo: <jean.dupont@test.mssante.fr>\r\n"
               b"Subject: envoye par curl\r\nDate: Mon, 23 Nov 2026 11:00:00 +0100\r\n\r\ncorps\r\n")
    (tmp_path / "draft.eml").write_bytes(message)
    before = len(mailbox.mail_list(USER, "Drafts"))
    r = curl(mailbox, "Drafts", "--upload-file", str(tmp_path / "draft.eml"))
    assert r.returncode == 0, r.stderr
    listing = wait_mail_count(mailbox, USER, before + 1, folder="Drafts")
    assert len(listing) == before + 1
    uid, size, subject = listing[-1]
    assert subject == "envoye par curl" and int(size) == len(message)
    assert mailbox.mail_fetch(USER, uid, folder="Drafts") == message
    c = imap(mailbox)
    c.select("Drafts", readonly=True)
    assert c.uid("FETCH", uid, "(FLAGS)")[1] == [f"{before + 1} (UID {uid} FLAGS (\\Seen))".encode()]
    c.logout()


def test_upload_to_a_missing_folder_fails(mailbox, tmp_path):
    (tmp_path / "m.eml").write_bytes(b"Subject: perdu\r\n\r\nx\r\n")
    r = curl(mailbox, "NoSuchFolder", "--upload-file", str(tmp_path / "m.eml"))
    assert r.returncode == CURLE_UPLOAD_FAILED


def test_custom_examine(mailbox):
    r = curl(mailbox, "", "--request", "EXAMINE INBOX")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert "* OK [PERMANENTFLAGS ()] Flags permitted" in lines
    assert any(re.fullmatch(r"\* OK \[UIDVALIDITY \d+\] .*", line) for line in lines)
    exists = [line for line in lines if line.endswith(" EXISTS")]
    assert exists == [f"* {len(mailbox.mail_list(USER))} EXISTS"]
    r = curl(mailbox, "", "--request", "STATUS Drafts (MESSAGES UIDNEXT)")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(rb'\* STATUS "Drafts" \(MESSAGES \d+ UIDNEXT \d+\)\r?\n', r.stdout)


def test_wrong_password_is_refused(mailbox):
    r = curl(mailbox, "", password="wrong")
    assert r.returncode == CURLE_LOGIN_DENIED and r.stdout == b""


def test_starttls_on_the_cleartext_port(mailbox):
    r = curl(mailbox, "", "--ssl-reqd", scheme="imap")
    assert r.returncode == 0, r.stderr
    assert b'* LIST (\\HasNoChildren) "/" "INBOX"' in r.stdout
