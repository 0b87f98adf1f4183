"""The directory's FHIR look-ups against the real mssd over TLS, with curl and Python's http.client:
a generated extraction plus our own accounts imported by the real mssctl, then searches by each
parameter, _include/_revinclude, paging across three pages by following next links, the liste
rouge hidden from search, read and _include (and set by mssctl), the S/MIME encryption certificate
of one of our addresses, who may ask (401 with a challenge, a wrong password, an IGC client
certificate), and bad parameters answered with an OperationOutcome."""
import base64
import http.client
import json
import pathlib
import random
import subprocess
import sys
import urllib.parse

import pytest

from mssd_harness import DOCTOR, GP, PASSWORD, Server

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
from gen_directory import CORRESPONDANCE, Person, activity_row  # noqa: E402

GP_IDNAT = "810001045367"
DOCTOR_IDNAT = "810002567773"
ORG_BOX = "secretariat-cardio@chu-x.mssante.fr"
METADATA = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
SMIME = "urn:mssd:fhir:StructureDefinition:mailbox-smime-certificate"


def org_row(address, structure):
    f = dict.fromkeys(CORRESPONDANCE, "")
    f.update({"Type de BAL": "ORG", "Adresse BAL": address, "Type identifiant structure": "1",
              "Identification Structure": structure, "Service de rattachement": "Cardiologie",
              "Raison Sociale structure BAL": "CHU X", "Code postal": "75013", "Pays": "FRANCE"})
    return "|".join(f[c] for c in CORRESPONDANCE)


@pytest.fixture(scope="module")
def fhir(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd-fhir"))
    s.init()
    s.add_standard_accounts()
    certs = tmp_path_factory.mktemp("gp-certs")
    s.ctl("pki", "issue", "personal", GP, "--ps-idnat", GP_IDNAT, "--out", str(certs))
    gen = tmp_path_factory.mktemp("extraction")
    subprocess.run([sys.executable, str(pathlib.Path(__file__).resolve().parents[2] / "bench" / "gen_directory.py"),
                    str(gen), "--activities", "150", "--mailboxes", "60", "--change", "0"], check=True, timeout=120)
    ours = gen / "ours.txt"
    s.ctl("directory", "export", str(ours))
    own_rows = ours.read_text(encoding="utf-8").splitlines()[1:]
    corr = gen / "Extraction_Correspondance_MSSante.txt"
    with open(corr, "a", encoding="utf-8", newline="") as out:
        for row in own_rows + [org_row(ORG_BOX, "1750000010")]:
            out.write(row + "\r\n")
    # Two activities of our GP (RPPS 1000104536 + key), so that it has roles.
    gp = Person(random.Random(7), 104536)
    assert "8" + gp.rpps == GP_IDNAT
    with open(gen / "PS_LibreAcces_Personne_activite.txt", "a", encoding="utf-8", newline="") as out:
        for k in (0, 1):
            out.write(activity_row(random.Random(7), gp, k) + "\r\n")
    s.ctl("directory", "import", str(gen / "PS_LibreAcces_Personne_activite.txt"))
    s.ctl("directory", "import", str(corr))
    s.start()
    s.gen = gen
    yield s
    s.stop()


def basic(user=GP, password=PASSWORD):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(server, path, auth=True, headers=None, cert=None, key=None):
    conn = http.client.HTTPSConnection("127.0.0.1", server.https, context=server.tls_context(cert, key), timeout=60)
    h = dict(headers or {})
    if auth:
        h["Authorization"] = basic()
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), json.loads(body) if body else None


def search(server, path):
    status, headers, body = get(server, path)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/fhir+json")
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


def matches(bundle, mode="match"):
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def telecom_values(resource):
    return [t["value"] for t in resource.get("telecom", [])]


def next_link(bundle):
    return next((l["url"] for l in bundle["link"] if l["relation"] == "next"), None)


def test_metadata_lists_what_is_supported(fhir):
    status, _, body = get(fhir, "/fhir/metadata", auth=False)
    assert status == 200
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(types) == {"Practitioner", "PractitionerRole", "Organization"}
    assert "mailbox-mss" in [p["name"] for p in types["Practitioner"]["searchParam"]]


def test_practitioner_by_identifier_carries_mailbox_and_certificate(fhir):
    for query in (f"identifier={GP_IDNAT}",
                  "identifier=" + urllib.parse.quote(f"urn:oid:1.2.250.1.71.4.2.1|{GP_IDNAT}"),
                  "identifier=" + urllib.parse.quote(f"https://rpps.esante.gouv.fr|{GP_IDNAT[1:]}")):
        bundle = search(fhir, f"/fhir/Practitioner?{query}")
        assert bundle["total"] == 1, query
    p = matches(bundle)[0]
    assert p["id"] == GP_IDNAT
    assert "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-practitioner" in p["meta"]["profile"]
    assert {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": GP_IDNAT}.items() <= p["identifier"][0].items()
    assert p["identifier"][1]["system"] == "https://rpps.esante.gouv.fr"
    telecom = p["telecom"][0]
    assert telecom["system"] == "email" and telecom["value"] == GP
    ext = {e["url"]: e for e in telecom["extension"]}
    meta = {e["url"]: e for e in ext[METADATA]["extension"]}
    assert meta["type"]["valueCodeableConcept"]["coding"][0]["code"] == "PER"
    assert meta["listeRouge"]["valueBoolean"] is False
    cert = {e["url"]: e for e in ext[SMIME]["extension"]}
    assert cert["use"]["valueCode"] == "encryption"
    pem = cert["certificate"]["valueString"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    # It is a real certificate for that address, usable to encrypt (openssl reads it).
    out = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName,keyUsage"], input=pem.encode(),
                         capture_output=True, timeout=30)
    assert out.returncode == 0 and GP.encode() in out.stdout
    # A mailbox without a certificate has no such extension.
    d = matches(search(fhir, f"/fhir/Practitioner?identifier={DOCTOR_IDNAT}"))[0]
    assert SMIME not in [e["url"] for e in d["telecom"][0]["extension"]]


def test_searches_by_name_family_given_mailbox_and_postcode(fhir):
    by_family = search(fhir, "/fhir/Practitioner?family=martin&_count=200")
    assert by_family["total"] >= 1
    assert all(any(n["family"].lower().startswith("martin") for n in p["name"]) for p in matches(by_family))
    assert search(fhir, "/fhir/Practitioner?given=jean&family=martin")["total"] <= by_family["total"]
    assert search(fhir, "/fhir/Practitioner?name=mart&_count=1")["total"] >= by_family["total"]
    exact = search(fhir, "/fhir/Practitioner?mailbox-mss=" + urllib.parse.quote(GP.upper()))
    assert [p["id"] for p in matches(exact)] == [GP_IDNAT]
    contains = search(fhir, "/fhir/Practitioner?mailbox-mss:contains=.mssante.fr&_count=200")
    assert contains["total"] >= 60
    per = search(fhir, "/fhir/Practitioner?mailbox-mss-type=PER&_count=1")
    assert per["total"] == contains["total"]
    orgs = search(fhir, "/fhir/Organization?mailbox-mss-type=ORG")
    assert [o["id"] for o in matches(orgs)] == ["1750000010"]
    assert ORG_BOX in telecom_values(matches(orgs)[0])
    assert "1750000010" in [o["id"] for o in matches(search(fhir, "/fhir/Organization?identifier=1750000010"))]
    postal = search(fhir, "/fhir/Organization?address-postalcode=75013&_count=1")
    assert postal["total"] >= 2


def test_include_and_revinclude(fhir):
    doctor = matches(search(fhir, "/fhir/Practitioner?family=martin&_count=1"))[0]["id"]
    roles = search(fhir, f"/fhir/PractitionerRole?practitioner=Practitioner/{doctor}"
                         "&_include=PractitionerRole:practitioner&_include=PractitionerRole:organization")
    assert roles["total"] >= 1
    role = matches(roles)[0]
    assert role["practitioner"]["reference"] == f"Practitioner/{doctor}"
    included = {(r["resourceType"], r["id"]) for r in matches(roles, "include")}
    assert ("Practitioner", doctor) in included
    assert ("Organization", role["organization"]["reference"].split("/")[1]) in included
    rev = search(fhir, f"/fhir/Practitioner?_id={doctor}&_revinclude=PractitionerRole:practitioner")
    assert {r["id"] for r in matches(rev, "include")} == {r["id"] for r in matches(roles)}
    status, _, read = get(fhir, f"/fhir/PractitionerRole/{role['id']}")
    assert status == 200 and read["id"] == role["id"]


def test_paging_follows_next_links_across_three_pages(fhir):
    first = search(fhir, "/fhir/Practitioner?mailbox-mss:contains=mssante&_count=25")
    total = first["total"]
    assert 50 < total <= 75, total  # 60 generated mailboxes and ours: three pages of 25
    seen, bundle, pages = [], first, 0
    while bundle:
        pages += 1
        seen += [p["id"] for p in matches(bundle)]
        url = next_link(bundle)
        if not url:
            break
        parsed = urllib.parse.urlsplit(url)
        assert parsed.scheme == "https" and parsed.path == "/fhir/Practitioner"
        bundle = search(fhir, f"{parsed.path}?{parsed.query}")
        assert any(l["relation"] == "previous" for l in bundle["link"])
    assert pages == 3
    assert len(seen) == total == len(set(seen))
    assert seen == sorted(seen)


def test_liste_rouge_hidden_everywhere_and_kept_across_imports(fhir):
    r = fhir.ctl("directory", "liste-rouge", "inconnu@test.mssante.fr", "on", check=False)
    assert r.returncode == 1 and b"not one of this server's accounts" in r.stderr
    fhir.ctl("directory", "liste-rouge", DOCTOR, "on")
    try:
        for path in (f"/fhir/Practitioner?identifier={DOCTOR_IDNAT}",
                     "/fhir/Practitioner?mailbox-mss=" + urllib.parse.quote(DOCTOR),
                     "/fhir/Practitioner?mailbox-mss:contains=marie.martin"):
            assert search(fhir, path)["total"] == 0, path
        status, _, body = get(fhir, f"/fhir/Practitioner/{DOCTOR_IDNAT}")
        assert status == 404 and body["resourceType"] == "OperationOutcome"
        # A re-import of the same extraction keeps the mark.
        fhir.ctl("directory", "import", str(fhir.gen / "Extraction_Correspondance_MSSante.txt"))
        assert search(fhir, f"/fhir/Practitioner?identifier={DOCTOR_IDNAT}")["total"] == 0
    finally:
        fhir.ctl("directory", "liste-rouge", DOCTOR, "off")
    assert search(fhir, f"/fhir/Practitioner?identifier={DOCTOR_IDNAT}")["total"] == 1


def test_liste_rouge_hidden_from_include(fhir):
    # Our GP has roles: once its mailbox is marked, the Practitioner stays (RPPS data is public) but
    # its mailbox is gone from search, read and _include.
    fhir.ctl("directory", "liste-rouge", GP, "on")
    try:
        roles = search(fhir, f"/fhir/PractitionerRole?practitioner={GP_IDNAT}&_include=PractitionerRole:practitioner")
        assert roles["total"] == 2
        included = [r for r in matches(roles, "include") if r["resourceType"] == "Practitioner"]
        assert [p["id"] for p in included] == [GP_IDNAT]
        assert GP not in telecom_values(included[0])
        status, _, read = get(fhir, f"/fhir/Practitioner/{GP_IDNAT}")
        assert status == 200 and GP not in telecom_values(read)
        assert search(fhir, "/fhir/PractitionerRole?mailbox-mss=" + urllib.parse.quote(GP))["total"] == 0
        assert search(fhir, "/fhir/Practitioner?mailbox-mss=" + urllib.parse.quote(GP))["total"] == 0
    finally:
        fhir.ctl("directory", "liste-rouge", GP, "off")
    assert search(fhir, "/fhir/PractitionerRole?mailbox-mss=" + urllib.parse.quote(GP))["total"] == 2


def test_anonymous_refused_with_a_challenge(fhir):
    status, headers, body = get(fhir, "/fhir/Practitioner?family=martin", auth=False)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic realm=")
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "login"
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(fhir.trust),
                        f"https://127.0.0.1:{fhir.https}/fhir/Practitioner?family=martin"],
                       capture_output=True, timeout=60)
    assert r.stdout == b"401"


def test_wrong_password_refused(fhir):
    status, _, body = get(fhir, "/fhir/Practitioner?family=martin", auth=False,
                          headers={"Authorization": basic(DOCTOR, "wrong-password")})
    assert status == 401 and body["resourceType"] == "OperationOutcome"


def test_password_with_curl(fhir):
    r = subprocess.run(["curl", "-sS", "--cacert", str(fhir.trust), "-u", f"{GP}:{PASSWORD}",
                        f"https://127.0.0.1:{fhir.https}/fhir/Practitioner?identifier={GP_IDNAT}"],
                       capture_output=True, timeout=60)
    assert json.loads(r.stdout)["total"] == 1


def test_client_certificate_of_the_igc_accepted(fhir):
    lab = fhir.lab_dir
    status, _, body = get(fhir, f"/fhir/Practitioner?identifier={GP_IDNAT}", auth=False,
                          cert=lab / "cert.pem", key=lab / "key.pem")
    assert status == 200 and body["total"] == 1
    r = subprocess.run(["curl", "-sS", "--cacert", str(fhir.trust), "--cert", str(lab / "cert.pem"),
                        "--key", str(lab / "key.pem"),
                        f"https://127.0.0.1:{fhir.https}/fhir/Organization?identifier=1750000010"],
                       capture_output=True, timeout=60)
    assert json.loads(r.stdout)["total"] == 1


def test_bad_parameters_answered_with_operation_outcome(fhir):
    for path in ("/fhir/Practitioner?_count=many", "/fhir/Practitioner?family:contains=x",
                 "/fhir/Practitioner?mailbox-mss-type=XYZ", "/fhir/Practitioner?family=%zz",
                 "/fhir/Practitioner?_offset=999999"):
        status, _, body = get(fhir, path)
        assert status == 400, path
        assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "invalid"
    # Unknown parameters: ignored by default (said in an outcome entry), refused when strict.
    bundle = search(fhir, "/fhir/Practitioner?colour=blue&identifier=" + GP_IDNAT)
    assert bundle["total"] == 1
    assert bundle["entry"][-1]["search"]["mode"] == "outcome"
    status, _, body = get(fhir, "/fhir/Practitioner?colour=blue", headers={"Prefer": "handling=strict"})
    assert status == 400 and "colour" in body["issue"][0]["diagnostics"]
    status, _, body = get(fhir, "/fhir/Practitioner/000000000000")
    assert status == 404 and body["issue"][0]["code"] == "not-found"
    status, _, body = get(fhir, "/fhir/Patient?name=x")
    assert status == 404 and body["resourceType"] == "OperationOutcome"


def test_anonymous_allowed_when_configured(fresh):
    toml = fresh.data / "mssd.toml"
    toml.write_text(toml.read_text().replace("fhir_anonymous = false", "fhir_anonymous = true"))
    fresh.start()
    status, _, body = get(fresh, f"/fhir/Practitioner?identifier={GP_IDNAT}", auth=False)
    assert status == 200 and body["total"] == 0  # nothing imported in this data directory
