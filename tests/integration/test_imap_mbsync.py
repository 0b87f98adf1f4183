"""isync's mbsync, which nobody here wrote, syncing a Maildir on disk with the real mssd over IMAPS
both ways: messages delivered over SMTP come down; messages added, flagged, trashed or deleted in
the Maildir go up (APPEND, STORE, expunge, CREATE), checked on the server with imaplib and mssctl."""
import imaplib
import pathlib
import re
import shutil
import socket
import subprocess

import pytest

from mssd_harness import DOMAIN, PASSWORD, add_personal_account, deliver, wait_mail_count

pytestmark = pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync is not installed (scripts/deps.sh --test)")

FOLDERS = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}


class Mbsync:
    """One account, one Maildir, one mbsyncrc. Host is "localhost" (in the server certificate's
    DNS names, resolved to 127.0.0.1 here): mbsync 1.4 checks DNS names only, not IP addresses."""

    def __init__(self, server, user, root: pathlib.Path):
        addresses = {a[4][0] for a in socket.getaddrinfo("localhost", server.imaps, type=socket.SOCK_STREAM)}
        assert addresses <= {"127.0.0.1", "::1"}, f"localhost is not the loopback here: {addresses}"
        self.server, self.user, self.maildir = server, user, root / "Mail"
        self.maildir.mkdir()
        self.rc = root / "mbsyncrc"
        self.rc.write_text(f"""\
IMAPAccount mssd
Host localhost
Port {server.imaps}
User {user}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {server.trust}
SystemCertificates no
Timeout 30

IMAPStore mssd-remote
Account mssd

MaildirStore local
Path {self.maildir}/
Inbox {self.maildir}/INBOX
SubFolders Verbatim

Channel mssd
Far :mssd-remote:
Near :local:
Patterns *
Create Both
Expunge Both
Sync All
SyncState *
""")
        self.last_output = ""

    def sync(self):
        r = subprocess.run(["mbsync", "-D", "-c", str(self.rc), "-a"], capture_output=True, text=True,
                           errors="replace", timeout=120)
        self.last_output = r.stdout + r.stderr
        protocol = "\n".join(l for l in self.last_output.splitlines() if re.search(r"F: (>>> |\S+ (OK|NO|BAD)|\* )", l))
        assert r.returncode == 0, f"mbsync failed ({r.returncode}):\n{r.stderr}\n-- IMAP exchange:\n{protocol[-6000:]}"
        self.protocol = protocol
        return [m.group(1) for m in re.finditer(r"F: >>> \S+ (?:UID )?([A-Z]+)", protocol)]  # commands sent

    def messages(self, folder="INBOX"):
        """{subject: (path, maildir flags)} of the Maildir folder."""
        out = {}
        for sub in ("new", "cur"):
            for path in (self.maildir / folder / sub).iterdir():
                flags = path.name.split(":2,", 1)[1] if ":2," in path.name else ""
                m = re.search(rb"^Subject: (.*?)\r?$", path.read_bytes(), re.M)
                out[m.group(1).decode() if m else None] = (path, flags)
        return out

    def set_flags(self, path, flags):
        """Renames a Maildir message to carry these flags (Maildir spec: cur/name:2,FLAGS)."""
        base = path.name.split(":2,", 1)[0]
        target = path.parent.parent / "cur" / f"{base}:2,{''.join(sorted(flags))}"
        path.rename(target)
        return target


@pytest.fixture
def box(server, request, tmp_path):
    user = add_personal_account(server, f"mbsync.{request.node.name.replace('_', '-')[5:]}@{DOMAIN}")
    return Mbsync(server, user, tmp_path)


def imap(server, user):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(user, PASSWORD)
    return c


def server_view(server, user, folder="INBOX"):
    """{subject: flags set} of a server folder, read with imaplib."""
    c = imap(server, user)
    typ, _ = c.select(folder, readonly=True)
    assert typ == "OK"
    typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    out = {}
    for item in data:
        if isinstance(item, tuple):
            flags = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
            subject = re.search(rb"Subject: (.*?)\r\n", item[1]).group(1).decode()
            out[subject] = flags
    c.logout()
    return out


def deliver_many(server, user, subjects):
    before = len(server.mail_list(user))
    for n, subject in enumerate(subjects, 1):
        deliver(server, user, subject, body=f"ligne {n}")
    assert len(wait_mail_count(server, user, before + len(subjects))) == before + len(subjects)


def test_sync_down_fetches_every_message_and_folder(box, server):
    deliver_many(server, box.user, ["resultat 1", "resultat 2", "resultat 3"])
    c = imap(server, box.user)
    c.select("INBOX")
    c.store("2", "+FLAGS", "(\\Seen \\Flagged)")
    c.logout()
    box.sync()
    assert {p.name for p in box.maildir.iterdir()} == FOLDERS
    near = box.messages()
    assert set(near) == {"resultat 1", "resultat 2", "resultat 3"}
    assert near["resultat 1"][1] == "" and near["resultat 2"][1] == "FS"
    listing = {subject: uid for uid, _, subject in server.mail_list(box.user)}
    for subject, (path, _) in near.items():
        # the message as stored, with Maildir's LF line ends and the X-TUID field mbsync adds
        near_copy = re.sub(rb"\nX-TUID: [^\n]*\n", b"\n", path.read_bytes(), count=1)
        assert near_copy == server.mail_fetch(box.user, listing[subject]).replace(b"\r\n", b"\n")
    assert server_view(server, box.user)["resultat 1"] == set()  # BODY.PEEK: nothing marked \Seen
    second = box.sync()
    assert not {"APPEND", "STORE", "EXPUNGE"} & set(second), box.protocol


def test_sync_up_appends_flags_and_expunges(box, server):
    deliver_many(server, box.user, ["resultat 1", "resultat 2", "resultat 3", "resultat 4"])
    box.sync()
    near = box.messages()
    box.set_flags(near["resultat 1"][0], "FS")   # \Flagged \Seen
    box.set_flags(near["resultat 2"][0], "RS")   # \Answered \Seen
    box.set_flags(near["resultat 3"][0], "ST")   # trashed: \Deleted, then expunged (Expunge Both)
    near["resultat 4"][0].unlink()               # gone from the Maildir: expunged on the server
    new = (b"From: <" + box.user.encode() + b">\r\nTo: <jean.dupont@test.mssante.fr>\r\n"
           b"Subject: ecrit hors ligne\r\nDate: Mon, 23 Nov 2026 12:00:00 +0100\r\n"
           b"Message-ID: <offline.1@test.mssante.fr>\r\n\r\ncorps du message\r\n")
    (box.maildir / "INBOX" / "cur" / "1795000000.1_1.host:2,S").write_bytes(new)
    commands = box.sync()
    assert "APPEND" in commands and "X-TUID" not in box.protocol  # the APPENDUID was used, no search
    assert server_view(server, box.user) == {
        "resultat 1": {"\\Flagged", "\\Seen"},
        "resultat 2": {"\\Answered", "\\Seen"},
        "ecrit hors ligne": {"\\Seen"},
    }
    listing = {subject: uid for uid, _, subject in server.mail_list(box.user)}
    stored = server.mail_fetch(box.user, listing["ecrit hors ligne"])
    head, body = new.split(b"\r\n\r\n", 1)  # mbsync adds its X-TUID field at the end of the header
    assert re.fullmatch(re.escape(head) + rb"\r\nX-TUID: [^\r\n]+\r\n\r\n" + re.escape(body), stored), stored
    assert set(box.messages()) == {"resultat 1", "resultat 2", "ecrit hors ligne"}
    again = box.sync()
    assert not {"APPEND", "STORE"} & set(again), box.protocol


def test_server_side_changes_come_down(box, server):
    deliver_many(server, box.user, ["resultat 1", "resultat 2", "resultat 3"])
    box.sync()
    c = imap(server, box.user)
    c.select("INBOX")
    c.store("1", "+FLAGS", "(\\Answered)")
    c.store("3", "+FLAGS", "(\\Deleted)")
    assert c.expunge()[1] == [b"3"]
    typ, data = c.append("Drafts", "(\\Draft)", None,
                         b"Subject: brouillon serveur\r\nFrom: <" + box.user.encode() + b">\r\n\r\ntexte\r\n")
    assert typ == "OK"
    c.logout()
    deliver_many(server, box.user, ["resultat 4"])
    box.sync()
    near = box.messages()
    assert set(near) == {"resultat 1", "resultat 2", "resultat 4"}
    assert near["resultat 1"][1] == "R" and near["resultat 4"][1] == ""
    drafts = box.messages("Drafts")
    assert set(drafts) == {"brouillon serveur"} and drafts["brouillon serveur"][1] == "D"


def test_moving_a_message_between_folders_in_the_maildir(box, server):
    deliver_many(server, box.user, ["a archiver", "a garder"])
    box.sync()
    path, flags = box.messages()["a archiver"]
    path.rename(box.maildir / "Archive" / "cur" / (path.name.split(",U=")[0] + ":2,S"))
    box.sync()
    assert set(server_view(server, box.user)) == {"a garder"}
    assert server_view(server, box.user, "Archive") == {"a archiver": {"\\Seen"}}


def test_a_folder_made_in_the_maildir_is_created_on_the_server(box, server):
    box.sync()
    for sub in ("cur", "new", "tmp"):
        (box.maildir / "Projets" / sub).mkdir(parents=True)
    (box.maildir / "Projets" / "cur" / "1795000000.2_1.host:2,S").write_bytes(
        b"From: <" + box.user.encode() + b">\nSubject: compte rendu\n\ntexte\n")
    commands = box.sync()
    assert "CREATE" in commands
    c = imap(server, box.user)
    assert c.list('""', "Projets")[1] == [b'(\\HasNoChildren) "/" "Projets"']
    c.logout()
    assert server_view(server, box.user, "Projets") == {"compte rendu": {"\\Seen"}}
