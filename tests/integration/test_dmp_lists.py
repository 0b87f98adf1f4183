"""ITI-66 Find Document Lists on the real mssd: two ITI-65 bundles deposited over HTTPS by the
feeding lab for one patient, then their SubmissionSets (FHIR List) searched by professionals under
the same access rules as ITI-67 (the médecin traitant sees every document, a physiotherapist only
the classes the access matrix grants, a blocked professional nothing), the filters, the trace, and
the 400 OperationOutcome of a bad query; and the submission set a message filed by mail leaves."""
import copy
import urllib.parse

import pytest

from mssd_harness import DOCTOR, GP
from test_dmp import (AUTHOR, DECLARE, INS_OID, PATIENT, UNKNOWN, dmp, fhir,  # noqa: F401
                      provide_bundle, traces)
# The filing server (its own fixture `server`) for the last test: a message filed by the worker.
from test_filing import AUTHOR as LAB_AUTHOR, PATIENT as FILED_PATIENT, fhir_get, server, send_and_ack  # noqa: F401
from test_filing import search as find_documents
import make_xdm as mx  # noqa: E402  (tests/tools, put on the path by test_filing)

MHD = "https://profiles.ihe.net/ITI/MHD/"
LAB_SOURCE = "1.2.250.1.999.7"
OTHER_SOURCE = "1.2.250.1.999.8"


def submission(set_uid, documents, source=LAB_SOURCE, date="2026-12-01T10:00:00+01:00", designation="04"):
    """One ITI-65 Bundle whose SubmissionSet holds every document given as (uniqueId, class)."""
    bundles = [provide_bundle(uid, cls=cls) for uid, cls in documents]
    bundle = copy.deepcopy(bundles[0])
    for other in bundles[1:]:
        bundle["entry"] += other["entry"][1:]
    bundle["entry"][0]["resource"].update({
        "masterIdentifier": {"value": f"urn:oid:{set_uid}"},
        "date": date,
        "title": f"Envoi {set_uid}",
        "source": {"identifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": AUTHOR[0]}},
        "extension": [
            {"url": f"{MHD}StructureDefinition/ihe-sourceId", "valueIdentifier": {"value": f"urn:oid:{source}"}},
            {"url": f"{MHD}StructureDefinition/ihe-designationType",
             "valueCodeableConcept": {"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.12", "code": designation}]}}],
    })
    return bundle


def lists(server, who, patient=PATIENT, code="submissionset", headers=None, **params):
    q = {"patient.identifier": f"urn:oid:{INS_OID}|{patient}", **({"code": code} if code else {}), **params}
    return fhir(server, "GET", "/dmp/fhir/List?" + urllib.parse.urlencode(q), who, headers=headers)


def documents_of(entry):
    return [e["item"]["reference"].split("/")[1] for e in entry["resource"]["entry"]]


def by_uid(bundle):
    return {next(i["value"] for i in e["resource"]["identifier"] if i["use"] == "usual"): e for e in bundle["entry"]}


@pytest.fixture(scope="module")
def filed(dmp):  # noqa: F811
    """Set A: one report (class 10). Set B: a report (class 10) and an image report (class 11)."""
    ids = {}
    for set_uid, docs, source, date in [("1.2.250.1.999.50.1", [("1.2.250.1.999.51.1", "10")], LAB_SOURCE, "2026-12-01T10:00:00+01:00"),
                                        ("1.2.250.1.999.50.2", [("1.2.250.1.999.51.2", "10"), ("1.2.250.1.999.51.3", "11")],
                                         OTHER_SOURCE, "2026-12-03T09:00:00+01:00")]:
        status, body = fhir(dmp, "POST", "/dmp/fhir", "feed", submission(set_uid, docs, source, date))
        assert status == 200, body
        ids[set_uid] = [e["response"]["location"].split("/")[1] for e in body["entry"]
                        if e["response"]["location"].startswith("DocumentReference/")]
        assert len(ids[set_uid]) == len(docs)
    return ids


def test_traitant_finds_both_sets_with_all_their_documents(dmp, filed):
    status, body = lists(dmp, "traitant")
    assert status == 200 and body["type"] == "searchset" and body["total"] == 2, body
    found = by_uid(body)
    a, b = found["urn:oid:1.2.250.1.999.50.1"], found["urn:oid:1.2.250.1.999.50.2"]
    assert documents_of(a) == filed["1.2.250.1.999.50.1"]
    assert documents_of(b) == filed["1.2.250.1.999.50.2"]
    r = b["resource"]
    assert r["resourceType"] == "List" and r["status"] == "current" and r["mode"] == "working"
    assert r["code"]["coding"][0] == {"system": f"{MHD}CodeSystem/MHDlistTypes", "code": "submissionset"}
    assert r["subject"]["identifier"] == {"system": f"urn:oid:{INS_OID}", "value": PATIENT}
    assert r["date"] == "2026-12-03T09:00:00+01:00" and r["title"] == "Envoi 1.2.250.1.999.50.2"
    assert r["source"]["identifier"]["value"] == AUTHOR[0]
    ext = {e["url"]: e for e in r["extension"]}
    assert ext[f"{MHD}StructureDefinition/ihe-sourceId"]["valueIdentifier"]["value"] == f"urn:oid:{OTHER_SOURCE}"
    assert ext[f"{MHD}StructureDefinition/ihe-designationType"]["valueCodeableConcept"]["coding"][0]["code"] == "04"


def test_list_entries_resolve_through_iti67(dmp, filed):
    q = urllib.parse.urlencode({"patient.identifier": f"urn:oid:{INS_OID}|{PATIENT}", "status": "current"})
    status, body = fhir(dmp, "GET", "/dmp/fhir/DocumentReference?" + q, "traitant")
    assert status == 200
    found = {e["resource"]["id"] for e in body["entry"]}
    assert set(filed["1.2.250.1.999.50.1"] + filed["1.2.250.1.999.50.2"]) <= found


def test_physiotherapist_sees_only_the_documents_the_matrix_grants(dmp, filed):
    """Class 10 is outside a physiotherapist's matrix row, class 11 inside: set A (10 only) is not
    returned at all, set B lists its class 11 document alone."""
    status, body = lists(dmp, "kine", headers=DECLARE)
    assert status == 200 and body["total"] == 1, body
    (only,) = body["entry"]
    assert documents_of(only) == [filed["1.2.250.1.999.50.2"][1]]


def test_blocked_professional_gets_403(dmp, filed):
    status, body = lists(dmp, "blocked", headers=DECLARE)
    assert status == 403 and body["resourceType"] == "OperationOutcome"


def test_feed_never_reads_lists(dmp, filed):
    status, body = lists(dmp, "feed")
    assert status == 403 and body["resourceType"] == "OperationOutcome"


def test_unknown_patient_is_404(dmp):
    status, body = lists(dmp, "traitant", patient=UNKNOWN)
    assert status == 404 and body["resourceType"] == "OperationOutcome"


def test_filters(dmp, filed):
    def uids(**params):
        status, body = lists(dmp, "traitant", **params)
        assert status == 200, body
        return sorted(by_uid(body))
    a, b = "urn:oid:1.2.250.1.999.50.1", "urn:oid:1.2.250.1.999.50.2"
    assert uids(date="ge2026-12-02") == [b]
    assert uids(date="le2026-12-02") == [a]
    assert uids(date="2026-12-01") == [a]
    assert uids(sourceId=f"urn:oid:{LAB_SOURCE}") == [a]
    assert uids(sourceId=OTHER_SOURCE) == [b]
    assert uids(identifier=b) == [b]
    assert uids(status="current") == [a, b]
    assert uids(status="retired") == []
    assert uids(designationType="urn:oid:1.2.250.1.213.1.1.4.12|04") == [a, b]
    assert uids(designationType="05") == []
    assert uids(code="folder") == []
    assert uids(code=f"{MHD}CodeSystem/MHDlistTypes|submissionset") == [a, b]


def test_paging(dmp, filed):
    status, body = lists(dmp, "traitant", _count="1")
    assert status == 200 and body["total"] == 2 and len(body["entry"]) == 1
    nxt = next(link["url"] for link in body["link"] if link["relation"] == "next")
    assert nxt.startswith("/dmp/fhir/List?") and "_offset=1" in nxt
    status, second = fhir(dmp, "GET", nxt, "traitant")
    assert status == 200 and len(second["entry"]) == 1
    assert second["entry"][0]["resource"]["id"] != body["entry"][0]["resource"]["id"]


def test_search_is_traced(dmp, filed):
    lists(dmp, "traitant", sourceId=LAB_SOURCE)
    assert f"sourceId={LAB_SOURCE}" in traces(dmp)
    status, body = fhir(dmp, "GET", f"/dmp/fhir/AuditEvent?patient.identifier=urn:oid:{INS_OID}|{PATIENT}", "traitant")
    assert status == 200
    assert any(e["resource"]["subtype"][0]["display"] == "ITI-66" for e in body["entry"]
               if e["resource"].get("subtype")), [e["resource"].get("subtype") for e in body["entry"]]


@pytest.mark.parametrize("query", [
    f"code=submissionset",                                            # no patient
    f"patient.identifier=urn:oid:{INS_OID}|{PATIENT}",                # no code
    f"patient.identifier=urn:oid:{INS_OID}|{PATIENT}&code=submissionset&date=yesterday",
    f"patient.identifier=urn:oid:{INS_OID}|{PATIENT}&code=submissionset&date=xx2026-12-01",
    f"patient.identifier=urn:oid:{INS_OID}|{PATIENT}&code=submissionset&date=2026-1",
])
def test_bad_queries_are_400(dmp, query):
    status, body = fhir(dmp, "GET", "/dmp/fhir/List?" + query, "traitant")
    assert status == 400 and body["resourceType"] == "OperationOutcome", body
    assert body["issue"][0]["code"] in ("required", "invalid")


def test_a_retried_bundle_keeps_one_set(dmp, filed):
    bundle = submission("1.2.250.1.999.50.1", [("1.2.250.1.999.51.1", "10")])
    status, body = fhir(dmp, "POST", "/dmp/fhir", "feed", bundle)
    assert status == 200, body
    status, body = lists(dmp, "traitant", identifier="urn:oid:1.2.250.1.999.50.1")
    assert status == 200 and body["total"] == 1


# -- the mail filing keeps its submission set too ---------------------------------------------------
def test_a_filed_message_leaves_a_submission_set(server):
    """A message carrying a CDA, filed by the worker through the same deposit sink, leaves one List
    naming the document, its author as source."""
    doc = mx.bio_doc()
    send_and_ack(server, mx.message([doc], GP, DOCTOR))
    status, found = find_documents(server, "traitant")
    assert status == 200
    filed_id = next(e["resource"]["id"] for e in found["entry"] if doc.doc_id in e["resource"]["masterIdentifier"]["value"])
    q = urllib.parse.urlencode({"patient.identifier": f"urn:oid:{FILED_PATIENT.oid}|{FILED_PATIENT.ins}",
                                "code": "submissionset"})
    status, body = fhir_get(server, f"/dmp/fhir/List?{q}", "traitant")
    assert status == 200 and body["total"] == 1, body
    (entry,) = body["entry"]
    assert documents_of(entry) == [filed_id]
    assert entry["resource"]["source"]["identifier"]["value"] == LAB_AUTHOR.ps_idnat
