"""The national directory through the real mssctl and the real submission listener: imports of the
extraction files and the whitelist, RCPT answers for listed, unlisted, non-whitelisted, withdrawn and
patient recipients while mssd runs, and bad files refused whole with the previous directory serving."""
import io
import pathlib
import smtplib
import sys
import zipfile

import pytest

from mssd_harness import GP, PASSWORD

# The published formats and key arithmetic, as the benchmark's generator writes them.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
from gen_directory import CORRESPONDANCE, rpps  # noqa: E402

LISTED = "helene.lefevre@chu-x.mssante.fr"
CARDIO = "cardiologie@chu-x.mssante.fr"
OUTSIDE = "dr.martin@clinique-hors-liste.fr"
UNLISTED = "inconnu@chu-x.mssante.fr"


def mailbox_row(kind, address, rpps_number=None, family="", given="", profession="", postcode="75013"):
    f = dict.fromkeys(CORRESPONDANCE, "")
    f.update({"Type de BAL": kind, "Adresse BAL": address, "Nom d'exercice": family, "Prénom d'exercice": given,
              "Libellé Profession": profession, "Code postal": postcode, "Raison Sociale structure BAL": "CHU X",
              "L6LIGNEACHEMINEMENT": "PARIS", "Pays": "FRANCE"})
    if rpps_number:
        f.update({"Type Identifiant PP": "8", "Identifiant PP": rpps_number,
                  "Identification nationale PP": "8" + rpps_number})
    return "|".join(f[c] for c in CORRESPONDANCE)


def extraction(rows, header=None):
    return ("|".join(header or CORRESPONDANCE) + "\r\n" + "".join(r + "\r\n" for r in rows)).encode()


BASE_ROWS = [
    mailbox_row("PER", LISTED, rpps(1), "LEFÈVRE", "Hélène", "Médecin", "75013"),
    mailbox_row("ORG", CARDIO, None, "", "", "", "75013"),
    mailbox_row("PER", OUTSIDE, rpps(2), "MARTIN", "Paul", "Infirmier", "69003"),
]

WHITELIST = """<?xml version="1.0" encoding="UTF-8"?>
<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
  <DateDeGeneration>2026-12-01T00:00:00</DateDeGeneration>
  <ListeDomaines>
    <Domaine><Nom>chu-x.mssante.fr</Nom><Description>CHU X</Description>
      <DNCertificatOperateur>CN=smtp-1.chu-x.fr,OU=1750048886,O=CHU X,ST=Paris (75),C=FR</DNCertificatOperateur>
      <ResponsableContact>rssi@chu-x.fr</ResponsableContact><SupportContact>support@chu-x.fr</SupportContact>
      <DateMAJ>2026-11-02</DateMAJ></Domaine>
    <Domaine><Nom>chu-x.mssante.fr</Nom><Description>CHU X</Description>
      <DNCertificatOperateur>CN=smtp-2.chu-x.fr,OU=1750048886,O=CHU X,ST=Paris (75),C=FR</DNCertificatOperateur>
      <ResponsableContact>rssi@chu-x.fr</ResponsableContact><SupportContact>support@chu-x.fr</SupportContact>
      <DateMAJ>2026-11-02</DateMAJ></Domaine>
  </ListeDomaines>
</ListeBlancheMSSante>
"""


@pytest.fixture(scope="module")
def listed(server, tmp_path_factory):
    """The running server with the base extraction and whitelist imported."""
    d = tmp_path_factory.mktemp("files")
    (d / "base.txt").write_bytes(extraction(BASE_ROWS))
    (d / "liste_blanche.xml").write_text(WHITELIST)
    out = server.ctl("directory", "import", str(d / "base.txt")).stdout.decode()
    assert "3 rows, 3 added, 0 changed, 0 withdrawn" in out
    out = server.ctl("directory", "whitelist", "import", str(d / "liste_blanche.xml")).stdout.decode()
    assert "2 added" in out
    server.files = d
    return server


def submit(server):
    c = smtplib.SMTP("127.0.0.1", server.submission, timeout=30)
    c.starttls(context=server.tls_context())
    c.login(GP, PASSWORD)
    assert c.mail(GP)[0] == 250
    return c


def rcpt(server, address):
    with submit(server) as c:
        code, text = c.rcpt(address)
    return code, text.decode()


def test_rcpt_answers_while_mssd_runs(listed):
    code, text = rcpt(listed, LISTED)  # relayed to its operator (test_relay.py follows it there)
    assert code == 250
    code, text = rcpt(listed, UNLISTED)
    assert (code, text[:5]) == (550, "5.1.1") and "not in the national health directory" in text
    code, text = rcpt(listed, OUTSIDE)  # listed, but its domain is not whitelisted
    assert (code, text[:5]) == (550, "5.7.1") and "outside the MSSante space of trust" in text
    code, text = rcpt(listed, "someone@gmail.com")
    assert (code, text[:5]) == (550, "5.7.1")
    assert rcpt(listed, GP)[0] == 250
    assert listed.wait_log(r"recipient refused .*not in the national health directory")


def test_patient_addresses_need_a_valid_ins(listed):
    code, text = rcpt(listed, "184127510804231@patient.mssante.fr")
    assert code == 250
    code, text = rcpt(listed, "184127510804232@patient.mssante.fr")
    assert (code, text[:5]) == (550, "5.1.1") and "INS" in text


def test_relay_port_still_refuses_listed_remote_recipients(listed):
    with smtplib.SMTP("127.0.0.1", listed.smtp, timeout=30) as c:
        c.ehlo("mx.labo-y.mssante.fr")
        assert c.mail("results@labo-y.mssante.fr")[0] == 250
        code, text = c.rcpt(LISTED)
        assert (code, text[:5]) == (554, b"5.7.1")


def test_status_and_search(listed):
    out = listed.ctl("directory", "status").stdout.decode()
    assert "correspondance: base.txt at " in out and "whitelist: liste_blanche.xml" in out
    assert "mailboxes 3 activities 0 whitelist 2 entries (1 domains)" in out
    out = listed.ctl("directory", "search", "--name", "lef").stdout.decode().splitlines()
    assert out == [f"{LISTED} PER 8{rpps(1)} Hélène LEFÈVRE Médecin CHU X"]
    assert listed.ctl("directory", "search", "--postcode", "69003").stdout.decode().startswith(OUTSIDE + " PER")
    assert listed.ctl("directory", "search", "--ps-idnat", "8" + rpps(2)).stdout.decode().startswith(OUTSIDE)
    assert listed.ctl("directory", "search", "--profession", "infirm").stdout.decode().startswith(OUTSIDE)
    out = listed.ctl("directory", "search", "--address", "cardio").stdout.decode()
    assert out == f"{CARDIO} ORG - - - CHU X\n"


def zipped(name, data, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        z.writestr(name, data)
    return buf.getvalue()


BAD_FILES = {
    "wrong_header.txt": extraction(BASE_ROWS[:1], ["Adresse mail"] + CORRESPONDANCE[1:]),
    "latin1.txt": extraction(BASE_ROWS).replace("LEFÈVRE".encode(), "LEFÈVRE".encode("latin-1")),
    "empty.txt": b"",
    "header_only.txt": extraction([]),
    "truncated.zip": zipped("Extraction_Correspondance_MSSante.txt", extraction(BASE_ROWS[:1]))[:-30],
    "nested.zip": zipped("inner.zip", zipped("Extraction_Correspondance_MSSante.txt", extraction(BASE_ROWS[:1]))),
    "bomb.zip": zipped("Extraction_Correspondance_MSSante.txt", extraction(BASE_ROWS[:1]) + b"\n" * (300 << 20)),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_extraction_refused_whole_previous_directory_serving(listed, name):
    path = listed.files / name
    path.write_bytes(BAD_FILES[name])
    before = listed.ctl("directory", "status").stdout
    r = listed.ctl("directory", "import", str(path), check=False)
    assert r.returncode == 1
    assert b"refused, the directory is unchanged" in r.stderr
    assert listed.ctl("directory", "status").stdout == before
    assert rcpt(listed, LISTED)[0] == 250


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines>
<Domaine><Nom>&lol3;.fr</Nom><DNCertificatOperateur>CN=x</DNCertificatOperateur></Domaine>
</ListeDomaines></ListeBlancheMSSante>"""

BAD_WHITELISTS = {
    "doctype.xml": WHITELIST.replace("<ListeBlancheMSSante ", "<!DOCTYPE ListeBlancheMSSante>\n<ListeBlancheMSSante ", 1),
    "laughs.xml": LAUGHS,
    "external.xml": LAUGHS.replace('<!ENTITY lol "lol">', '<!ENTITY lol SYSTEM "file:///etc/passwd">'),
    "broken.xml": WHITELIST[:300],
}


@pytest.mark.parametrize("name", sorted(BAD_WHITELISTS))
def test_bad_whitelist_refused_whole(listed, name):
    path = listed.files / name
    path.write_text(BAD_WHITELISTS[name])
    r = listed.ctl("directory", "whitelist", "import", str(path), check=False)
    assert r.returncode == 1 and b"refused, the whitelist is unchanged" in r.stderr
    assert b"whitelist 2 entries (1 domains)" in listed.ctl("directory", "status").stdout
    assert rcpt(listed, LISTED)[0] == 250


def test_bad_rows_reported_by_line_the_rest_imported_zip_too(listed):
    bad_luhn = mailbox_row("PER", "faux@chu-x.mssante.fr", rpps(3)[:-1] + str((int(rpps(3)[-1]) + 1) % 10))
    rows = BASE_ROWS + [bad_luhn, BASE_ROWS[0], mailbox_row("PER", "pas une adresse", rpps(4))]
    path = listed.files / "Extraction_Correspondance_MSSante_202612010000.zip"
    path.write_bytes(zipped("Extraction_Correspondance_MSSante_202612010000.txt", extraction(rows)))
    r = listed.ctl("directory", "import", str(path))
    err = r.stderr.decode()
    assert "line 5: PS_IdNat: the RPPS number's check digit is wrong" in err
    assert "line 6: duplicate mailbox address" in err
    assert "line 7: \"pas une adresse\" is not a mailbox address" in err
    assert "6 rows, 0 added, 0 changed, 0 withdrawn, 3 unchanged, 3 bad rows set aside" in r.stdout.decode()


def test_incremental_withdrawal_takes_effect_at_once(listed):
    with submit(listed) as c:  # a session open before the import
        assert c.rcpt(LISTED)[0] == 250
        changed = mailbox_row("ORG", CARDIO, None, "", "", "", "75014")
        path = listed.files / "next.txt"
        path.write_bytes(extraction([changed, BASE_ROWS[2]]))
        out = listed.ctl("directory", "import", str(path)).stdout.decode()
        assert "2 rows, 0 added, 1 changed, 1 withdrawn, 1 unchanged" in out
        code, text = c.rcpt(LISTED)
        assert (code, text[:5]) == (550, b"5.1.1")
        assert c.rcpt(CARDIO)[0] == 250
    assert listed.ctl("directory", "search", "--address", "cardio").stdout.decode().startswith(CARDIO)


def test_export_our_mailboxes(listed):
    path = listed.files / "export.txt"
    out = listed.ctl("directory", "export", str(path)).stdout.decode()
    lines = path.read_bytes().decode().split("\r\n")
    assert lines[0] == "|".join(CORRESPONDANCE)
    assert f"PER|{GP}|8|10001045367|810001045367" + "|" * 26 in lines
    assert f"exported {len(lines) - 2} mailboxes" in out
    # What we publish, the national directory's format reads back.
    r = listed.ctl("directory", "import", str(path), check=False)
    assert r.returncode == 0, r.stderr
