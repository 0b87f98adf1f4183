"""interimap, a QRESYNC client nobody here wrote, synchronising two accounts of the real mssd both
ways over IMAPS (ENABLE QRESYNC, LIST-EXTENDED/LIST-STATUS, SELECT (QRESYNC ...), UIDPLUS, STORE
UNCHANGEDSINCE, UID EXPUNGE, RENAME, DELETE); the result is checked on each account with imaplib."""
import datetime
import imaplib
import re
import shutil
import subprocess

import pytest

from mssd_harness import DOMAIN, PASSWORD, add_personal_account, deliver, wait_mail_count

pytestmark = pytest.mark.skipif(shutil.which("interimap") is None,
                                reason="interimap is not installed (scripts/deps.sh --test)")

DEFAULT_FOLDERS = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}


class Interimap:
    """One interimap configuration pairing two mssd accounts: [local] and [remote] are both the
    real mssd over IMAPS on 127.0.0.1 (in the server certificate's IP addresses), the test IGC as
    the only trust anchor, and interimap's SQLite state in the test's directory."""

    def __init__(self, server, local, remote, root, compress=False):
        self.server, self.local, self.remote, self.root = server, local, remote, root
        self.config = root / "interimap.ini"
        sections = []
        for name, user in (("local", local), ("remote", remote)):
            sections.append(f"""\
[{name}]
type = imaps
host = 127.0.0.1
port = {server.imaps}
username = {user}
password = {PASSWORD}
SSL_verify = YES
SSL_CAfile = {server.trust}
compress = {"YES" if compress or name == "remote" else "NO"}
""")
        self.config.write_text(f"database = {root / 'interimap.db'}\n\n" + "\n".join(sections))
        self.output = ""

    def run(self, *args):
        """Runs interimap once (--debug logs every command and response but literals); returns
        the commands it sent, as (side, "COMMAND arguments") without tags."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.root), "XDG_CONFIG_HOME": str(self.root),
               "XDG_DATA_HOME": str(self.root), "LANG": "C.UTF-8"}
        r = subprocess.run(["interimap", f"--config={self.config}", "--debug", *args], env=env,
                           capture_output=True, text=True, errors="replace", timeout=120)
        self.output = r.stdout + r.stderr
        exchange = [l for l in self.output.splitlines() if re.match(r"(local|remote)(\([^)]*\))?: [CS]: ", l)]
        assert r.returncode == 0, (f"interimap {' '.join(args)} failed ({r.returncode}):\n"
                                   + "\n".join(l for l in self.output.splitlines() if l not in exchange)[-3000:]
                                   + "\n-- IMAP exchange:\n" + "\n".join(exchange[-80:]))
        self.exchange = "\n".join(exchange)
        return [(m.group(1), m.group(2)) for m in
                (re.match(r"(local|remote)(?:\([^)]*\))?: C: \S+ (.*)$", l) for l in exchange) if m]

    @property
    def warnings(self):
        return [l for l in self.output.splitlines() if "WARNING" in l]


def inbox_exchange(exchange):
    """The lines of an interimap exchange about INBOX that tell UIDs, flags and mod-sequences."""
    selected, out = {}, []
    for line in exchange.splitlines():
        side = re.match(r"(local|remote)", line).group(1)
        m = re.search(r"\bC: \S+ SELECT (\S+)", line)
        if m:
            selected[side] = m.group(1)
        if selected.get(side) == "INBOX" and re.search(
                r"\bC: \S+ (SELECT|UID STORE|UID EXPUNGE|APPEND) |\bS: .*(FETCH|\[HIGHESTMODSEQ|EXISTS|VANISHED|APPENDUID)",
                line):
            out.append(line)
    return out


def imap(server, user):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(user, PASSWORD)
    return c


def folders(server, user):
    c = imap(server, user)
    typ, data = c.list('""', "*")
    c.logout()
    assert typ == "OK"
    return {re.match(rb'\(.*?\) "/" "?(.*?)"?$', line).group(1).decode() for line in data}


def view(server, user, folder="INBOX"):
    """{subject: (flags, INTERNALDATE, message bytes)} of a folder, read with imaplib."""
    c = imap(server, user)
    typ, _ = c.select(f'"{folder}"', readonly=True)
    assert typ == "OK", folder
    typ, data = c.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
    c.logout()
    out = {}
    for item in data:
        if isinstance(item, tuple):
            flags = frozenset(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
            date = re.search(rb'INTERNALDATE "([^"]+)"', item[0]).group(1).decode()
            subject = re.search(rb"^Subject: (.*?)\r$", item[1], re.M).group(1).decode()
            assert subject not in out, f"{subject!r} twice in {user}/{folder}"
            out[subject] = (flags, date, item[1])
    return out


def instant(internaldate):
    return datetime.datetime.strptime(internaldate, "%d-%b-%Y %H:%M:%S %z")


def flags_of(server, user, folder="INBOX"):
    return {subject: set(flags) for subject, (flags, _, _) in view(server, user, folder).items()}


def select(server, user, folder="INBOX"):
    c = imap(server, user)
    assert c.select(f'"{folder}"')[0] == "OK"
    return c


def uid_of(c, subject):
    typ, data = c.uid("SEARCH", "HEADER", "Subject", f'"{subject}"')
    assert typ == "OK" and len(data[0].split()) == 1, (subject, data)
    return data[0].decode()


def deliver_many(server, user, subjects):
    before = len(server.mail_list(user))
    for n, subject in enumerate(subjects, 1):
        deliver(server, user, subject, body=f"ligne {n}")
    assert len(wait_mail_count(server, user, before + len(subjects))) == before + len(subjects)


def append(c, folder, subject, flags="()", date='"20-Nov-2026 08:30:00 +0100"'):
    message = (f"From: <secretariat@{DOMAIN}>\r\nSubject: {subject}\r\n"
               f"Date: Fri, 20 Nov 2026 08:30:00 +0100\r\n\r\ntexte de {subject}\r\n").encode()
    typ, data = c.append(f'"{folder}"', flags, date, message)
    assert typ == "OK", data


@pytest.fixture
def pair(server, request, tmp_path):
    slug = request.node.name.replace("_", "-")[5:][:40]
    local = add_personal_account(server, f"ii.{slug}.l@{DOMAIN}")
    remote = add_personal_account(server, f"ii.{slug}.r@{DOMAIN}")
    return Interimap(server, local, remote, tmp_path)


def test_first_run_copies_each_side_to_the_other(pair, server):
    deliver_many(server, pair.local, ["resultat local 1", "resultat local 2"])
    deliver_many(server, pair.remote, ["resultat distant 1"])
    c = select(server, pair.local)
    c.uid("STORE", uid_of(c, "resultat local 1"), "+FLAGS", r"(\Flagged $Urgent)")
    c.logout()
    c = imap(server, pair.remote)
    for name in ("Patients", "Patients/R&AOk-sultats"):  # "Résultats" in modified UTF-7
        assert c.create(f'"{name}"')[0] == "OK"
    append(c, "Patients/R&AOk-sultats", "bilan sanguin", r"(\Seen)")
    c.logout()

    commands = pair.run()
    assert ("local", "ENABLE QRESYNC") in commands and ("remote", "ENABLE QRESYNC") in commands
    assert any(re.fullmatch(r'LIST "" \* RETURN \(.*STATUS \(UIDVALIDITY UIDNEXT HIGHESTMODSEQ\)\)', cmd)
               for _, cmd in commands), commands
    assert ("local", "CREATE Patients/R&AOk-sultats") in commands

    expected = DEFAULT_FOLDERS | {"Patients", "Patients/R&AOk-sultats"}
    assert folders(server, pair.local) == folders(server, pair.remote) == expected
    local, remote = view(server, pair.local), view(server, pair.remote)
    assert set(local) == set(remote) == {"resultat local 1", "resultat local 2", "resultat distant 1"}
    assert local == remote  # same flags, INTERNALDATE and bytes on both sides
    assert local["resultat local 1"][0] == {"\\Flagged", "$Urgent"}
    assert local["resultat local 2"][0] == local["resultat distant 1"][0] == set()  # BODY.PEEK: no \Seen
    local, remote = (view(server, user, "Patients/R&AOk-sultats") for user in (pair.local, pair.remote))
    assert local == remote and set(local) == {"bilan sanguin"}
    assert local["bilan sanguin"][0] == {"\\Seen"}
    assert instant(local["bilan sanguin"][1]) == instant("20-Nov-2026 08:30:00 +0100")


def test_changes_on_each_side_between_runs(pair, server):
    deliver_many(server, pair.local, ["local garde", "local lu", "local supprime"])
    deliver_many(server, pair.remote, ["distant garde", "distant repondu", "distant supprime"])
    pair.run()
    assert set(flags_of(server, pair.local)) == set(flags_of(server, pair.remote))

    c = select(server, pair.local)  # local: a flag, an expunge, a new message
    c.uid("STORE", uid_of(c, "local lu"), "+FLAGS", r"(\Seen)")
    c.uid("STORE", uid_of(c, "distant supprime"), "+FLAGS", r"(\Deleted)")
    assert c.expunge()[0] == "OK"
    append(c, "INBOX", "brouillon local", r"(\Draft)")
    c.logout()
    c = select(server, pair.remote)  # remote: a flag, an expunge, a new message
    c.uid("STORE", uid_of(c, "distant repondu"), "+FLAGS", r"(\Answered)")
    c.uid("STORE", uid_of(c, "local supprime"), "+FLAGS", r"(\Deleted)")
    assert c.expunge()[0] == "OK"
    c.logout()
    deliver_many(server, pair.remote, ["distant nouveau"])

    commands = pair.run()
    selects = [cmd for _, cmd in commands if cmd.startswith("SELECT INBOX")]
    assert selects and all(re.fullmatch(r"SELECT INBOX \(QRESYNC \(\d+ \d+ 1:\d+( \(\S+ \S+\))?\)\)", s)
                           for s in selects), selects
    assert any(cmd.startswith("UID EXPUNGE") for side, cmd in commands if side == "local")
    assert any(cmd.startswith("UID EXPUNGE") for side, cmd in commands if side == "remote")
    assert any("(UNCHANGEDSINCE " in cmd for _, cmd in commands)
    expected = {
        "local garde": set(), "local lu": {"\\Seen"}, "brouillon local": {"\\Draft"},
        "distant garde": set(), "distant repondu": {"\\Answered"}, "distant nouveau": set(),
    }
    assert flags_of(server, pair.local) == expected
    assert flags_of(server, pair.remote) == expected
    local, remote = view(server, pair.local), view(server, pair.remote)
    assert {s: v[1:] for s, v in local.items()} == {s: v[1:] for s, v in remote.items()}  # dates, bytes


def test_a_flag_removed_after_the_first_copy_stays_removed(pair, server):
    """The copy interimap APPENDs on one side must not be reported as "changed since" the
    HIGHESTMODSEQ interimap recorded after appending it; if it is, the next run sees a conflict
    with a real change on the other side and takes the union, undoing a flag removal.
    interimap learns the mailbox's HIGHESTMODSEQ from MODSEQ in FETCH responses and from any
    [HIGHESTMODSEQ n] response code: Dovecot 2.3 sends "* OK [HIGHESTMODSEQ n] Highest" right
    after the EXISTS that an APPEND to the selected mailbox causes (and "OK [HIGHESTMODSEQ n]
    Expunge completed" after an expunge), and this test passes against it."""
    deliver_many(server, pair.local, ["a traiter"])
    c = select(server, pair.local)
    c.uid("STORE", uid_of(c, "a traiter"), "+FLAGS", r"(\Flagged)")
    c.logout()
    pair.run()
    first_run = pair.exchange
    assert flags_of(server, pair.remote) == {"a traiter": {"\\Flagged"}}

    c = select(server, pair.local)
    c.uid("STORE", uid_of(c, "a traiter"), "-FLAGS", r"(\Flagged)")  # done: unflagged on one side
    c.logout()
    pair.run()
    conflicts = [w for w in pair.warnings if "Conflicting flag update" in w]
    relevant = inbox_exchange(first_run) + ["-- second run:"] + inbox_exchange(pair.exchange)
    assert flags_of(server, pair.local) == {"a traiter": set()}, "\n".join(conflicts + relevant)
    assert flags_of(server, pair.remote) == {"a traiter": set()}
    assert not conflicts


def test_a_run_with_nothing_changed_writes_nothing(pair, server):
    """After a run that copied messages both ways, the next run, with nothing changed in between,
    finds nothing to write (same root as the test above: the copies must not look changed)."""
    deliver_many(server, pair.local, ["resultat 1", "resultat 2"])
    deliver_many(server, pair.remote, ["resultat 3"])
    c = select(server, pair.local)
    c.uid("STORE", uid_of(c, "resultat 1"), "+FLAGS", r"(\Seen)")
    c.uid("STORE", uid_of(c, "resultat 2"), "+FLAGS", r"(\Deleted)")
    assert c.expunge()[0] == "OK"
    c.logout()
    pair.run()
    before = {user: view(server, user) for user in (pair.local, pair.remote)}
    commands = pair.run()
    writes = [f"{side}: {cmd}" for side, cmd in commands
              if re.match(r"(UID )?(STORE|EXPUNGE|APPEND|CREATE|DELETE)", cmd)]
    assert writes == [], "\n".join(writes + ["-- INBOX exchange:"] + inbox_exchange(pair.exchange))
    assert {user: view(server, user) for user in (pair.local, pair.remote)} == before


def test_rename_and_delete_reach_both_sides(pair, server):
    c = imap(server, pair.local)
    assert c.create('"Projets"')[0] == "OK" and c.create('"Projets/2026"')[0] == "OK"
    append(c, "Projets/2026", "compte rendu", r"(\Seen)")
    c.logout()
    pair.run()
    assert folders(server, pair.remote) == DEFAULT_FOLDERS | {"Projets", "Projets/2026"}

    commands = pair.run("--rename", "Projets", "Dossiers")
    assert ("local", "RENAME Projets Dossiers") in commands and ("remote", "RENAME Projets Dossiers") in commands
    for user in (pair.local, pair.remote):
        assert folders(server, user) == DEFAULT_FOLDERS | {"Dossiers", "Dossiers/2026"}
        assert flags_of(server, user, "Dossiers/2026") == {"compte rendu": {"\\Seen"}}
    pair.run()  # the renamed pair still syncs: nothing to copy, nothing lost
    assert flags_of(server, pair.remote, "Dossiers/2026") == {"compte rendu": {"\\Seen"}}

    pair.run("--delete", "Dossiers/2026")
    for user in (pair.local, pair.remote):
        assert folders(server, user) == DEFAULT_FOLDERS | {"Dossiers"}


def test_both_sides_compressed(server, tmp_path):
    """COMPRESS=DEFLATE (RFC 4978) on both of interimap's connections: the same result as without."""
    local = add_personal_account(server, f"ii.deflate.l@{DOMAIN}")
    remote = add_personal_account(server, f"ii.deflate.r@{DOMAIN}")
    pair = Interimap(server, local, remote, tmp_path, compress=True)
    deliver_many(server, local, [f"compte rendu local {n}" for n in range(3)])
    deliver_many(server, remote, ["compte rendu distant"])
    commands = pair.run()
    assert ("local", "COMPRESS DEFLATE") in commands and ("remote", "COMPRESS DEFLATE") in commands
    local_view, remote_view = view(server, local), view(server, remote)
    assert local_view == remote_view and len(local_view) == 4
    c = select(server, remote)
    c.uid("STORE", uid_of(c, "compte rendu local 1"), "+FLAGS", r"(\Flagged)")
    c.logout()
    pair.run()
    assert flags_of(server, local)["compte rendu local 1"] == {"\\Flagged"}
