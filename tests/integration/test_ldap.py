"""The directory served over LDAPv3 by a private slapd (Debian's OpenLDAP) that mssctl feeds: a bulk
load of `mssctl directory ldap export` with slapadd, address-book searches with ldapsearch as
Thunderbird makes them, increments after each import and each encryption certificate, slapd down
during an import then `ldap sync` converging, and search terms or addresses that try to change a
filter or a DN."""
import base64
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import sys
import time

import pytest

from mssd_harness import GP, Server

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
from gen_directory import CORRESPONDANCE, rpps  # noqa: E402

pytestmark = pytest.mark.skipif(not shutil.which("slapd") and not os.path.exists("/usr/sbin/slapd"),
                                reason="slapd (Debian package slapd) is not installed")

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
BASE = "ou=mssante,dc=example,dc=org"
ROOT_DN = f"cn=feeder,{BASE}"
ROOT_PW = "feeder-secret"

HELENE = "helene.lefevre@chu-x.mssante.fr"
CARDIO = "cardiologie@chu-x.mssante.fr"
PAUL = "paul.martin@chu-x.mssante.fr"
TRICKY = "a+b=c#d'*x@chu-x.mssante.fr"     # + = # are atext: legal in an address, special in a DN
NEWCOMER = "zoe.noel@chu-x.mssante.fr"
LATE = "late.comer@chu-x.mssante.fr"


def mailbox_row(kind, address, rpps_number=None, family="", given="", profession="", postcode="75013", service=""):
    f = dict.fromkeys(CORRESPONDANCE, "")
    f.update({"Type de BAL": kind, "Adresse BAL": address, "Nom d'exercice": family, "Prénom d'exercice": given,
              "Libellé Profession": profession, "Code postal": postcode, "Raison Sociale structure BAL": "CHU X",
              "Service de rattachement": service, "L6LIGNEACHEMINEMENT": "PARIS", "Pays": "FRANCE"})
    if rpps_number:
        f.update({"Type Identifiant PP": "8", "Identifiant PP": rpps_number,
                  "Identification nationale PP": "8" + rpps_number})
    return "|".join(f[c] for c in CORRESPONDANCE)


def extraction(rows):
    return ("|".join(CORRESPONDANCE) + "\r\n" + "".join(r + "\r\n" for r in rows)).encode()


BASE_ROWS = [
    mailbox_row("PER", HELENE, rpps(1), "LEFÈVRE", "Hélène", "Médecin"),
    mailbox_row("ORG", CARDIO, None, "", "", "", service="Cardiologie"),
    mailbox_row("PER", PAUL, rpps(2), "MARTIN", "Paul", "Infirmier", "69003"),
    mailbox_row("PER", GP, rpps(3), "DUPONT", "Jean", "Médecin"),
    mailbox_row("PER", TRICKY, rpps(4), "STAR*)(MAIL=*", "Back\\slash", "Médecin"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    """A private slapd: its own slapd.conf, mdb database and port on 127.0.0.1."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        (root / "db").mkdir(parents=True)
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.conf = root / "slapd.conf"
        self.conf.write_text(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {root}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PW}
directory {root}/db
maxsize 1073741824
index mail,cn,sn,givenName eq,sub
""")
        self.proc = None

    def slapadd(self, ldif):
        r = subprocess.run([SLAPADD, "-f", str(self.conf), "-l", str(ldif)], capture_output=True, timeout=300)
        assert r.returncode == 0, r.stderr.decode(errors="replace")

    def start(self):
        self.proc = subprocess.Popen([SLAPD, "-f", str(self.conf), "-h", self.url + "/", "-d", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            r = subprocess.run(["ldapsearch", "-x", "-H", self.url, "-b", "", "-s", "base", "-LLL"],
                               capture_output=True, timeout=30)
            if r.returncode == 0:
                return
            assert self.proc.poll() is None, "slapd exited"
            time.sleep(0.2)
        raise AssertionError("slapd did not answer within 60 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        self.proc = None

    def search(self, ldap_filter, *attributes, base=BASE, scope="sub"):
        """Entries as {attribute: [values]} (values as bytes), by ldapsearch, anonymous, as a mail client."""
        r = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", self.url, "-b", base, "-s", scope,
                            ldap_filter, *attributes], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        entries = []
        for block in r.stdout.decode().split("\n\n"):
            entry = {}
            for line in block.splitlines():
                if line.startswith("#") or not line:
                    continue
                name, _, value = line.partition(":")
                raw = base64.b64decode(value[2:]) if value.startswith(":") else value[1:].encode()
                entry.setdefault(name, []).append(raw)
            if entry:
                entries.append(entry)
        return entries

    def mails(self, ldap_filter=f"(objectClass=inetOrgPerson)"):
        return sorted(v.decode() for e in self.search(ldap_filter, "mail") for v in e.get("mail", []))


def thunderbird(term):
    return f"(|(mail=*{term}*)(cn=*{term}*)(sn=*{term}*)(givenName=*{term}*))"


def feed_to(server, slapd):
    (server.data / "ldap.secret").write_text(ROOT_PW + "\n")
    with open(server.data / "mssd.toml", "a") as f:
        f.write(f'\n[ldap]\nurl = "{slapd.url}"\nbind_dn = "{ROOT_DN}"\npassword_file = "ldap.secret"\n'
                f'base_dn = "{BASE}"\ntimeout = 20\n')


def first_der(pem):
    """The DER of the first certificate of a PEM text (a leaf then its chain)."""
    end = "-----END CERTIFICATE-----"
    first = pem[pem.index("-----BEGIN CERTIFICATE-----"):pem.index(end) + len(end)]
    return ssl.PEM_cert_to_DER_cert(first + "\n")


def der_of(pem_file):
    return first_der(pathlib.Path(pem_file).read_text())


def certificates_of(entry):
    """The certificate an entry publishes, checked in both forms: userCertificate;binary (DER) and
    userSMIMECertificate (a certs-only PKCS#7 whose first certificate, read by openssl, is the same)."""
    [der] = entry["userCertificate;binary"]
    [pkcs7] = entry["userSMIMECertificate"]
    r = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs"], input=pkcs7, capture_output=True,
                       timeout=30, check=True)
    assert first_der(r.stdout.decode()) == der
    return der


CERTS = ("userCertificate;binary", "userSMIMECertificate")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """mssctl's data directory with the base extraction, one encryption certificate issued before the
    bulk load, and a slapd loaded from the export, running and configured as the feed's target."""
    root = tmp_path_factory.mktemp("ldap")
    server = Server(root / "data")
    server.init()
    server.add_standard_accounts()
    (root / "base.txt").write_bytes(extraction(BASE_ROWS))
    out = server.ctl("directory", "import", str(root / "base.txt")).stdout.decode()
    assert "5 rows, 5 added" in out
    server.ctl("pki", "issue", "personal", GP, "--ps-idnat", "8" + rpps(3), "--out", str(root / "gp"))
    out = server.ctl("directory", "ldap", "export", str(root / "bulk.ldif"), "--base-dn", BASE).stdout.decode()
    assert "exported 5 entries" in out and "1 with an S/MIME certificate" in out
    slapd = Slapd(root / "slapd")
    slapd.slapadd(root / "bulk.ldif")
    slapd.start()
    feed_to(server, slapd)
    server.root, server.slapd = root, slapd
    yield server
    slapd.stop()


def test_bulk_load_answers_address_book_searches(world):
    slapd = world.slapd
    assert world.slapd.mails() == sorted([HELENE, CARDIO, PAUL, GP, TRICKY])
    # What Thunderbird sends for a typed term: any of mail, cn, sn, givenName containing it.
    assert slapd.mails(thunderbird("lefe")) == [HELENE]          # sn LEFÈVRE: slapd matches without case
    assert slapd.mails(thunderbird("Hélène")) == [HELENE]        # givenName, UTF-8 from base64 LDIF
    assert slapd.mails(thunderbird("cardio")) == [CARDIO]        # mail and cn (the service)
    assert slapd.mails(thunderbird("paul")) == [PAUL]
    assert slapd.mails(f"(mail={PAUL})") == [PAUL]
    assert slapd.mails("(sn=DUPONT)") == [GP]
    [helene] = slapd.search(f"(mail={HELENE})")
    assert helene["cn"] == ["Hélène LEFÈVRE".encode()] and helene["sn"] == ["LEFÈVRE".encode()]
    assert helene["employeeNumber"] == [("8" + rpps(1)).encode()] and helene["postalCode"] == [b"75013"]
    assert helene["title"] == ["Médecin".encode()] and helene["o"] == [b"CHU X"]
    assert b"inetOrgPerson" in helene["objectClass"]
    [cardio] = slapd.search(f"(mail={CARDIO})")
    assert cardio["cn"] == [b"Cardiologie"] and cardio["employeeType"] == [b"ORG"]


def test_bulk_load_serves_the_encryption_certificate_mssctl_issued(world):
    [gp] = world.slapd.search(f"(mail={GP})", *CERTS)
    assert certificates_of(gp) == der_of(world.root / "gp" / "enc-cert.pem")
    [helene] = world.slapd.search(f"(mail={HELENE})", *CERTS)
    assert not set(CERTS) & set(helene)


def test_incremental_import_shows_added_changed_withdrawn_at_once(world):
    rows = [r for r in BASE_ROWS if PAUL not in r]                      # withdrawn
    rows[0] = mailbox_row("PER", HELENE, rpps(1), "LEFÈVRE-NOËL", "Hélène", "Médecin", "75014")  # changed
    rows.append(mailbox_row("PER", NEWCOMER, rpps(5), "NOËL", "Zoé", "Sage-Femme"))             # added
    (world.root / "next.txt").write_bytes(extraction(rows))
    r = world.ctl("directory", "import", str(world.root / "next.txt"))
    out = r.stdout.decode()
    assert "1 added, 1 changed, 1 withdrawn" in out
    assert "2 entries written, 1 removed" in out
    slapd = world.slapd
    assert slapd.mails() == sorted([HELENE, CARDIO, GP, TRICKY, NEWCOMER])
    [helene] = slapd.search(f"(mail={HELENE})")
    assert helene["sn"] == ["LEFÈVRE-NOËL".encode()] and helene["postalCode"] == [b"75014"]
    assert slapd.mails(thunderbird("zoé")) == [NEWCOMER]
    assert slapd.mails(thunderbird("paul")) == []
    assert b"mailbox changes not yet sent to LDAP 0" in world.ctl("directory", "status").stdout


def test_certificate_registered_later_is_published(world):
    out = world.ctl("pki", "issue", "personal", HELENE, "--ps-idnat", "8" + rpps(1),
                    "--out", str(world.root / "helene")).stdout.decode()
    assert "1 entries written" in out
    [helene] = world.slapd.search(f"(mail={HELENE})", *CERTS)
    assert certificates_of(helene) == der_of(world.root / "helene" / "enc-cert.pem")
    # Replaced by `smime import`: the entry carries the new one only.
    world.ctl("pki", "issue", "organisation", "--name", "CHU X", "--finess", "010000001", "--address", HELENE,
              "--kind", "encryption", "--out", str(world.root / "helene2"))
    [helene] = world.slapd.search(f"(mail={HELENE})", *CERTS)
    assert certificates_of(helene) == der_of(world.root / "helene2" / "cert.pem")


def test_slapd_down_during_an_import_then_sync_converges(world):
    slapd = world.slapd
    slapd.stop()
    rows = [mailbox_row("PER", HELENE, rpps(1), "LEFÈVRE-NOËL", "Hélène", "Médecin", "75014"),
            mailbox_row("ORG", CARDIO, None, "", "", "", service="Cardiologie"),
            mailbox_row("PER", GP, rpps(3), "DUPONT", "Jean", "Médecin généraliste"),
            mailbox_row("PER", TRICKY, rpps(4), "STAR*)(MAIL=*", "Back\\slash", "Médecin"),
            mailbox_row("PER", LATE, rpps(6), "TARDIF", "Léon", "Médecin")]  # NEWCOMER withdrawn, LATE added
    (world.root / "down.txt").write_bytes(extraction(rows))
    r = world.ctl("directory", "import", str(world.root / "down.txt"), check=False)
    assert r.returncode == 2, r.stderr
    assert "1 added, 1 changed, 1 withdrawn" in r.stdout.decode()     # the directory has it all the same
    err = r.stderr.decode()
    assert "LDAP feed" in err and "3 mailbox changes left pending" in err
    assert b"mailbox changes not yet sent to LDAP 3" in world.ctl("directory", "status").stdout
    sync = world.ctl("directory", "ldap", "sync", check=False)
    assert sync.returncode == 1 and b"left pending" in sync.stderr
    slapd.start()
    out = world.ctl("directory", "ldap", "sync").stdout.decode()
    assert "2 entries written, 1 removed" in out
    assert slapd.mails() == sorted([HELENE, CARDIO, GP, TRICKY, LATE])
    [gp] = slapd.search(f"(mail={GP})", "title", *CERTS)
    assert gp["title"] == ["Médecin généraliste".encode()]
    assert certificates_of(gp) == der_of(world.root / "gp" / "enc-cert.pem")
    assert b"mailbox changes not yet sent to LDAP 0" in world.ctl("directory", "status").stdout
    # Converged: a second sync has nothing to send.
    assert "0 entries written, 0 removed" in world.ctl("directory", "ldap", "sync").stdout.decode()


def test_dn_specials_in_an_address_make_one_entry_named_by_it(world):
    [tricky] = world.slapd.search("(mail=a+b=c#d'\\2ax@chu-x.mssante.fr)", "mail")
    assert tricky["mail"] == [TRICKY.encode()]
    # One RDN of one value (slapd shows '+' and '=' in hex), directly under the base.
    assert tricky["dn"] == [f"mail=a\\2Bb\\3Dc#d'*x@chu-x.mssante.fr,{BASE}".encode()]
    [same] = world.slapd.search("(objectClass=*)", "mail", base=f"mail=a\\+b\\=c#d'*x@chu-x.mssante.fr,{BASE}",
                                scope="base")
    assert same["mail"] == [TRICKY.encode()]


@pytest.mark.parametrize("term, expected", [
    ("*", [TRICKY]),                  # a literal star: only TRICKY's address and surname hold one
    ("*)(mail=*", [TRICKY]),          # unescaped it would match every entry; escaped, the surname holding it
    ("*)(objectClass=*", []),
    ("(", [TRICKY]),
    ("back\\slash", [TRICKY]),
    ("\\2a", []),                     # an escape typed by the user stays text (unescaped: a star, TRICKY)
    ("x\x01y", []),
    ("LEFÈVRE", [HELENE]),
])
def test_search_terms_cannot_change_the_filter(world, term, expected):
    r = world.ctl("directory", "ldap", "search", term)
    assert sorted(line.split(" ")[0] for line in r.stdout.decode().splitlines()) == expected


def test_liste_rouge_mark_takes_the_entry_out_of_the_address_book_at_once(world):
    """`mssctl directory liste-rouge` on one of our users: slapd drops the entry without a sync, the
    bulk export leaves it out, and the mark taken off brings it back."""
    slapd = world.slapd
    assert GP in slapd.mails()
    out = world.ctl("directory", "liste-rouge", GP, "on").stdout.decode()
    assert "liste rouge on" in out and "1 removed" in out
    assert GP not in slapd.mails() and slapd.mails(thunderbird("dupont")) == []
    world.ctl("directory", "ldap", "export", str(world.root / "red.ldif"), "--base-dn", BASE, "--keep-changes")
    assert f"mail={GP}".encode() not in (world.root / "red.ldif").read_bytes()
    world.ctl("directory", "liste-rouge", GP, "off")
    assert GP in slapd.mails()
    assert "0 entries written, 0 removed" in world.ctl("directory", "ldap", "sync").stdout.decode()
