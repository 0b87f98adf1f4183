"""Filing (issue 12): CDA documents a mailbox submits are filed into the embedded DMP after the 250,
through the real submission listener (smtplib, STARTTLS, password), with documents built by
tests/tools/make_xdm.py; then read back through the PDSm interface (/dmp/fhir) as professionals
with CPS certificates, and the CI-SIS acknowledgement (RFC 8098 MDN) read in the sender's mailbox.
Bad input gets its exact code, nothing filed, and the message is still delivered."""
import email
import email.policy
import json
import pathlib
import smtplib
import sys
import time
import urllib.parse
import http.client

import pytest

from mssd_harness import DOMAIN, DOCTOR, GP, PASSWORD, Server, add_personal_account

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import make_xdm as mx  # noqa: E402
from gen_directory import ACTIVITE, rpps  # noqa: E402
from test_dmp import activity_row  # noqa: E402

PATIENT = mx.Patient()  # DUPONT Marie, INS-NIR
AUTHOR = mx.Author()    # the lab doctor who signs the reports
OTHER_AUTHOR = mx.Author(ps_idnat="8" + rpps(207), family="AUTRE", given="Luc")
NOTIFY = f"patiente.dupont@{DOMAIN}"
TRAITANT = ("8" + rpps(201), "10")
KINE = ("8" + rpps(204), "70")
BLOCKED = ("8" + rpps(205), "10")
PEOPLE = {"traitant": TRAITANT, "kine": KINE, "blocked": BLOCKED}
WAIT = 60  # seconds: the machine is shared; a broken server fails, a slow one must not


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd-filing"))
    s.init()
    s.add_standard_accounts()
    add_personal_account(s, NOTIFY)
    rows = [activity_row(p, code, name.upper()) for name, (p, code) in PEOPLE.items()]
    extraction = s.data / "PS_LibreAcces_Personne_activite.txt"
    extraction.write_bytes(("|".join(ACTIVITE) + "|\r\n" + "".join(r + "\r\n" for r in rows)).encode())
    s.ctl("directory", "import", str(extraction))
    s.certs = {}
    for name, (ps_idnat, _) in PEOPLE.items():
        address = add_personal_account(s, f"{name}@{DOMAIN}")
        out = s.data / f"cps-{name}"
        s.ctl("pki", "issue", "personal", address, "--ps-idnat", ps_idnat, "--out", str(out))
        s.certs[name] = (out / "auth-cert.pem", out / "auth-key.pem")
    s.ctl("dmp", "patient", "add", "--ins", PATIENT.ins, "--oid", PATIENT.oid, "--family", PATIENT.family,
          "--given", PATIENT.given, "--birth", PATIENT.birth, "--gender", PATIENT.gender, "--consent",
          "--medecin-traitant", TRAITANT[0], "--notify", NOTIFY)
    s.ctl("dmp", "block", "--ins", PATIENT.ins, "--ps-idnat", BLOCKED[0])
    s.start()
    yield s
    s.stop()


def submit(server, raw, sender=GP, to=DOCTOR):
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=120) as c:
        c.starttls(context=server.tls_context())
        c.login(sender, PASSWORD)
        refused = c.sendmail(sender, [to], raw)
    assert refused == {}


def wait_count(server, address, count):
    deadline = time.monotonic() + WAIT
    while True:
        listing = server.mail_list(address)
        if len(listing) >= count or time.monotonic() > deadline:
            return listing
        time.sleep(0.1)


def documents(server):
    out = server.ctl("dmp", "documents", "--ins", PATIENT.ins).stdout.decode()
    return [line.split() for line in out.splitlines() if line.strip()]


def last_message(server, address):
    listing = server.mail_list(address)
    return email.message_from_bytes(server.mail_fetch(address, listing[-1][0]), policy=email.policy.default)


def send_and_ack(server, raw, sender=GP, to=DOCTOR):
    """Submits raw; returns the acknowledgement that arrives in the sender's INBOX (parsed)."""
    before_ack, before_rcpt = len(server.mail_list(sender)), len(server.mail_list(to))
    submit(server, raw, sender, to)
    assert len(wait_count(server, to, before_rcpt + 1)) == before_rcpt + 1, "the message itself is delivered"
    assert len(wait_count(server, sender, before_ack + 1)) == before_ack + 1, "an acknowledgement arrives"
    return last_message(server, sender)


def disposition(mdn):
    """The Disposition field of the report's message/disposition-notification part, unfolded."""
    import re
    assert mdn.get_content_type() == "multipart/report"
    assert mdn.get_param("report-type") == "disposition-notification"
    for part in mdn.walk():
        if part.get_content_type() == "message/disposition-notification":
            text = part.as_string()
            m = re.search(r"^Disposition:[ \t]*(.*(?:\r?\n[ \t].*)*)", text, re.M)
            assert m, text
            return re.sub(r"\r?\n[ \t]+", " ", m.group(1)).strip()
    raise AssertionError("no message/disposition-notification part")


def fhir_get(server, path, who):
    cert = server.certs[who]
    c = http.client.HTTPSConnection("127.0.0.1", server.https, context=server.tls_context(*cert), timeout=60)
    c.request("GET", path)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data else None)


def search(server, who):
    q = urllib.parse.urlencode({"patient.identifier": f"urn:oid:{PATIENT.oid}|{PATIENT.ins}", "status": "current"})
    return fhir_get(server, f"/dmp/fhir/DocumentReference?{q}", who)


def test_biology_report_is_filed_read_by_the_allowed_and_acknowledged(server):
    doc = mx.bio_doc()
    mdn = send_and_ack(server, mx.message([doc], GP, DOCTOR))
    assert disposition(mdn).endswith("processed"), disposition(mdn)
    assert "Error" not in disposition(mdn)
    assert mdn["Subject"] == mx.subject_of([doc])
    assert f"<{doc.doc_id}@make-xdm.test>" in mdn.as_string()
    rows = [r for r in documents(server) if r[-1].endswith(doc.doc_id)]
    assert len(rows) == 1, documents(server)
    status, bundle = search(server, "traitant")
    assert status == 200
    ids = [e["resource"]["masterIdentifier"]["value"] for e in bundle.get("entry", [])]
    assert any(doc.doc_id in v for v in ids), ids
    assert search(server, "kine")[0] == 403      # profession not allowed for this class
    assert search(server, "blocked")[0] == 403   # blocked by the patient


def test_the_patient_is_told_of_a_new_document_without_its_content(server):
    before = len(server.mail_list(NOTIFY))
    doc = mx.discharge_doc()
    mdn = send_and_ack(server, mx.message([doc], GP, DOCTOR))
    assert "Error" not in disposition(mdn)
    assert len(wait_count(server, NOTIFY, before + 1)) == before + 1
    notice = last_message(server, NOTIFY)
    text = notice.as_string()
    assert "DMP" in notice["Subject"]
    for secret in (doc.title, doc.display, doc.code, AUTHOR.family, PATIENT.ins):
        assert secret not in text
    rows = [r for r in documents(server) if r[-1].endswith(doc.doc_id)]
    assert len(rows) == 1


def test_a_replacement_supersedes_the_earlier_version(server):
    first = mx.bio_doc(doc_id="CRBIO-R-1", set_id="SET-R")
    send_and_ack(server, mx.message([first], GP, DOCTOR))
    second = mx.replacement_doc(replaces="CRBIO-R-1", set_id="SET-R", doc_id="CRBIO-R-2")
    mdn = send_and_ack(server, mx.message([second], GP, DOCTOR))
    assert "Error" not in disposition(mdn), disposition(mdn)
    by_id = {r[-1].split("^")[-1]: r for r in documents(server)}
    assert "superseded" in by_id["CRBIO-R-1"], by_id
    assert "current" in by_id["CRBIO-R-2"], by_id


def bad_zip(kind):
    """An IHE_XDM.ZIP made wrong in one way."""
    import io
    import zipfile
    doc = mx.bio_doc(doc_id=f"BAD-{kind}")
    good = mx.xdm_zip([doc])
    if kind == "traversal":
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
            for info in src.infolist():
                dst.writestr(info.filename.replace("IHE_XDM/SUBSET01/DOC0001.XML", "../DOC0001.XML"), src.read(info))
        return buf.getvalue()
    if kind == "hash":
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename.endswith("DOC0001.XML"):
                    data = data.replace(b"Compte rendu", b"Compte-rendu")
                dst.writestr(info.filename, data)
        return buf.getvalue()
    if kind == "bomb":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
            dst.writestr("IHE_XDM/SUBSET01/METADATA.XML", b"\0" * (64 << 20))
        return buf.getvalue()
    raise ValueError(kind)


def message_with_zip(zip_bytes, doc_id, code="11502-2"):
    from email.message import EmailMessage
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = GP, DOCTOR, "XDM/1.0/DDM+test"
    msg["Message-ID"] = f"<{doc_id}@make-xdm.test>"
    msg["Disposition-Notification-To"] = GP
    msg.set_content("ci-joint\n")
    msg.add_attachment(zip_bytes, maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    return msg.as_bytes()


def message_with_cda(cda_text, doc_id):
    from email.message import EmailMessage
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = GP, DOCTOR, "XDM/1.0/DDM+test"
    msg["Message-ID"] = f"<{doc_id}@make-xdm.test>"
    msg["Disposition-Notification-To"] = GP
    msg.set_content("ci-joint\n")
    msg.add_attachment(cda_text.encode(), maintype="text", subtype="xml", filename=f"{doc_id}.XML")
    return msg.as_bytes()


def bad_messages():
    p = mx.Patient
    yield "malformed-xml", message_with_cda(mx.bio_cda(doc_id="BAD-XML")[:-40], "BAD-XML"), 906
    yield "doctype-xxe", message_with_cda(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + mx.bio_cda(doc_id="BAD-XXE").split("?>", 1)[1].replace("<title>", "<title>&e;"), "BAD-XXE"), 906
    yield "zip-bomb", message_with_zip(bad_zip("bomb"), "BAD-bomb"), 906
    yield "dot-dot-entry", message_with_zip(bad_zip("traversal"), "BAD-traversal"), 906
    yield "hash-mismatch", message_with_zip(bad_zip("hash"), "BAD-hash"), 906
    other = p(ins=mx.ins_of("1750299123457"), family="ROUX", given="Marc", birth="19750220", gender="M")
    yield "two-patients", mx.message([mx.bio_doc(doc_id="BAD-2P-1"), mx.discharge_doc(patient=other, doc_id="BAD-2P-2")],
                                     GP, DOCTOR), 906
    yield "no-ins", mx.message([mx.bio_doc(patient=p(oid="1.2.250.1.213.1.4.2"), doc_id="BAD-NOINS")], GP, DOCTOR), 903
    yield "wrong-ins-key", mx.message([mx.bio_doc(patient=p(ins=PATIENT.ins[:13] + "00"), doc_id="BAD-KEY")],
                                      GP, DOCTOR), 905
    yield "traits-differ", mx.message([mx.bio_doc(patient=p(given="Mariette"), doc_id="BAD-TRAITS")], GP, DOCTOR), 904
    yield "unknown-patient", mx.message([mx.bio_doc(patient=p(ins=mx.ins_of("1600175999999")), doc_id="BAD-NODMP")],
                                        GP, DOCTOR), 902
    yield "replacement-by-another-author", mx.message(
        [mx.replacement_doc(author=OTHER_AUTHOR, replaces="CRBIO-2026-0001", set_id="SET-CRBIO-0001",
                            doc_id="BAD-OTHER-AUTHOR")], GP, DOCTOR), 901


@pytest.mark.parametrize("name,raw,code", list(bad_messages()), ids=[b[0] for b in bad_messages()])
def test_bad_input_gets_its_code_nothing_filed_message_delivered(server, name, raw, code):
    if name == "replacement-by-another-author":  # needs the first report filed
        if not any(r[-1].endswith("CRBIO-2026-0001") for r in documents(server)):
            send_and_ack(server, mx.message([mx.bio_doc()], GP, DOCTOR))
    before = documents(server)
    mdn = send_and_ack(server, raw)
    d = disposition(mdn)
    assert d.endswith(f"processed/Error: {code}^" + d.split("^", 1)[1]), d
    assert f"Error: {code}^" in d, d
    assert mdn["Subject"].startswith(f"[KO Intégration système !][{code}]"), mdn["Subject"]
    names = [p.get_filename() for p in mdn.walk() if p.get_filename()]
    assert names, "the original attachments go back with the refusal"
    assert documents(server) == before, "nothing filed"


def test_without_disposition_notification_to_only_a_failure_is_told(server):
    before = len(server.mail_list(GP))
    ok = mx.message([mx.bio_doc(doc_id="NOMDN-OK", set_id="SET-NOMDN-OK")], GP, DOCTOR, mdn=False)
    submit(server, ok)
    deadline = time.monotonic() + WAIT
    while not any(r[-1].endswith("NOMDN-OK") for r in documents(server)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any(r[-1].endswith("NOMDN-OK") for r in documents(server))
    time.sleep(1)
    assert len(server.mail_list(GP)) == before, "no acknowledgement of a success without the header"
    bad = mx.message([mx.bio_doc(patient=mx.Patient(given="Autre"), doc_id="NOMDN-KO", set_id="SET-NOMDN-KO")], GP, DOCTOR, mdn=False)
    submit(server, bad)
    assert len(wait_count(server, GP, before + 1)) == before + 1
    notice = last_message(server, GP)
    assert notice.get_content_type() == "text/plain"
    assert notice["Subject"].startswith("[KO Intégration système !][904]")


def test_filing_off_files_nothing_and_on_again_files(server):
    server.ctl("dmp", "filing", GP, "off")
    try:
        before_ack = len(server.mail_list(GP))
        submit(server, mx.message([mx.bio_doc(doc_id="OFF-1", set_id="SET-OFF-1")], GP, DOCTOR))
        time.sleep(2)
        assert not any(r[-1].endswith("OFF-1") for r in documents(server))
        assert len(server.mail_list(GP)) == before_ack, "no acknowledgement either"
    finally:
        server.ctl("dmp", "filing", GP, "on")
    mdn = send_and_ack(server, mx.message([mx.bio_doc(doc_id="ON-1", set_id="SET-ON-1")], GP, DOCTOR))
    assert "Error" not in disposition(mdn)


def test_a_kill_9_after_250_files_the_document_once(server):
    """The DMP is held locked by another writer: the job waits (temporary failure, retried); mssd is
    killed with the job pending; after the restart the document is filed, once, and acknowledged."""
    import sqlite3
    before_ack = len(server.mail_list(GP))
    lock = sqlite3.connect(str(server.data / "dmp.db"), isolation_level=None, timeout=60)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        submit(server, mx.message([mx.bio_doc(doc_id="KILL9-1", set_id="SET-KILL9-1")], GP, DOCTOR))
        assert server.wait_log(r"DMP unavailable, next try", timeout=WAIT)
        server.kill9()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    store = sqlite3.connect(str(server.data / "mssd.db"), timeout=60)
    assert store.execute("SELECT count(*) FROM filing_jobs").fetchone()[0] == 1, "the job survived kill -9"
    store.close()
    assert not any(r[-1].endswith("KILL9-1") for r in documents(server))
    server.start()
    deadline = time.monotonic() + WAIT
    while not any(r[-1].endswith("KILL9-1") for r in documents(server)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(wait_count(server, GP, before_ack + 1)) == before_ack + 1
    time.sleep(2)  # a second filing would have happened by now
    assert len([r for r in documents(server) if r[-1].endswith("KILL9-1")]) == 1
    assert len(server.mail_list(GP)) == before_ack + 1, "one acknowledgement"


def test_the_filing_thread_only_takes_cores_nobody_else_wants(server):
    """The worker runs under SCHED_IDLE (policy 5 in /proc/<pid>/task/<tid>/stat, field 41): any
    session thread that wakes takes its core at once, so filing never slows intake; every other
    thread of mssd keeps the normal policy (0)."""
    policies = []
    for task in (pathlib.Path("/proc") / str(server.proc.pid) / "task").iterdir():
        stat = (task / "stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()  # the fields after comm, which may hold spaces
        policies.append(int(fields[41 - 3]))
    assert policies.count(5) == 1, policies
    assert all(p in (0, 5) for p in policies), policies


def test_notices_refused_all_together_are_written_on_a_later_try(server):
    """Every notice of a job refused (the acknowledgement's and the patient's mailboxes disabled): the
    job is not ended untold but runs again; once the mailboxes are back, the acknowledgement and the
    patient's notice arrive, once each, and the document is filed once."""
    ack_box = add_personal_account(server, f"accuses@{DOMAIN}")
    raw = mx.message([mx.bio_doc(doc_id="NOTICE-1", set_id="SET-NOTICE-1")], GP, DOCTOR)
    raw = raw.replace(f"Disposition-Notification-To: {GP}".encode(), f"Disposition-Notification-To: {ack_box}".encode())
    assert ack_box.encode() in raw
    before_patient = len(server.mail_list(NOTIFY))
    for box in (ack_box, NOTIFY):
        server.ctl("account", "disable", box)
    try:
        submit(server, raw)
        assert server.wait_log(r"notices not written, the job runs again", timeout=WAIT)
    finally:
        for box in (ack_box, NOTIFY):
            server.ctl("account", "enable", box)
    assert len(wait_count(server, ack_box, 1)) == 1
    assert "Error" not in disposition(last_message(server, ack_box))
    assert len(wait_count(server, NOTIFY, before_patient + 1)) == before_patient + 1
    time.sleep(3)  # a third run would have told them again by now
    assert len(server.mail_list(ack_box)) == 1
    assert len(server.mail_list(NOTIFY)) == before_patient + 1
    assert len([r for r in documents(server) if r[-1].endswith("NOTICE-1")]) == 1


def test_a_filed_message_is_a_submission_set_saying_what_its_xdm_says(server):
    """ITI-66 shows the filed message as a SubmissionSet: its source and content type (designation)
    are those of the XDM's METADATA.XML, and it lists the document filed."""
    send_and_ack(server, mx.message([mx.bio_doc(doc_id="LIST-1", set_id="SET-LIST-1")], GP, DOCTOR))
    filed = next(r[0] for r in documents(server) if r[-1].endswith("LIST-1"))
    q = urllib.parse.urlencode({"patient.identifier": f"urn:oid:{PATIENT.oid}|{PATIENT.ins}", "code": "submissionset",
                                "sourceId": f"urn:oid:{mx.DOC_ROOT}"})
    status, bundle = fhir_get(server, f"/dmp/fhir/List?{q}", "traitant")
    assert status == 200, bundle
    mine = [e["resource"] for e in bundle.get("entry", [])
            if any(i["item"]["reference"] == f"DocumentReference/{filed}" for i in e["resource"]["entry"])]
    assert len(mine) == 1, bundle
    ext = {x["url"]: x for x in mine[0]["extension"]}
    mhd = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/"
    assert ext[mhd + "ihe-sourceId"]["valueIdentifier"]["value"] == f"urn:oid:{mx.DOC_ROOT}"
    assert ext[mhd + "ihe-designationType"]["valueCodeableConcept"]["coding"][0]["code"] == "04"
