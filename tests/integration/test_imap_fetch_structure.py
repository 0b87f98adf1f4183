"""FETCH of message structure against the real mssd with Python's imaplib: BODYSTRUCTURE and BODY,
ENVELOPE, MIME part sections (n.MIME, n.HEADER, n.TEXT inside message/rfc822), BINARY with literal8
and UNKNOWN-CTE, broken MIME answered well-formed, and MODSEQ / CHANGEDSINCE (RFC 7162)."""
import re
import smtplib

import pytest

from mssd_harness import DOCTOR

SENDER = "lab@labo-y.mssante.fr"

MIXED = """From: "Laboratoire Y" <lab@labo-y.mssante.fr>
To: marie.martin@test.mssante.fr
Subject: =?UTF-8?Q?R=C3=A9sultats?=
Date: Mon, 3 Nov 2025 10:00:00 +0100
Message-ID: <abc@labo-y.mssante.fr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_b1"

This is a preamble.
--=_b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

R=C3=A9sultat normal.
--=_b1
Content-Type: application/octet-stream; name="data.bin"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="data.bin"

AAECAwBhYmM=
--=_b1
Content-Type: text/plain
Content-Transfer-Encoding: x-uuencode

begin 644 x
--=_b1--
"""

FORWARD = """From: a@b.fr
To: marie.martin@test.mssante.fr
Subject: fwd
Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

see attached
--x
Content-Type: message/rfc822
Content-Disposition: attachment

From: "Inner, Sender" <in@n.fr>
To: u1@d.fr, Group: g1@d.fr, g2@d.fr;
Subject: inner subject
Date: Tue, 4 Nov 2025 08:00:00 +0000
Message-ID: <inner@n.fr>
Content-Type: multipart/alternative; boundary=y

--y
Content-Type: text/plain

inner plain
--y
Content-Type: text/html

<b>inner</b>
--y--
--x--
"""

SIGNED = """From: a@b.fr
To: marie.martin@test.mssante.fr
Subject: signe
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="----S1"

This is an S/MIME signed message

------S1
Content-Type: text/plain; charset=us-ascii

Signed body.
------S1
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"

MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0B
------S1--
"""

BROKEN = """From: a@b.fr
To: marie.martin@test.mssante.fr
Subject: broken
Content-Type: multipart/mixed

--x
Content-Type: text/plain

hi
--x--
"""


@pytest.fixture(scope="module")
def mailbox(server):
    """DOCTOR's INBOX holding MIXED, FORWARD, SIGNED and BROKEN as messages 1 to 4. SIGNED's signature
    is made up: the doctor accepts invalid signatures (filed with the verdict) instead of the default
    quarantine, so that it stays in the INBOX for FETCH."""
    server.ctl("smime", "settings", DOCTOR, "--invalid", "accept")
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        for text in (MIXED, FORWARD, SIGNED, BROKEN):
            c.sendmail(SENDER, [DOCTOR], text.replace("\n", "\r\n").encode())
    return server


def connect(server):
    c = server.imaps_login(DOCTOR)
    c.select("INBOX")
    return c


def test_bodystructure_and_body_of_multipart_mixed(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("1", "(BODYSTRUCTURE)")
    assert typ == "OK"
    assert data[0] == (
        b'1 (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 21 0 NIL NIL NIL NIL)'
        b'("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 12 NIL ("attachment" ("filename" "data.bin")) NIL NIL)'
        b'("text" "plain" ("charset" "us-ascii") NIL NIL "x-uuencode" 11 0 NIL NIL NIL NIL)'
        b' "mixed" ("boundary" "=_b1") NIL NIL NIL))')
    typ, data = c.fetch("1", "(BODY)")
    assert data[0] == (
        b'1 (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 21 0)'
        b'("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 12)'
        b'("text" "plain" ("charset" "us-ascii") NIL NIL "x-uuencode" 11 0) "mixed"))')
    c.logout()


def test_envelope(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("1", "(ENVELOPE)")
    assert data[0] == (
        b'1 (ENVELOPE ("Mon, 3 Nov 2025 10:00:00 +0100" "=?UTF-8?Q?R=C3=A9sultats?=" '
        b'(("Laboratoire Y" NIL "lab" "labo-y.mssante.fr")) (("Laboratoire Y" NIL "lab" "labo-y.mssante.fr")) '
        b'(("Laboratoire Y" NIL "lab" "labo-y.mssante.fr")) ((NIL NIL "marie.martin" "test.mssante.fr")) '
        b'NIL NIL NIL "<abc@labo-y.mssante.fr>"))')
    c.logout()


def test_mime_part_sections(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[1]<0.3>)")
    assert typ == "OK"
    items = {re.search(rb"(BODY\[[^\]]*\](<\d+>)?) \{", part[0]).group(1): part[1] for part in data if isinstance(part, tuple)}
    assert items[b"BODY[1]"] == b"R=C3=A9sultat normal."
    assert items[b"BODY[2.MIME]"] == (b'Content-Type: application/octet-stream; name="data.bin"\r\n'
                                      b'Content-Transfer-Encoding: base64\r\n'
                                      b'Content-Disposition: attachment; filename="data.bin"\r\n\r\n')
    assert items[b"BODY[1]<0>"] == b"R=C"
    assert c.fetch("1", "(FLAGS)")[1] == [b"1 (FLAGS ())"]  # PEEK left \Seen alone
    c.logout()


def test_message_rfc822_attachment(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("2", "(BODYSTRUCTURE)")
    assert data[0] == (
        b'2 (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL)'
        b'("message" "rfc822" NIL NIL NIL "7bit" 308 ("Tue, 4 Nov 2025 08:00:00 +0000" "inner subject" '
        b'(("Inner, Sender" NIL "in" "n.fr")) (("Inner, Sender" NIL "in" "n.fr")) (("Inner, Sender" NIL "in" "n.fr")) '
        b'((NIL NIL "u1" "d.fr")(NIL NIL "Group" NIL)(NIL NIL "g1" "d.fr")(NIL NIL "g2" "d.fr")(NIL NIL NIL NIL)) '
        b'NIL NIL NIL "<inner@n.fr>") (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 0 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" ("boundary" "y") NIL NIL NIL)'
        b' 15 NIL ("attachment" NIL) NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL))')
    typ, data = c.fetch("2", "(BODY.PEEK[2.1] BODY.PEEK[2.HEADER.FIELDS (SUBJECT)] BODY.PEEK[2.2.MIME] BODY.PEEK[3])")
    parts = [p[1] for p in data if isinstance(p, tuple)]
    assert parts == [b"inner plain", b"Subject: inner subject\r\n\r\n", b"Content-Type: text/html\r\n\r\n", b""]
    typ, data = c.fetch("2", "(BODY.PEEK[2.TEXT]<0.5>)")
    assert data[0][1] == b"--y\r\n"
    c.logout()


def test_smime_multipart_signed(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("3", "(BODYSTRUCTURE)")
    assert data[0] == (
        b'3 (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 0 NIL NIL NIL NIL)'
        b'("application" "pkcs7-signature" ("name" "smime.p7s") NIL NIL "base64" 64 NIL ("attachment" ("filename" "smime.p7s")) NIL NIL)'
        b' "signed" ("protocol" "application/pkcs7-signature" "micalg" "sha-256" "boundary" "----S1") NIL NIL NIL))')
    typ, data = c.fetch("3", "(BODY.PEEK[1.MIME] BODY.PEEK[1])")
    assert b"".join(p[1] for p in data if isinstance(p, tuple)) == (
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nSigned body.")
    c.logout()


def test_broken_mime_is_answered_well_formed(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("4", "(BODYSTRUCTURE BODY)")
    assert typ == "OK"
    assert data[0] == (b'4 (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 44 5 NIL NIL NIL NIL)'
                       b' BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 44 5))')
    typ, data = c.fetch("4", "(BODY.PEEK[1])")
    assert data[0][1] == b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"
    c.logout()


def test_binary_decodes_and_uses_literal8_for_nul(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("1", "(BINARY.PEEK[2] BINARY.SIZE[2] BINARY.SIZE[1])")
    assert typ == "OK"
    assert data[0] == (b"1 (BINARY[2] ~{8}", b"\x00\x01\x02\x03\x00abc")
    assert data[1] == b" BINARY.SIZE[2] 8 BINARY.SIZE[1] 17)"
    typ, data = c.fetch("1", "(BINARY.PEEK[1])")
    assert data[0] == (b"1 (BINARY[1] {17}", "Résultat normal.".encode())
    typ, data = c.fetch("1", "(BINARY.PEEK[3])")
    assert typ == "NO" and b"[UNKNOWN-CTE]" in data[0]
    assert c.fetch("1", "(FLAGS)")[1] == [b"1 (FLAGS ())"]
    typ, data = c.fetch("1", "(BINARY[1]<0.1>)")
    assert data[0] == (b"1 (BINARY[1]<0> {1}", b"R")
    assert b"\\Seen" in c.fetch("1", "(FLAGS)")[1][0]  # BINARY without PEEK sets \Seen
    c.logout()


def test_modseq_and_changedsince(mailbox):
    c = connect(mailbox)
    typ, data = c.fetch("1:4", "(MODSEQ)")
    modseqs = [int(re.search(rb"MODSEQ \((\d+)\)", d).group(1)) for d in data]
    assert len(modseqs) == 4
    highest = max(modseqs)
    c.store("3", "+FLAGS", "\\Flagged")
    typ, data = c.uid("FETCH", "1:*", f"(FLAGS) (CHANGEDSINCE {highest})")
    assert typ == "OK"
    assert len(data) == 1
    changed = re.match(rb"3 \(UID 3 FLAGS \(\\Flagged\) MODSEQ \((\d+)\)\)", data[0])
    assert changed and int(changed.group(1)) > highest
    typ, data = c.fetch("2", "(FLAGS)")  # CONDSTORE is on: FLAGS come with MODSEQ (RFC 7162 3.1.4)
    assert re.fullmatch(rb"2 \(FLAGS \(\) MODSEQ \(\d+\)\)", data[0])
    c.logout()
