"""The DMP's remaining rights on the real mssd (issue 12): Pro Santé Connect bearer tokens on the PDSm
interface (RFC 6750; tokens signed here by a local issuer, as test_oauth.py does), held to the same
access rules as CPS certificates; the patient's side of visibility (INVISIBLE_PATIENT,
INVISIBLE_REPRESENTANTS_LEGAUX) through `mssctl dmp documents --for`; ITI-67's status filter over
versions; and which certificate authorities name professionals ([dmp] professional_cas): a PERSONNES
CA of another operator's trusted IGC names nobody until listed."""
import http.client
import json
import signal
import time

import pytest

from mssd_harness import DOMAIN, Operator, Server, add_personal_account
from test_dmp import (AUTHOR, BLOCKED, CDA, INS_OID, KINE, PATIENT, TRAITANT, URGENTISTE, activity_row, deposit,
                      filed_id, ids)
from test_oauth import AUDIENCE, ISSUER, Issuer, add_oauth_section, tolerant_auth

PEOPLE = {"traitant": TRAITANT, "author": AUTHOR, "kine": KINE, "blocked": BLOCKED, "urgentiste": URGENTISTE}
SEARCH = f"/dmp/fhir/DocumentReference?patient.identifier=urn:oid:{INS_OID}%7C{PATIENT}&status=current"


def setup_dmp(server):
    """The directory's professionals, their CPS certificates, Claire DUVAL's DMP and its choices."""
    rows = [activity_row(p, code, name.upper()) for name, (p, code) in PEOPLE.items()]
    extraction = server.data / "PS_LibreAcces_Personne_activite.txt"
    from gen_directory import ACTIVITE
    extraction.write_bytes(("|".join(ACTIVITE) + "|\r\n" + "".join(r + "\r\n" for r in rows)).encode())
    server.ctl("directory", "import", str(extraction))
    server.certs = {"feed": (server.lab_dir / "cert.pem", server.lab_dir / "key.pem")}
    for name in ("traitant", "author"):
        address = add_personal_account(server, f"{name}@{DOMAIN}")
        out = server.data / f"cps-{name}"
        server.ctl("pki", "issue", "personal", address, "--ps-idnat", PEOPLE[name][0], "--out", str(out))
        server.certs[name] = (out / "auth-cert.pem", out / "auth-key.pem")
    server.ctl("dmp", "patient", "add", "--ins", PATIENT, "--oid", INS_OID, "--family", "DUVAL", "--given", "Claire",
               "--birth", "19800115", "--gender", "F", "--consent", "--medecin-traitant", TRAITANT[0])
    server.ctl("dmp", "block", "--ins", PATIENT, "--ps-idnat", BLOCKED[0])


@pytest.fixture(scope="module")
def issuer():
    return Issuer()


@pytest.fixture(scope="module")
def psc(tmp_path_factory, issuer):
    """An mssd whose DMP accepts Pro Santé Connect tokens of the local issuer."""
    s = Server(tmp_path_factory.mktemp("mssd-dmp-rights"))
    s.init()
    s.add_standard_accounts()
    setup_dmp(s)
    (s.data / "jwks.json").write_text(issuer.jwks())
    add_oauth_section(s, issuer=ISSUER, audience=AUDIENCE, jwks_file="jwks.json", acr_minimum="eidas1")
    tolerant_auth(s)  # refused tokens count towards lock-outs (test_dmp_lockout.py); here they are the point
    s.start()
    yield s
    s.stop()


def request(server, method, path, who=None, token=None, body=None, headers=None):
    """One HTTPS request; who names a client certificate, token an Authorization: Bearer."""
    cert = server.certs[who] if who else (None, None)
    c = http.client.HTTPSConnection("127.0.0.1", server.https, context=server.tls_context(*cert), timeout=60)
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/fhir+json")
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r, json.loads(data) if data and r.getheader("Content-Type", "").endswith("json") else data


def diagnostics(body):
    return body["issue"][0]["diagnostics"]


@pytest.fixture(scope="module")
def report(psc):
    status, body = deposit(psc, "1.2.250.1.999.51.1")
    assert status == 200, body
    return filed_id(body)


def traces(server):
    return server.ctl("dmp", "traces", "--ins", PATIENT).stdout.decode()


# -- 1. Pro Santé Connect bearer tokens ---------------------------------------------------------
def test_medecin_traitant_reads_with_a_token_alone(psc, issuer, report):
    token = issuer.token(issuer.claims(idnat=TRAITANT[0]))
    status, _, body = request(psc, "GET", SEARCH, token=token)
    assert status == 200 and report in ids(body)
    status, response, data = request(psc, "GET", f"/dmp/fhir/Binary/{report}", token=token)
    assert status == 200 and data == CDA
    assert f"read professional {TRAITANT[0]} {report}" in traces(psc)


def test_the_same_access_rules_as_a_certificate(psc, issuer, report):
    # a physiotherapist: the matrix shows no report (class 10), as with a CPS
    status, _, body = request(psc, "GET", SEARCH, token=issuer.token(issuer.claims(idnat=KINE[0])),
                              headers={"X-DMP-Autorisation-Patient": "true"})
    assert status == 200 and report not in ids(body)
    # blocked by the patient, even in emergency
    status, _, body = request(psc, "GET", SEARCH, token=issuer.token(issuer.claims(idnat=BLOCKED[0])),
                              headers={"X-DMP-Mode-Acces": "BRIS_DE_GLACE", "X-DMP-Mode-Acces-Raison": "coma"})
    assert status == 403 and "blocked" in diagnostics(body)
    # no care relationship
    status, _, body = request(psc, "GET", SEARCH, token=issuer.token(issuer.claims(idnat=URGENTISTE[0])))
    assert status == 403 and "care relationship" in diagnostics(body)
    # bris de glace with a justification, traced
    status, _, body = request(psc, "GET", SEARCH, token=issuer.token(issuer.claims(idnat=URGENTISTE[0])),
                              headers={"X-DMP-Mode-Acces": "BRIS_DE_GLACE", "X-DMP-Mode-Acces-Raison": "malaise"})
    assert status == 200 and report in ids(body)
    assert f"emergency professional {URGENTISTE[0]}" in traces(psc)
    # a PS_IdNat the directory does not know reads nothing
    status, _, body = request(psc, "GET", SEARCH, token=issuer.token(issuer.claims(idnat="810009999999")),
                              headers={"X-DMP-Autorisation-Patient": "true"})
    assert status == 403 and "access matrix" in diagnostics(body)


def test_a_token_is_a_professional_even_over_a_feed_certificate(psc, issuer, report):
    """The structure's software holds the organisation certificate, the doctor signs in with PSC."""
    status, _, body = request(psc, "GET", SEARCH, who="feed", token=issuer.token(issuer.claims(idnat=TRAITANT[0])))
    assert status == 200 and report in ids(body)
    status, _, body = request(psc, "GET", SEARCH, who="feed")
    assert status == 403 and "feeding credential" in diagnostics(body)


def test_the_author_masks_with_a_token(psc, issuer):
    status, body = deposit(psc, "1.2.250.1.999.51.2")
    doc = filed_id(body)
    patch = [{"op": "add", "path": "/securityLabel/-",
              "value": {"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.13", "code": "MASQUE_PS"}]}}]
    headers = {"Content-Type": "application/json-patch+json"}
    status, _, body = request(psc, "PATCH", f"/dmp/fhir/DocumentReference/{doc}",
                              token=issuer.token(issuer.claims(idnat=TRAITANT[0])), body=json.dumps(patch), headers=headers)
    assert status == 403  # not the author (901)
    status, _, body = request(psc, "PATCH", f"/dmp/fhir/DocumentReference/{doc}",
                              token=issuer.token(issuer.claims(idnat=AUTHOR[0])), body=json.dumps(patch), headers=headers)
    assert status == 200 and any(c["coding"][0]["code"] == "MASQUE_PS" for c in body["securityLabel"])


def assert_invalid_token(status, response, body):
    assert status == 401, body
    challenge = response.getheader("WWW-Authenticate")
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge, challenge
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "login"


@pytest.mark.parametrize("case", ["expired", "not-yet-valid", "audience", "issuer", "acr", "unknown-kid", "none",
                                  "tampered", "garbage", "no-professional"])
def test_bad_tokens_refused_with_invalid_token(psc, issuer, case):
    now = int(time.time())
    claims = issuer.claims(idnat=TRAITANT[0])
    if case == "expired":
        token = issuer.token(issuer.claims(idnat=TRAITANT[0], exp=now - 3600, iat=now - 7200, nbf=now - 7200))
    elif case == "not-yet-valid":
        token = issuer.token(issuer.claims(idnat=TRAITANT[0], nbf=now + 3600, iat=now + 3600))
    elif case == "audience":
        token = issuer.token(issuer.claims(idnat=TRAITANT[0], aud="another-service"))
    elif case == "issuer":
        token = issuer.token(issuer.claims(idnat=TRAITANT[0], iss="https://evil.example/realms/x"))
    elif case == "acr":
        token = issuer.token(issuer.claims(idnat=TRAITANT[0], acr=None))
    elif case == "unknown-kid":
        token = issuer.token(claims, kid="zz", signer=issuer.rsa["k1"], alg="RS256")
    elif case == "none":
        token = issuer.token(claims, alg="none")
    elif case == "tampered":
        header, payload, signature = issuer.token(issuer.claims(idnat=URGENTISTE[0])).split(".")
        from test_oauth import b64u
        token = ".".join([header, b64u(json.dumps(claims)), signature])
    elif case == "garbage":
        token = "not-a-jwt"
    else:
        token = issuer.token({k: v for k, v in issuer.claims().items() if k not in ("SubjectNameID", "preferred_username")})
    status, response, body = request(psc, "GET", SEARCH, token=token)
    assert_invalid_token(status, response, body)


def test_a_bad_token_is_not_excused_by_a_good_certificate(psc, issuer, report):
    expired = issuer.token(issuer.claims(idnat=TRAITANT[0], exp=int(time.time()) - 3600))
    status, response, body = request(psc, "GET", SEARCH, who="traitant", token=expired)
    assert_invalid_token(status, response, body)
    assert request(psc, "GET", SEARCH, who="traitant")[0] == 200


def test_no_credentials_get_the_bearer_challenge(psc):
    status, response, body = request(psc, "GET", SEARCH)
    assert status == 401 and body["issue"][0]["code"] == "login"
    challenge = response.getheader("WWW-Authenticate")
    assert challenge.startswith("Bearer realm=") and "error=" not in challenge


def test_tokens_refused_where_no_issuer_is_configured(tmp_path, issuer):
    s = Server(tmp_path / "no-oauth")
    s.init()
    s.start()
    try:
        status, response, body = request(s, "GET", SEARCH, token=issuer.token(issuer.claims(idnat=TRAITANT[0])))
        assert_invalid_token(status, response, body)
        assert "[oauth]" in diagnostics(body)
    finally:
        s.stop()


# -- 2. visibility and status -------------------------------------------------------------------
def mssctl_documents(server, *extra):
    return server.ctl("dmp", "documents", "--ins", PATIENT, *extra).stdout.decode().splitlines()


def test_invisible_to_the_patient_and_the_legal_representatives(psc):
    visible = filed_id(deposit(psc, "1.2.250.1.999.52.1")[1])
    hidden_patient = filed_id(deposit(psc, "1.2.250.1.999.52.2", labels=("INVISIBLE_PATIENT",))[1])
    hidden_reps = filed_id(deposit(psc, "1.2.250.1.999.52.3", labels=("INVISIBLE_REPRESENTANTS_LEGAUX",))[1])
    masked = filed_id(deposit(psc, "1.2.250.1.999.52.4", labels=("MASQUE_PS",))[1])
    # professionals: the two patient-side labels hide nothing from them
    status, _, body = request(psc, "GET", SEARCH, who="traitant")
    assert {visible, hidden_patient, hidden_reps, masked} <= set(ids(body))
    # the operator, unfiltered, lists everything
    assert {l.split()[0] for l in mssctl_documents(psc)} >= {visible, hidden_patient, hidden_reps, masked}
    as_patient = {l.split()[0] for l in mssctl_documents(psc, "--for", "patient")}
    assert {visible, hidden_reps, masked} <= as_patient and hidden_patient not in as_patient
    as_representative = {l.split()[0] for l in mssctl_documents(psc, "--for", "legal-representative")}
    assert {visible, masked} <= as_representative
    assert hidden_patient not in as_representative and hidden_reps not in as_representative
    log = traces(psc)
    assert "search patient mssctl - document list through the operator" in log
    assert "search legal-representative mssctl - document list through the operator" in log


def test_the_announcement_lifts_invisible_patient(psc):
    """After the announcement consultation the author replaces the labels without INVISIBLE_PATIENT."""
    doc = filed_id(deposit(psc, "1.2.250.1.999.52.5", labels=("INVISIBLE_PATIENT",))[1])
    assert doc not in {l.split()[0] for l in mssctl_documents(psc, "--for", "patient")}
    patch = [{"op": "replace", "path": "/securityLabel", "value": []}]
    status, _, _ = request(psc, "PATCH", f"/dmp/fhir/DocumentReference/{doc}", who="author", body=json.dumps(patch),
                           headers={"Content-Type": "application/json-patch+json"})
    assert status == 200
    assert doc in {l.split()[0] for l in mssctl_documents(psc, "--for", "patient")}


def test_status_filter_over_versions(psc):
    first = filed_id(deposit(psc, "1.2.250.1.999.53.1")[1])
    status, body = deposit(psc, "1.2.250.1.999.53.2", replaces=first)
    assert status == 200, body
    second = filed_id(body)
    base = f"/dmp/fhir/DocumentReference?patient.identifier=urn:oid:{INS_OID}%7C{PATIENT}"
    current = ids(request(psc, "GET", base + "&status=current", who="traitant")[2])
    assert second in current and first not in current
    old = request(psc, "GET", base + "&status=superseded", who="traitant")[2]
    assert first in ids(old) and second not in ids(old)
    both = ids(request(psc, "GET", base + "&status=current,superseded", who="traitant")[2])
    assert {first, second} <= set(both)
    replacing = request(psc, "GET", base + f"&status=current&relatesto=DocumentReference/{first}", who="traitant")[2]
    assert ids(replacing) == [second]


# -- 4. which authorities name professionals ----------------------------------------------------
def test_another_igcs_personnes_ca_names_nobody_unless_listed(psc, tmp_path, report):
    other = Operator(tmp_path / "other", "other.mssante.fr", "OTHER OPERATOR")
    out = tmp_path / "other-cps"
    other.ctl("pki", "issue", "personal", other.user, "--ps-idnat", TRAITANT[0], "--out", str(out))
    psc.certs["other-cps"] = (out / "auth-cert.pem", out / "auth-key.pem")
    bundle = tmp_path / "other-chain.pem"
    bundle.write_text(other.chain_and_crls())
    psc.ctl("pki", "trust", "add", str(bundle))
    psc.reload()
    # trusted (the TLS layer verifies it), but its PERSONNES CA is not ours: a feeding system
    status, _, body = request(psc, "GET", SEARCH, who="other-cps")
    assert status == 403 and "feeding credential" in diagnostics(body)
    assert request(psc, "GET", SEARCH, who="traitant")[0] == 200
    # listed: both IGCs' personal CAs name professionals
    path = psc.data / "mssd.toml"
    original = path.read_text()
    other_ca = other.data / "pki" / "personnes.crt"
    path.write_text(original + f'\n[dmp]\nprofessional_cas = ["pki/personnes.crt", "{other_ca}"]\n')
    try:
        psc.reload()
        status, _, body = request(psc, "GET", SEARCH, who="other-cps")
        assert status == 200 and report in ids(body)
        assert request(psc, "GET", SEARCH, who="traitant")[0] == 200
        # a list that leaves ours out: our own CPS no longer names anyone
        path.write_text(original + f'\n[dmp]\nprofessional_cas = ["{other_ca}"]\n')
        psc.reload()
        status, _, body = request(psc, "GET", SEARCH, who="traitant")
        assert status == 403 and "feeding credential" in diagnostics(body)
    finally:
        path.write_text(original)
        psc.reload()
    assert request(psc, "GET", SEARCH, who="traitant")[0] == 200


def test_a_subject_dn_names_an_authority_too(psc, report):
    from mssd_harness import certificate_subject
    ours = certificate_subject(psc.data / "pki" / "personnes.crt")
    path = psc.data / "mssd.toml"
    original = path.read_text()
    path.write_text(original + "\n[dmp]\nprofessional_cas = [" + json.dumps(ours) + "]\n")
    try:
        psc.reload()
        assert request(psc, "GET", SEARCH, who="traitant")[0] == 200
    finally:
        path.write_text(original)
        psc.reload()


def test_a_missing_ca_file_is_refused_at_reload(psc):
    path = psc.data / "mssd.toml"
    original = path.read_text()
    path.write_text(original + '\n[dmp]\nprofessional_cas = ["pki/nowhere.crt"]\n')
    try:
        psc.proc.send_signal(signal.SIGHUP)
        assert psc.wait_log("reload refused", timeout=60)
        assert request(psc, "GET", SEARCH, who="traitant")[0] == 200
    finally:
        path.write_text(original)
