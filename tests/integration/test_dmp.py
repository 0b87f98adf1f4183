"""The embedded DMP through its PDSm (FHIR R4) interface on the real mssd, over TLS with client
certificates of the test IGC (CPS-style personal certificates from `mssctl pki issue personal`, the
lab's organisation certificate as the feeding credential), and through `mssctl dmp`: deposit
(ITI-65), search (ITI-67), retrieve (ITI-68), masking and deletion (PATCH), the access rules (care
relationship, access matrix by profession, blocked professionals, masked documents, bris de glace),
versions by the author only (900/901), duplicates, identity checks (902-905) and the traces (AuditEvent)."""
import base64
import copy
import hashlib
import http.client
import json
import pathlib
import subprocess
import sys
import urllib.parse
import uuid

import pytest

from mssd_harness import DOMAIN, Server, add_personal_account

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
from gen_directory import ACTIVITE, rpps  # noqa: E402

INS_OID = "1.2.250.1.213.1.4.10"  # test NIR range


def ins(body13):
    """A 13-character NIR and its key (97 - n mod 97)."""
    return body13 + f"{97 - int(body13) % 97:02d}"


PATIENT = ins("2800175123456")       # Claire DUVAL, emergency access allowed
RESERVED = ins("1750299123457")      # Marc ROUX, emergency access refused
OPPOSED = ins("2900133123458")       # Lise NOEL, opposes deposits
UNKNOWN = ins("1600175999999")       # no DMP

# Professionals: (PS_IdNat, profession code) as the directory lists them.
TRAITANT = ("8" + rpps(101), "10")   # Claire DUVAL's médecin traitant
AUTHOR = ("8" + rpps(102), "10")     # the hospital doctor who writes the reports
COLLEAGUE = ("8" + rpps(103), "10")  # a doctor who declares the patient's authorisation
KINE = ("8" + rpps(104), "70")       # a physiotherapist: no access to reports (class 10)
BLOCKED = ("8" + rpps(105), "10")    # blocked by the patient
URGENTISTE = ("8" + rpps(106), "10") # emergency doctor, no care relationship
OTHER_AUTHOR = ("8" + rpps(107), "10")
STRANGER = ("8" + rpps(108), None)   # holds a CPS but is not in the directory

PEOPLE = {"traitant": TRAITANT, "author": AUTHOR, "colleague": COLLEAGUE, "kine": KINE, "blocked": BLOCKED,
          "urgentiste": URGENTISTE, "other_author": OTHER_AUTHOR, "stranger": STRANGER}

CDA = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">"
       "<title>Compte rendu d'examens biologiques</title><component><structuredBody/></component>"
       "</ClinicalDocument>\n").encode()


def activity_row(ps_idnat, profession, family):
    f = [""] * len(ACTIVITE)
    f[0:3] = ["8", ps_idnat[1:], ps_idnat]
    f[7:9] = [family, "Jean"]
    f[9:11] = [profession, {"10": "Médecin", "70": "Masseur-Kinésithérapeute"}[profession]]
    f[17:19] = ["L", "Libéral"]
    f[23] = "S00000001"
    f[35:40] = ["75013", "75113", "Paris 13e", "99000", "France"]
    return "|".join(f) + "|"


@pytest.fixture(scope="module")
def dmp(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd-dmp"))
    s.init()
    s.add_standard_accounts()  # the lab's organisation certificate is the feeding credential
    rows = [activity_row(p, code, name.upper()) for name, (p, code) in PEOPLE.items() if code]
    extraction = s.data / "PS_LibreAcces_Personne_activite.txt"
    extraction.write_bytes(("|".join(ACTIVITE) + "|\r\n" + "".join(r + "\r\n" for r in rows)).encode())
    s.ctl("directory", "import", str(extraction))
    s.certs = {}
    for name, (ps_idnat, _) in PEOPLE.items():
        address = add_personal_account(s, f"{name.replace('_', '-')}@{DOMAIN}")
        out = s.data / f"cps-{name}"
        s.ctl("pki", "issue", "personal", address, "--ps-idnat", ps_idnat, "--out", str(out))
        s.certs[name] = (out / "auth-cert.pem", out / "auth-key.pem")
    s.certs["feed"] = (s.lab_dir / "cert.pem", s.lab_dir / "key.pem")
    s.ctl("dmp", "patient", "add", "--ins", PATIENT, "--oid", INS_OID, "--family", "DUVAL", "--given", "Claire",
          "--birth", "19800115", "--gender", "F", "--consent", "--medecin-traitant", TRAITANT[0])
    s.ctl("dmp", "patient", "add", "--ins", RESERVED, "--oid", INS_OID, "--family", "ROUX", "--given", "Marc",
          "--birth", "19750220", "--gender", "M", "--consent", "--no-emergency", "--medecin-traitant", TRAITANT[0])
    s.ctl("dmp", "patient", "add", "--ins", OPPOSED, "--oid", INS_OID, "--family", "NOEL", "--given", "Lise",
          "--birth", "19900301", "--gender", "F", "--consent")
    s.ctl("dmp", "oppose", "--ins", OPPOSED)
    s.ctl("dmp", "block", "--ins", PATIENT, "--ps-idnat", BLOCKED[0])
    s.start()
    yield s
    s.stop()


def call(server, method, path, who=None, body=None, headers=None):
    cert = server.certs[who] if who else (None, None)
    c = http.client.HTTPSConnection("127.0.0.1", server.https, context=server.tls_context(*cert), timeout=60)
    hdrs = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/fhir+json")
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r, data


def fhir(server, method, path, who=None, body=None, headers=None):
    status, _, data = call(server, method, path, who, body, headers)
    return status, json.loads(data) if data else None


def ack_of(outcome):
    return outcome["issue"][0].get("details", {}).get("coding", [{}])[0].get("code")


def provide_bundle(unique_id, author=AUTHOR[0], patient=PATIENT, oid=INS_OID, cls="10", typ="11502-2",
                   replaces=None, set_id=None, version=None, labels=(), traits=None, content=CDA):
    traits = traits or {"family": "DUVAL", "given": "Claire", "birthDate": "1980-01-15", "gender": "female"}
    binary_url = f"urn:uuid:{uuid.uuid4()}"
    doc = {
        "resourceType": "DocumentReference",
        "contained": [
            {"resourceType": "Practitioner", "id": "auteur",
             "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": author}]},
            {"resourceType": "Patient", "id": "patient",
             "identifier": [{"system": f"urn:oid:{oid}", "value": patient}],
             "name": [{"family": traits["family"], "given": [traits["given"]]}],
             "birthDate": traits["birthDate"], "gender": traits["gender"]}],
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:{unique_id}"},
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": typ, "display": "CR d'examens biologiques"}]},
        "category": [{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.1", "code": cls}]}],
        "subject": {"reference": "#patient"},
        "author": [{"reference": "#auteur"}],
        "securityLabel": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}]
        + [{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.13", "code": v}]} for v in labels],
        "content": [{"attachment": {"contentType": "text/xml", "url": binary_url, "title": "CR de biologie",
                                    "creation": "2026-12-01T10:00:00+01:00", "size": len(content),
                                    "hash": base64.b64encode(hashlib.sha1(content).digest()).decode()},
                     "format": {"system": "urn:oid:1.2.250.1.213.1.1.4.2.282", "code": "urn:ihe:lab:xd-lab:2008"}}],
        "context": {"period": {"start": "2026-12-01"},
                    "facilityType": {"coding": [{"system": "urn:oid:1.2.250.1.71.4.2.4", "code": "SA01"}]},
                    "practiceSetting": {"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.9", "code": "ETABLISSEMENT"}]},
                    "sourcePatientInfo": {"reference": "#patient"}},
    }
    if replaces:
        doc["relatesTo"] = [{"code": "replaces", "target": {"reference": f"DocumentReference/{replaces}"}}]
    extensions = []
    if set_id:
        extensions.append({"url": "urn:mssd:cda:setId", "valueIdentifier": {"value": f"urn:oid:{set_id}"}})
    if version:
        extensions.append({"url": "urn:mssd:cda:versionNumber", "valueInteger": version})
    if extensions:
        doc["extension"] = extensions
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}",
         "resource": {"resourceType": "List", "status": "current", "mode": "working",
                      "code": {"coding": [{"code": "submissionset"}]},
                      "masterIdentifier": {"value": f"urn:oid:{unique_id}.0"}},
         "request": {"method": "POST", "url": "List"}},
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": doc, "request": {"method": "POST", "url": "DocumentReference"}},
        {"fullUrl": binary_url, "resource": {"resourceType": "Binary", "contentType": "text/xml",
                                             "data": base64.b64encode(content).decode()},
         "request": {"method": "POST", "url": "Binary"}}]}


def deposit(server, unique_id, who="feed", **kw):
    return fhir(server, "POST", "/dmp/fhir", who, provide_bundle(unique_id, **kw))


def filed_id(response):
    locations = [e["response"]["location"] for e in response["entry"]]
    return next(loc.split("/")[1] for loc in locations if loc.startswith("DocumentReference/"))


def search(server, who, patient=PATIENT, status="current", headers=None, **params):
    q = {"patient.identifier": f"urn:oid:{INS_OID}|{patient}", "status": status, **params}
    return fhir(server, "GET", "/dmp/fhir/DocumentReference?" + urllib.parse.urlencode(q), who, headers=headers)


def ids(bundle):
    return [e["resource"]["id"] for e in bundle["entry"]]


def documents(server, patient=PATIENT):
    return server.ctl("dmp", "documents", "--ins", patient).stdout.decode().splitlines()


def traces(server, patient=PATIENT):
    return server.ctl("dmp", "traces", "--ins", patient).stdout.decode()


DECLARE = {"X-DMP-Autorisation-Patient": "true"}


@pytest.fixture(scope="module")
def report(dmp):
    """A biology report deposited by the feed for Claire DUVAL, written by AUTHOR."""
    status, body = deposit(dmp, "1.2.250.1.999.1.1")
    assert status == 200, body
    assert body["type"] == "transaction-response"
    assert all(e["response"]["status"] == "201 Created" for e in body["entry"])
    return filed_id(body)


# -- a DMP exists? -------------------------------------------------------------------------------
def test_patient_search_tells_whether_a_dmp_exists(dmp):
    status, body = fhir(dmp, "GET", f"/dmp/fhir/Patient?identifier=urn:oid:{INS_OID}|{PATIENT}", "feed")
    assert status == 200 and body["total"] == 1
    assert body["entry"][0]["resource"]["name"][0]["family"] == "DUVAL"
    status, body = fhir(dmp, "GET", f"/dmp/fhir/Patient?identifier=urn:oid:{INS_OID}|{UNKNOWN}", "feed")
    assert status == 200 and body["total"] == 0


def test_no_client_certificate_is_401(dmp):
    status, body = search(dmp, None)
    assert status == 401 and body["issue"][0]["code"] == "login"


# -- deposit and reading ------------------------------------------------------------------------
def test_feed_deposits_but_never_reads(dmp, report):
    status, body = search(dmp, "feed")
    assert status == 403 and "feeding credential" in body["issue"][0]["diagnostics"]
    status, _, _ = call(dmp, "GET", f"/dmp/fhir/Binary/{report}", "feed")
    assert status == 403


def test_medecin_traitant_finds_and_retrieves(dmp, report):
    status, body = search(dmp, "traitant")
    assert status == 200 and body["resourceType"] == "Bundle" and body["type"] == "searchset"
    assert report in ids(body)
    doc = next(e["resource"] for e in body["entry"] if e["resource"]["id"] == report)
    assert doc["masterIdentifier"]["value"] == "urn:oid:1.2.250.1.999.1.1"
    assert doc["category"][0]["coding"][0]["code"] == "10"
    assert doc["content"][0]["format"]["code"] == "urn:ihe:lab:xd-lab:2008"
    assert doc["contained"][0]["identifier"][0]["value"] == AUTHOR[0]
    url = urllib.parse.urlparse(doc["content"][0]["attachment"]["url"])
    assert url.path == f"/dmp/fhir/Binary/{report}"
    assert doc["content"][0]["attachment"]["hash"] == base64.b64encode(hashlib.sha1(CDA).digest()).decode()
    status, response, data = call(dmp, "GET", url.path, "traitant")
    assert status == 200 and data == CDA
    assert response.getheader("Content-Type") == "text/xml"


def test_search_filters(dmp, report):
    assert report in ids(search(dmp, "traitant", category="10")[1])
    assert search(dmp, "traitant", category="11")[1]["total"] == 0
    assert report in ids(search(dmp, "traitant", type="http://loinc.org|11502-2")[1])
    assert report in ids(search(dmp, "traitant", **{"author.identifier": f"urn:oid:1.2.250.1.71.4.2.1|{AUTHOR[0]}"})[1])
    assert search(dmp, "traitant", **{"author.identifier": OTHER_AUTHOR[0]})[1]["total"] == 0
    assert report in ids(search(dmp, "traitant", period="ge2026-11-01")[1])
    assert search(dmp, "traitant", period="le2026-11-01")[1]["total"] == 0


def test_search_needs_patient_and_status(dmp):
    status, body = fhir(dmp, "GET", "/dmp/fhir/DocumentReference?status=current", "traitant")
    assert status == 400 and body["resourceType"] == "OperationOutcome"
    status, _ = fhir(dmp, "GET", f"/dmp/fhir/DocumentReference?patient.identifier={PATIENT}", "traitant")
    assert status == 400


def test_malformed_or_oversized_queries_refused_with_400(dmp, report):
    """The PDSm searches read their query with the same bounded FHIR reader as the directory's API:
    a broken escape, a NUL, too many parameters or a value past its bound is a 400 that says why,
    not a search run on what was left of it."""
    base = f"patient.identifier=urn:oid:{INS_OID}%7C{PATIENT}&status=current"
    for resource in ("DocumentReference", "List"):
        extra = "&code=submissionset" if resource == "List" else ""
        for bad, why in [("&type=%zz", "percent"), ("&type=a%00b", "NUL"), ("&type=" + "1," * 30 + "1", "values"),
                         ("&type=" + "x" * 300, "longer"), ("".join(f"&p{i}=1" for i in range(40)), "parameters")]:
            status, body = fhir(dmp, "GET", f"/dmp/fhir/{resource}?{base}{extra}{bad}", "traitant")
            assert status == 400 and body["resourceType"] == "OperationOutcome", (resource, bad, body)
            assert why in body["issue"][0]["diagnostics"], body
    for path in ("/dmp/fhir/Patient?identifier=%zz", f"/dmp/fhir/AuditEvent?patient={PATIENT}&x=%zz"):
        status, body = fhir(dmp, "GET", path, "traitant")
        assert status == 400, (path, body)
    # A value's own comma, escaped, stays one value, and so it does again in the next link.
    for i in range(2):
        assert deposit(dmp, f"1.2.250.1.999.43.{i}", cls="43")[0] == 200
    status, first = search(dmp, "traitant", _count="1", category="43,x\\,y")
    assert status == 200 and first["total"] == 2, first
    next_url = next(l["url"] for l in first["link"] if l["relation"] == "next")
    assert "category=43%2Cx%5C%2Cy" in next_url, next_url
    status, second = fhir(dmp, "GET", next_url, "traitant")
    assert status == 200 and second["total"] == 2 and len(second["entry"]) == 1


def test_paging_with_next_links(dmp, report):
    for i in range(3):
        assert deposit(dmp, f"1.2.250.1.999.11.{i}", cls="11")[0] == 200
    status, first = search(dmp, "traitant", category="11", _count="2", period="ge2026-01-01&x")
    assert status == 200 and first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(l["url"] for l in first["link"] if l["relation"] == "next")
    status, second = fhir(dmp, "GET", next_url, "traitant")
    assert status == 200 and len(second["entry"]) == 1
    assert not any(l["relation"] == "next" for l in second["link"])
    assert set(ids(first)) | set(ids(second)) == set(ids(search(dmp, "traitant", category="11")[1]))
    assert "period=ge2026-01-01%26x" in next_url


# -- access rules -------------------------------------------------------------------------------
def test_care_relationship_declared_once_then_remembered(dmp, report):
    status, body = search(dmp, "colleague")
    assert status == 403 and "care relationship" in body["issue"][0]["diagnostics"]
    status, body = search(dmp, "colleague", headers=DECLARE)
    assert status == 200 and report in ids(body)
    status, body = search(dmp, "colleague")
    assert status == 200 and report in ids(body)
    assert f"declare-care professional {COLLEAGUE[0]}" in traces(dmp)


def test_profession_outside_the_matrix_sees_no_report(dmp, report):
    status, body = search(dmp, "kine", headers=DECLARE)
    assert status == 200 and report not in ids(body)
    status, _, _ = call(dmp, "GET", f"/dmp/fhir/Binary/{report}", "kine", headers=DECLARE)
    assert status == 403


def test_access_matrix_is_data_reloaded_on_sighup(dmp, report):
    """An operator's own matrix in the data directory replaces the shipped one at SIGHUP."""
    shipped = (pathlib.Path(__file__).resolve().parents[2] / "dmp" / "data" / "access-matrix.tsv").read_text()
    kine_row = "70\tMasseur-kinésithérapeute\t11,42,44,45,90"
    assert kine_row in shipped
    own = dmp.data / "dmp-access-matrix.tsv"
    own.write_text(shipped.replace(kine_row, "70\tMasseur-kinésithérapeute\t*"))
    try:
        dmp.reload()
        assert report in ids(search(dmp, "kine", headers=DECLARE)[1])
    finally:
        own.unlink()
        dmp.reload()
    assert report not in ids(search(dmp, "kine", headers=DECLARE)[1])


def test_broken_matrix_file_keeps_the_one_in_force(dmp, report):
    own = dmp.data / "dmp-access-matrix.tsv"
    own.write_text("10\tMédecin\n")  # no classes column
    try:
        before = sum("not reloaded" in line for line in list(dmp.log))
        dmp.reload()
        assert sum("not reloaded" in line for line in list(dmp.log)) == before + 1
        assert report in ids(search(dmp, "traitant")[1])
    finally:
        own.unlink()
        dmp.reload()


def test_professional_unknown_to_the_directory_refused(dmp):
    status, body = search(dmp, "stranger", headers=DECLARE)
    assert status == 403 and "access matrix" in body["issue"][0]["diagnostics"]


def test_blocked_professional_refused_even_in_emergency(dmp, report):
    status, body = search(dmp, "blocked", headers=DECLARE)
    assert status == 403 and "blocked" in body["issue"][0]["diagnostics"]
    status, _ = search(dmp, "blocked", headers={"X-DMP-Mode-Acces": "BRIS_DE_GLACE",
                                                "X-DMP-Mode-Acces-Raison": "malaise"})
    assert status == 403
    assert f"access-refused professional {BLOCKED[0]}" in traces(dmp)


def test_medecin_traitant_cannot_be_blocked(dmp):
    r = dmp.ctl("dmp", "block", "--ins", PATIENT, "--ps-idnat", TRAITANT[0], check=False)
    assert r.returncode == 1 and b"cannot be blocked" in r.stderr


def test_emergency_access_with_justification_is_traced(dmp, report):
    status, body = search(dmp, "urgentiste", headers={"X-DMP-Mode-Acces": "BRIS_DE_GLACE"})
    assert status == 403 and "justification" in body["issue"][0]["diagnostics"]
    status, body = search(dmp, "urgentiste", headers={"X-DMP-Mode-Acces": "BRIS_DE_GLACE",
                                                      "X-DMP-Mode-Acces-Raison": "coma, admis aux urgences"})
    assert status == 200 and report in ids(body)
    assert "[bris de glace] bris de glace [bris de glace: coma, admis aux urgences]" in traces(dmp)


def test_emergency_access_refused_when_the_patient_said_no(dmp):
    status, body = search(dmp, "urgentiste", patient=RESERVED,
                          headers={"X-DMP-Mode-Acces": "BRIS_DE_GLACE", "X-DMP-Mode-Acces-Raison": "urgence vitale"})
    assert status == 403 and "refused emergency" in body["issue"][0]["diagnostics"]


def test_masked_document_only_for_medecin_traitant_and_author(dmp):
    status, body = deposit(dmp, "1.2.250.1.999.1.2", typ="11488-4")
    assert status == 200
    doc = filed_id(body)
    patch = [{"op": "add", "path": "/securityLabel/-",
              "value": {"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.13", "code": "MASQUE_PS"}]}}]
    status, body = fhir(dmp, "PATCH", f"/dmp/fhir/DocumentReference/{doc}", "colleague", json.dumps(patch),
                        {"Content-Type": "application/json-patch+json"})
    assert status == 403 and ack_of(body) == "901"
    status, body = fhir(dmp, "PATCH", f"/dmp/fhir/DocumentReference/{doc}", "author", json.dumps(patch),
                        {"Content-Type": "application/json-patch+json"})
    assert status == 200
    assert any(c["coding"][0]["code"] == "MASQUE_PS" for c in body["securityLabel"])
    assert doc not in ids(search(dmp, "colleague", headers=DECLARE)[1])
    assert call(dmp, "GET", f"/dmp/fhir/Binary/{doc}", "colleague")[0] == 403
    assert doc in ids(search(dmp, "traitant")[1])
    assert doc in ids(search(dmp, "author", headers=DECLARE)[1])
    assert call(dmp, "GET", f"/dmp/fhir/Binary/{doc}", "author")[0] == 200
    line = next(l for l in documents(dmp) if l.startswith(doc))
    assert line.split()[1:6] == ["10", "11488-4", "2026-12-01T10:00:00+01:00", AUTHOR[0], "MASQUE_PS"]
    assert f"mask professional {AUTHOR[0]} {doc}" in traces(dmp)


# -- versions, duplicates, deletion ---------------------------------------------------------------
def test_replacement_by_the_author_supersedes(dmp):
    _, body = deposit(dmp, "1.2.250.1.999.2.1")
    first = filed_id(body)
    status, body = deposit(dmp, "1.2.250.1.999.2.2", replaces=first)
    assert status == 200, body
    second = filed_id(body)
    current = ids(search(dmp, "traitant")[1])
    assert second in current and first not in current
    assert first in ids(search(dmp, "traitant", status="superseded")[1])
    replacing = search(dmp, "traitant", relatesto=f"DocumentReference/{first}")[1]
    assert ids(replacing) == [second]
    status, body = deposit(dmp, "1.2.250.1.999.2.3", replaces=first)
    assert status == 409 and ack_of(body) == "900"


def test_replacement_by_another_author_refused_901(dmp):
    _, body = deposit(dmp, "1.2.250.1.999.3.1")
    first = filed_id(body)
    before = len(documents(dmp))
    status, body = deposit(dmp, "1.2.250.1.999.3.2", author=OTHER_AUTHOR[0], replaces=first)
    assert status == 403 and ack_of(body) == "901"
    assert len(documents(dmp)) == before
    assert first in ids(search(dmp, "traitant")[1])


def test_same_set_id_replaces_and_version_must_follow(dmp):
    _, body = deposit(dmp, "1.2.250.1.999.4.1", set_id="1.2.250.1.999.4", version=1)
    first = filed_id(body)
    status, body = deposit(dmp, "1.2.250.1.999.4.2", set_id="1.2.250.1.999.4", version=1)
    assert status == 409 and ack_of(body) == "900"
    status, body = deposit(dmp, "1.2.250.1.999.4.3", set_id="1.2.250.1.999.4", version=2)
    assert status == 200
    assert first not in ids(search(dmp, "traitant")[1])


def test_duplicate_not_filed_twice(dmp):
    status, body = deposit(dmp, "1.2.250.1.999.5.1")
    assert status == 200
    first = filed_id(body)
    before = len(documents(dmp))
    status, body = deposit(dmp, "1.2.250.1.999.5.1")
    assert status == 200 and filed_id(body) == first
    assert body["entry"][1]["response"]["status"] == "200 OK"
    assert len(documents(dmp)) == before


def test_deletion_by_the_author_supersedes(dmp):
    _, body = deposit(dmp, "1.2.250.1.999.6.1")
    doc = filed_id(body)
    patch = json.dumps([{"op": "replace", "path": "/status", "value": "superseded"}])
    status, body = fhir(dmp, "PATCH", f"/dmp/fhir/DocumentReference/{doc}", "traitant", patch)
    assert status == 403 and ack_of(body) == "901"
    status, body = fhir(dmp, "PATCH", f"/dmp/fhir/DocumentReference/{doc}", "author", patch)
    assert status == 200 and body["status"] == "superseded"
    assert doc not in ids(search(dmp, "traitant")[1])
    assert f"delete professional {AUTHOR[0]} {doc}" in traces(dmp)


# -- refused deposits: the acknowledgement codes ---------------------------------------------------
@pytest.mark.parametrize("kw, status, ack", [
    ({"patient": UNKNOWN}, 404, "902"),
    ({"patient": OPPOSED, "traits": {"family": "NOEL", "given": "Lise", "birthDate": "1990-03-01", "gender": "female"}}, 404, "902"),
    ({"traits": {"family": "DUVAL", "given": "Claire", "birthDate": "1981-01-15", "gender": "female"}}, 422, "904"),
    ({"patient": PATIENT[:10]}, 422, "905"),
    ({"oid": "1.2.250.1.71.4.2.1"}, 422, "905"),
    ({"patient": ""}, 422, "903"),
])
def test_refused_deposit_carries_its_code(dmp, kw, status, ack):
    before = len(documents(dmp))
    got, body = deposit(dmp, f"1.2.250.1.999.9.{ack}.{status}.{len(kw)}", **kw)
    assert got == status and ack_of(body) == ack, body
    assert len(documents(dmp)) == before


def test_malformed_bodies_refused_with_400(dmp):
    assert fhir(dmp, "POST", "/dmp/fhir", "feed", "{not json")[0] == 400
    assert fhir(dmp, "POST", "/dmp/fhir", "feed", "[" * 100 + "]" * 100)[0] == 400
    bundle = provide_bundle("1.2.250.1.999.10.1")
    broken = copy.deepcopy(bundle)
    broken["entry"][2]["resource"]["data"] = "***"
    assert fhir(dmp, "POST", "/dmp/fhir", "feed", broken)[0] == 400
    no_binary = copy.deepcopy(bundle)
    del no_binary["entry"][2]
    assert fhir(dmp, "POST", "/dmp/fhir", "feed", no_binary)[0] == 400
    status, body = fhir(dmp, "PATCH", "/dmp/fhir/DocumentReference/x", "author",
                        json.dumps([{"op": "replace", "path": "/type", "value": {}}]))
    assert status == 422


# -- traces -----------------------------------------------------------------------------------------
def test_audit_events_for_the_medecin_traitant_only(dmp, report):
    status, body = fhir(dmp, "GET", f"/dmp/fhir/AuditEvent?patient.identifier=urn:oid:{INS_OID}|{PATIENT}", "traitant")
    assert status == 200
    events = [e["resource"] for e in body["entry"]]
    actions = {e["subtype"][0]["code"] for e in events}
    assert {"create", "deposit", "search", "read", "emergency", "access-refused", "mask"} <= actions
    emergency = next(e for e in events if e["subtype"][0]["code"] == "emergency")
    assert emergency["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert "coma, admis aux urgences" in emergency["purposeOfEvent"][0]["text"]
    assert emergency["agent"][0]["who"]["identifier"]["value"] == URGENTISTE[0]
    status, body = fhir(dmp, "GET", f"/dmp/fhir/AuditEvent?patient.identifier={PATIENT}", "colleague")
    assert status == 403


def test_a_personal_looking_certificate_from_another_authority_is_no_professional(dmp, report, tmp_path):
    """A certificate whose subject copies a CPS's (OU=IGC-SANTE TEST, CN = the médecin traitant's
    PS_IdNat), but that the ORGANISATIONS authority issued, identifies nobody: it may feed, never read."""
    pki = dmp.data / "pki"
    key, csr, cert = tmp_path / "forged.key", tmp_path / "forged.csr", tmp_path / "forged.pem"
    ext = tmp_path / "ext.cnf"
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
                    "-subj", f"/C=FR/O=MSSD TEST OPERATOR/OU=IGC-SANTE TEST/CN={TRAITANT[0]}"],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(pki / "organisations.crt"),
                    "-CAkey", str(pki / "organisations.key"), "-CAcreateserial", "-days", "30", "-sha256",
                    "-extfile", str(ext), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    cert.write_text(cert.read_text() + (pki / "organisations.crt").read_text())
    dmp.certs["forged"] = (cert, key)
    status, body = search(dmp, "forged")
    assert status == 403 and "feeding credential" in body["issue"][0]["diagnostics"]
    status, _, _ = call(dmp, "GET", f"/dmp/fhir/Binary/{report}", "forged")
    assert status == 403
    status, _ = search(dmp, "traitant")  # the real CPS still reads
    assert status == 200
