"""Cyrus's own clients, which nobody here wrote, managing the RFC 4314 ACL of the practice's
organisational mailbox on the real mssd: imtest (cyrus-clients) over IMAPS, cyradm (cyrus-admin)
over STARTTLS; what each grant or refusal does is checked as the doctor with imaplib."""
import imaplib
import os
import re
import shlex
import shutil
import subprocess

import pytest

from mssd_harness import DOCTOR, GP, PASSWORD, PRACTICE, SECRETARY, deliver, wait_mail_count

PRACTICE_INBOX = f"Shared/{PRACTICE}/INBOX"
PRACTICE_ACL = {GP: "lrswipkxtea0", SECRETARY: "lrsw"}  # as mssd_harness.add_standard_accounts sets it
IMTEST = shutil.which("imtest") or next(
    (p for p in ["/usr/lib/cyrus/bin/imtest"] if os.access(p, os.X_OK)), None)
CYRADM = shutil.which("cyradm")


class Imtest:
    """imtest -f: logs in with AUTHENTICATE PLAIN over IMAPS, sends a file of tagged commands and
    prints every response. imtest offers no CA option: it reports the chain as unverified and goes
    on, so this path checks the protocol, not the certificate."""
    name = "imtest"

    def __init__(self, server, tmp_path):
        self.server, self.script = server, tmp_path / "imtest-script"

    def run(self, user, *commands):
        """{tag: (status, text)} and the untagged lines for commands t1..tN."""
        self.script.write_bytes(b"".join(f"t{n} {c}\r\n".encode() for n, c in enumerate(commands, 1)))
        r = subprocess.run([IMTEST, "-s", "-p", str(self.server.imaps), "-m", "PLAIN", "-a", user,
                            "-w", PASSWORD, "-f", str(self.script), "127.0.0.1"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=60)
        out = r.stdout + r.stderr
        assert "Authenticated." in out, out
        tagged = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(r"^(t\d+) (OK|NO|BAD) (.*?)\r?$", out, re.M)}
        assert set(tagged) == {f"t{n}" for n in range(1, len(commands) + 1)}, out
        return tagged, [l.rstrip("\r") for l in out.splitlines() if l.startswith("* ")]

    def listacl(self, user, mailbox):
        tagged, untagged = self.run(user, f'GETACL "{mailbox}"')
        if tagged["t1"][0] != "OK":
            return None, " ".join(tagged["t1"])
        words = shlex.split(next(l for l in untagged if l.startswith("* ACL "))[len("* ACL "):])
        assert words[0] == mailbox, words
        return dict(zip(words[1::2], words[2::2])), ""

    def setacl(self, user, mailbox, who, rights):
        status, text = self.run(user, f'SETACL "{mailbox}" "{who}" {rights}')[0]["t1"]
        return status == "OK", f"{status} {text}"

    def deleteacl(self, user, mailbox, who):
        status, text = self.run(user, f'DELETEACL "{mailbox}" "{who}"')[0]["t1"]
        return status == "OK", f"{status} {text}"


class Cyradm:
    """cyradm, Cyrus's admin shell, fed its commands on stdin: it connects to the cleartext port,
    upgrades with STARTTLS, checks the chain against --cafile (it prints "verify error" and goes on
    when that fails, so the run asserts there is none) and logs in with AUTHENTICATE PLAIN.
    Failed commands print "<command>: <arguments>: <server text>" on stderr."""
    name = "cyradm"

    def __init__(self, server, tmp_path):
        self.server = server

    def run(self, user, *commands):
        r = subprocess.run([CYRADM, "--user", user, "--password", PASSWORD, "--auth", "PLAIN",
                            "--cafile", str(self.server.trust), "--port", str(self.server.imap),
                            "--server", "127.0.0.1"], input="\n".join(commands) + "\n",
                           capture_output=True, text=True, errors="replace", timeout=60)
        assert "verify error" not in r.stdout + r.stderr, r.stdout + r.stderr
        assert r.returncode == 0 and "127.0.0.1>" in r.stdout, (r.returncode, r.stdout, r.stderr)
        out = [re.sub(r"^(127\.0\.0\.1> ?)+", "", l) for l in r.stdout.splitlines()]
        return [l for l in out if l], r.stderr.strip()

    def listacl(self, user, mailbox):
        out, err = self.run(user, f"listacl {mailbox}")
        if err:
            return None, err
        acl = {}
        for line in out:
            who, rights = shlex.split(line)  # cyradm prints identifiers as the server quoted them
            acl[who] = rights
        return acl, ""

    def setacl(self, user, mailbox, who, rights):
        err = self.run(user, f"setacl {mailbox} {who} {rights}")[1]
        return not err, err

    def deleteacl(self, user, mailbox, who):
        err = self.run(user, f"deleteacl {mailbox} {who}")[1]
        return not err, err


@pytest.fixture(params=["imtest", "cyradm"])
def tool(request, server, tmp_path):
    if request.param == "imtest" and IMTEST is None:
        pytest.skip("imtest is not installed (cyrus-clients, scripts/deps.sh --test)")
    if request.param == "cyradm" and CYRADM is None:
        pytest.skip("cyradm is not installed (Debian package cyrus-admin)")
    return (Imtest if request.param == "imtest" else Cyradm)(server, tmp_path)


def imap(server, user):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(user, PASSWORD)
    return c


def acl_of(server, mailbox=PRACTICE_INBOX):
    """The ACL as the GP reads it with imaplib: {identifier: rights}."""
    c = imap(server, GP)
    typ, data = c.getacl(f'"{mailbox}"')
    c.logout()
    assert typ == "OK", data
    words = shlex.split(data[0].decode())
    return dict(zip(words[1::2], words[2::2]))


@pytest.fixture(autouse=True)
def acl_restored(server):
    """Whatever a test does to the practice's ACL is undone afterwards (other tests of this module
    share the server), with imaplib as the GP."""
    before = acl_of(server)
    yield
    after = acl_of(server)
    if after != before:
        c = imap(server, GP)
        for who in set(after) - set(before):
            assert c.deleteacl(f'"{PRACTICE_INBOX}"', who)[0] == "OK"
        for who, rights in before.items():
            if after.get(who) != rights:
                assert c.setacl(f'"{PRACTICE_INBOX}"', who, rights)[0] == "OK"
        c.logout()
        assert acl_of(server) == before


def shared_folders(c):
    typ, data = c.list('""', "Shared/*")
    assert typ == "OK"
    return {re.search(rb'"([^"]*)"$', line).group(1).decode() for line in data if line}


def test_the_gp_lists_the_practice_acl(tool, server):
    acl, err = tool.listacl(GP, PRACTICE_INBOX)
    assert acl == PRACTICE_ACL, err
    acl, err = tool.listacl(GP, f"Shared/{PRACTICE}/Sent")  # one ACL for every folder of the mailbox
    assert acl == PRACTICE_ACL, err


def test_setacl_lr_lets_the_doctor_read_but_not_expunge(tool, server):
    deliver(server, PRACTICE, f"resultat pour le cabinet ({tool.name})")
    count = len(wait_mail_count(server, PRACTICE, len(server.mail_list(PRACTICE)) + 1))
    d = imap(server, DOCTOR)
    assert shared_folders(d) == set()

    ok, err = tool.setacl(GP, PRACTICE_INBOX, DOCTOR, "lr")
    assert ok, err
    acl, err = tool.listacl(GP, PRACTICE_INBOX)
    assert acl == {**PRACTICE_ACL, DOCTOR: "lr"}, err

    assert PRACTICE_INBOX in shared_folders(d)  # the session opened before the grant sees it at once
    assert d.myrights(f'"{PRACTICE_INBOX}"') == ("OK", [f'"{PRACTICE_INBOX}" lr'.encode()])
    with pytest.raises(imaplib.IMAP4.readonly):  # OK [READ-ONLY]: no i, e, s, w or t (RFC 4314 5.2)
        d.select(f'"{PRACTICE_INBOX}"')
    d.is_readonly = True  # imaplib's own state: go on in the read-only mailbox
    typ, data = d.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and f"resultat pour le cabinet ({tool.name})".encode() in b"".join(
        part[1] for part in data if isinstance(part, tuple))
    assert d.store("1:*", "+FLAGS", r"(\Deleted)")[0] == "NO"
    assert d.expunge()[0] == "NO"
    assert d.uid("EXPUNGE", "1:*")[0] == "NO"
    d.logout()
    assert len(server.mail_list(PRACTICE)) == count
    g = imap(server, GP)
    g.select(f'"{PRACTICE_INBOX}"', readonly=True)
    assert g.search(None, "DELETED") == ("OK", [b""])  # the refused STORE changed nothing
    g.logout()


def test_deleteacl_hides_the_mailbox_from_the_doctor_again(tool, server):
    ok, err = tool.setacl(GP, PRACTICE_INBOX, DOCTOR, "lr")
    assert ok, err
    d = imap(server, DOCTOR)
    assert PRACTICE_INBOX in shared_folders(d)

    ok, err = tool.deleteacl(GP, PRACTICE_INBOX, DOCTOR)
    assert ok, err
    acl, err = tool.listacl(GP, PRACTICE_INBOX)
    assert acl == PRACTICE_ACL, err
    assert shared_folders(d) == set()  # the open session too
    d.logout()
    d = imap(server, DOCTOR)
    assert shared_folders(d) == set()
    typ, data = d.select(f'"{PRACTICE_INBOX}"')
    assert (typ, data) == ("NO", [b"[NONEXISTENT] No such mailbox"])
    d.logout()


def test_the_secretary_may_not_change_the_acl(tool, server):
    """The secretary holds lrsw, not a: she may neither read nor change the ACL."""
    ok, err = tool.setacl(SECRETARY, PRACTICE_INBOX, DOCTOR, "lr")
    assert not ok and "NOPERM" in err, err
    ok, err = tool.deleteacl(SECRETARY, PRACTICE_INBOX, GP)
    assert not ok and "NOPERM" in err, err
    acl, err = tool.listacl(SECRETARY, PRACTICE_INBOX)
    assert acl is None and "NOPERM" in err, (acl, err)
    assert acl_of(server) == PRACTICE_ACL
    d = imap(server, DOCTOR)
    assert shared_folders(d) == set()
    d.logout()


def test_a_personal_inbox_is_never_shared(tool, server):
    ok, err = tool.setacl(GP, "INBOX", DOCTOR, "lr")
    assert not ok and "CANNOT" in err, err
    acl, err = tool.listacl(GP, "INBOX")
    assert acl == {GP: "lrswipkxtea"}, err
    d = imap(server, DOCTOR)
    assert d.list('""', "*jean.dupont*") == ("OK", [None])
    assert shared_folders(d) == set()
    d.logout()


def test_unknown_rights_and_identifiers_are_refused(tool, server):
    ok, err = tool.setacl(GP, PRACTICE_INBOX, DOCTOR, "lrq")
    assert not ok and "Unknown right" in err, err
    ok, err = tool.setacl(GP, PRACTICE_INBOX, "personne@test.mssante.fr", "lr")
    assert not ok and "NONEXISTENT" in err, err
    assert acl_of(server) == PRACTICE_ACL
