"""Filing into a remote PDSm server (issue 12): operator A's mssd files the CDA documents its mailbox
submits into operator B's DMP by ITI-65 over mutual TLS ([dmp] filing_remote = B's /dmp/fhir), A's
operator certificate making it a feed at B; each operator trusts the other's test IGC. The sender's
acknowledgement carries what B decided, B's own refusal codes included; a B that cannot answer for
a while (its DMP locked) is a temporary failure at A, retried until B files the document."""
import email
import email.policy
import pathlib
import sqlite3
import sys

import pytest

from mssd_harness import Operator, wait_for
from test_filing import disposition, submit

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "tools"))
import make_xdm as mx  # noqa: E402

PATIENT = mx.Patient()
UNKNOWN = mx.Patient(ins=mx.ins_of("2770763220829"), family="INCONNUE", given="Jeanne")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("filing-remote")
    a = Operator(tmp / "a", "a.mssante.fr", "OPERATEUR A")
    b = Operator(tmp / "b", "b.mssante.fr", "OPERATEUR B")
    a.trust_operator(b)
    b.trust_operator(a)
    b.ctl("dmp", "patient", "add", "--ins", PATIENT.ins, "--oid", PATIENT.oid, "--family", PATIENT.family,
          "--given", PATIENT.given, "--birth", PATIENT.birth, "--gender", PATIENT.gender, "--consent")
    b.start()
    with open(a.data / "mssd.toml", "a") as f:
        f.write(f'\n[dmp]\nfiling_remote = "https://127.0.0.1:{b.https}/dmp/fhir"\n')
    a.start()
    yield a, b
    a.stop()
    b.stop()


def send(a, doc):
    """A's user submits doc in an XDM to itself, asking for an acknowledgement."""
    submit(a, mx.message([doc], a.user, a.user), a.user, a.user)


def documents(server, patient=PATIENT):
    out = server.ctl("dmp", "documents", "--ins", patient.ins, check=False).stdout.decode()
    return [line.split() for line in out.splitlines() if line.strip()]


def acknowledgement(a, count):
    """The count-th message of A's user that is an acknowledgement (the submitted ones come back too)."""
    def acks():
        found = []
        for uid, *_ in a.mail_list(a.user):
            m = email.message_from_bytes(a.mail_fetch(a.user, uid), policy=email.policy.default)
            if m.get_content_type() == "multipart/report":
                found.append(m)
        return found if len(found) >= count else None
    found = wait_for(acks, 90)
    assert found, "no acknowledgement"
    return found[count - 1]


def test_documents_go_to_the_remote_dmp_and_the_sender_hears_of_it(pair):
    a, b = pair
    send(a, mx.bio_doc(doc_id="REMOTE-1", set_id="SET-REMOTE-1"))
    assert wait_for(lambda: any(r[-1].endswith("REMOTE-1") for r in documents(b)), 90), "filed at B"
    mdn = acknowledgement(a, 1)
    assert "processed" in disposition(mdn) and "Error" not in disposition(mdn)
    traces = b.ctl("dmp", "traces", "--ins", PATIENT.ins).stdout.decode()
    assert "deposit" in traces and "OPERATEUR A" in traces, traces
    assert a.wait_log(r"filing into the PDSm server at https://127\.0\.0\.1:", 5)


def test_the_remote_dmp_s_refusal_code_reaches_the_sender(pair):
    a, b = pair
    send(a, mx.bio_doc(patient=UNKNOWN, doc_id="REMOTE-2", set_id="SET-REMOTE-2"))
    mdn = acknowledgement(a, 2)
    assert "902" in disposition(mdn), disposition(mdn)
    assert not documents(b, UNKNOWN)


def test_a_remote_dmp_that_cannot_answer_now_is_tried_again(pair):
    a, b = pair
    lock = sqlite3.connect(str(b.data / "dmp.db"), isolation_level=None, timeout=60)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        send(a, mx.bio_doc(doc_id="REMOTE-3", set_id="SET-REMOTE-3"))
        assert a.wait_log(r"DMP unavailable, next try", timeout=90)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert wait_for(lambda: any(r[-1].endswith("REMOTE-3") for r in documents(b)), 90), "filed at B on a later try"
    assert "Error" not in disposition(acknowledgement(a, 3))
    assert len([r for r in documents(b) if r[-1].endswith("REMOTE-3")]) == 1
