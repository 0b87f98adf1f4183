"""Filing (issue 12) across crashes and expunges, through the real submission listener: a filing job
refers to the stored message instead of keeping a copy, and keeps it pinned while a user expunges it;
mssd killed (-9) between the DMP's deposit and the notices' write still tells the patient once, and
files the document once. The windows are held open by real SQLite locks taken on mssd's own files
(another writer), not by fault hooks in mssd."""
import smtplib
import sqlite3
import sys
import time
import pathlib

import pytest

from mssd_harness import DOMAIN, DOCTOR, GP, PASSWORD, Server, add_personal_account

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tools"))
import make_xdm as mx  # noqa: E402

PATIENT = mx.Patient()
NOTIFY = f"patiente.crash@{DOMAIN}"
WAIT = 90  # seconds: the machine is shared; a broken server fails, a slow one must not


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd-filing-crash"))
    s.init()
    s.add_standard_accounts()
    add_personal_account(s, NOTIFY)
    s.ctl("dmp", "patient", "add", "--ins", PATIENT.ins, "--oid", PATIENT.oid, "--family", PATIENT.family,
          "--given", PATIENT.given, "--birth", PATIENT.birth, "--gender", PATIENT.gender, "--consent",
          "--notify", NOTIFY)
    s.start()
    yield s
    s.stop()


def submit(server, raw):
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=120) as c:
        c.starttls(context=server.tls_context())
        c.login(GP, PASSWORD)
        assert c.sendmail(GP, [DOCTOR], raw) == {}


def wait_until(check, what):
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def filed(server, doc_id):
    db = sqlite3.connect(f"file:{server.data / 'dmp.db'}?mode=ro", uri=True, timeout=60)
    try:
        return db.execute("SELECT count(*) FROM documents WHERE unique_id LIKE ?", (f"%{doc_id}",)).fetchone()[0]
    finally:
        db.close()


def store_rows(server, sql, *args):
    db = sqlite3.connect(f"file:{server.data / 'mssd.db'}?mode=ro", uri=True, timeout=60)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


class Locked:
    """Another writer holding a SQLite file's write lock (BEGIN EXCLUSIVE on dmp.db stops the deposit;
    BEGIN IMMEDIATE on mssd.db stops the store's writes while its readers go on)."""

    def __init__(self, path, how):
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=60)
        self.db.execute(f"BEGIN {how}")

    def release(self):
        if self.db:
            self.db.execute("ROLLBACK")
            self.db.close()
            self.db = None


def held_deposit(server, doc_id):
    """Submits a document while the DMP is locked, and returns once the job has failed once (pending)."""
    dmp = Locked(server.data / "dmp.db", "EXCLUSIVE")
    try:
        failures = lambda: sum(1 for line in list(server.log) if "DMP unavailable, next try" in line)  # noqa: E731
        before = failures()
        submit(server, mx.message([mx.bio_doc(doc_id=doc_id, set_id=f"SET-{doc_id}")], GP, DOCTOR))
        wait_until(lambda: failures() > before, "the deposit fails behind the lock")
    except BaseException:
        dmp.release()
        raise
    return dmp


def test_the_job_refers_to_the_stored_message_and_keeps_it_through_an_expunge(server):
    dmp = held_deposit(server, "PIN-1")
    try:
        jobs = store_rows(server, "SELECT message_id, length(content) FROM filing_jobs")
        assert len(jobs) == 1
        message_id, copied = jobs[0]
        assert message_id is not None and copied == 0, "the job keeps no second copy of the message"
        with server.imaps_login(DOCTOR) as imap:
            imap.select("INBOX")
            typ, data = imap.search(None, "ALL")
            uids = data[0].split()
            assert uids
            imap.store(b",".join(uids).decode(), "+FLAGS", "\\Deleted")
            assert imap.expunge()[0] == "OK"
        assert store_rows(server, "SELECT count(*) FROM folder_messages WHERE message_id = ?", message_id)[0][0] == 0
        assert store_rows(server, "SELECT count(*) FROM messages WHERE id = ?", message_id)[0][0] == 1, \
            "the expunged message stays while its filing job needs it"
    finally:
        dmp.release()
    wait_until(lambda: filed(server, "PIN-1") == 1, "the document is filed from the expunged message")
    wait_until(lambda: not store_rows(server, "SELECT 1 FROM filing_jobs"), "the job ends")
    assert store_rows(server, "SELECT count(*) FROM messages WHERE id = ?", message_id)[0][0] == 0, \
        "the message goes with the job that pinned it"


def notices(server):
    return len(server.mail_list(NOTIFY))


def test_a_kill_9_between_the_deposit_and_the_notice_still_tells_the_patient_once(server):
    before = notices(server)
    dmp = held_deposit(server, "CRASH-1")
    store = None
    try:
        store = Locked(server.data / "mssd.db", "IMMEDIATE")  # the notices' write will wait behind it
        dmp.release()
        wait_until(lambda: filed(server, "CRASH-1") == 1, "the retried deposit reaches the DMP")
        server.kill9()  # deposited, the notice and the job's end not yet written
    finally:
        dmp.release()
        if store:
            store.release()
    assert len(store_rows(server, "SELECT 1 FROM filing_jobs")) == 1, "the job survived kill -9"
    assert notices(server) == before, "no notice was written before the kill"
    server.start()
    wait_until(lambda: notices(server) == before + 1, "the patient is told after the restart")
    wait_until(lambda: not store_rows(server, "SELECT 1 FROM filing_jobs"), "the job ends")
    time.sleep(2)  # a second notice or filing would have happened by now
    assert notices(server) == before + 1, "told once"
    assert filed(server, "CRASH-1") == 1, "filed once"
