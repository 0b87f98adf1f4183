"""Starts the real mssd on free loopback ports with a fresh data directory made by the real mssctl,
and gives tests its ports, its log and the test IGC. Shared by the integration tests and bench/."""
import os
import pathlib
import re
import signal
import ssl
import subprocess
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MSSD_BUILD", ROOT / "build"))
MSSD = BUILD / "mssd"
MSSCTL = BUILD / "mssctl"
DOMAIN = "test.mssante.fr"
PASSWORD = "s3cret-Passw0rd"

GP = f"jean.dupont@{DOMAIN}"
DOCTOR = f"marie.martin@{DOMAIN}"
SECRETARY = f"secretariat@{DOMAIN}"
PRACTICE = f"cabinet@{DOMAIN}"
LAB = f"labo-resultats@{DOMAIN}"
RETIRED = f"ancien@{DOMAIN}"


class Server:
    def __init__(self, data: pathlib.Path):
        self.data = data
        self.proc = None
        self.ports = {}
        self.log = []
        self._reader = None

    # -- operator interface -------------------------------------------------------------------
    def ctl(self, *args, input=None, check=True):
        r = subprocess.run([str(MSSCTL), "--data", str(self.data), *args], input=input,
                           capture_output=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"mssctl {' '.join(args)} failed: {r.stderr.decode(errors='replace')}")
        return r

    def init(self, **settings):
        self.ctl("init", "--domain", DOMAIN)
        self.configure(password_scrypt_log_n=12, **settings)
        # Most tests deliver on the relay port from stand-in domains outside any whitelist.
        self.configure(section="relay", unlisted_senders="accept")

    def configure(self, section=None, **settings):
        """Rewrites `key = value` lines of mssd.toml (every key is on its own line there), within the
        [section] table when one is named (a key such as max_connections is in several tables)."""
        path = self.data / "mssd.toml"
        text = path.read_text()
        start, end = 0, len(text)
        if section:
            start = text.index(f"\n[{section}]\n")
            following = re.search(r"^\[", text[start + 2:], flags=re.M)
            end = start + 2 + following.start() if following else len(text)
        part = text[start:end]
        for key, value in settings.items():
            rendered = f'"{value}"' if isinstance(value, str) else str(value)
            part, n = re.subn(rf"^{key} = .*$", f"{key} = {rendered}", part, flags=re.M)
            assert n == 1, f"no key {key}, or more than one, in mssd.toml{f' [{section}]' if section else ''}"
        path.write_text(text[:start] + part + text[end:])

    def add_standard_accounts(self):
        pw = (PASSWORD + "\n").encode()
        self.ctl("account", "add", GP, "--kind", "personal", "--ps-idnat", "810001045367",
                 "--password-stdin", input=pw)
        self.ctl("account", "add", DOCTOR, "--kind", "personal", "--ps-idnat", "810002567773",
                 "--password-stdin", input=pw)
        self.ctl("account", "add", SECRETARY, "--kind", "personal", "--password-stdin", input=pw)
        self.ctl("account", "add", RETIRED, "--kind", "personal", "--password-stdin", input=pw)
        self.ctl("account", "disable", RETIRED)
        self.ctl("account", "add", PRACTICE, "--kind", "organisational")
        self.ctl("account", "member", "add", PRACTICE, GP, "--rights", "lrswipkxtea0")
        self.ctl("account", "member", "add", PRACTICE, SECRETARY, "--rights", "lrsw")
        self.ctl("pki", "issue", "organisation", "--name", "LABO TEST", "--finess", "010000001",
                 "--address", LAB, "--out", str(self.lab_dir))
        self.ctl("account", "add", LAB, "--kind", "applicative", "--cert", str(self.lab_dir / "cert.pem"))

    @property
    def lab_dir(self):
        return self.data / "lab-client"

    @property
    def trust(self):
        return self.data / "pki" / "trust.pem"

    def tls_context(self, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=str(self.trust))
        if cert:
            ctx.load_cert_chain(str(cert), str(key))
        return ctx

    def imaps_login(self, user, password=PASSWORD):
        """Python's imaplib signed in as user over implicit TLS."""
        import imaplib
        c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps, ssl_context=self.tls_context(), timeout=30)
        c.login(user, password)
        return c

    def mail_list(self, address, folder="INBOX"):
        out = self.ctl("mail", "list", address, "--folder", folder).stdout.decode()
        return [line.split(" ", 2) for line in out.splitlines()]

    def mail_fetch(self, address, uid, folder="INBOX"):
        return self.ctl("mail", "fetch", address, str(uid), "--folder", folder).stdout

    # -- the daemon -------------------------------------------------------------------------------
    def start(self, timeout=30):
        self.log = []
        self.proc = subprocess.Popen(
            [str(MSSD), "--data", str(self.data), "--listen", "127.0.0.1", "--smtp-port", "0",
             "--submission-port", "0", "--submissions-port", "0", "--imap-port", "0", "--imaps-port", "0",
             "--https-port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                m = re.search(r"mssd: ready (.*)$", line)
                if m:
                    for name, port in re.findall(r"(\w+)=[^ ]*:(\d+)", m.group(1)):
                        self.ports[name] = int(port)
                    ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("mssd did not start:\n" + "\n".join(self.log))
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        if self._reader:
            self._reader.join(timeout=5)
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=5)

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in list(self.log)):
                return True
            time.sleep(0.05)
        return False

    def reload(self, timeout=60):
        """SIGHUP, then waits for the next "configuration and certificates reloaded" line (a reload
        always ends with it once the new configuration is accepted)."""
        done = "configuration and certificates reloaded"
        before = sum(done in line for line in list(self.log))
        self.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: sum(done in line for line in list(self.log)) > before, timeout), "mssd did not reload"

    def set_relay(self, **settings):
        """Sets keys of [relay], adding those the default file leaves out; reloads a running mssd."""
        path = self.data / "mssd.toml"
        head, rest = path.read_text().split("\n[relay]\n", 1)
        following = re.search(r"^\[", rest, flags=re.M)
        body, tail = (rest[:following.start()], rest[following.start():]) if following else (rest, "")
        for key, value in settings.items():
            rendered = f'"{value}"' if isinstance(value, str) else str(value)
            body, n = re.subn(rf"^{key} = .*$", f"{key} = {rendered}", body, flags=re.M)
            if n == 0:
                body = f"{key} = {rendered}\n" + body
        path.write_text(head + "\n[relay]\n" + body + tail)
        if self.proc and self.proc.poll() is None:
            self.reload()

    @property
    def smtp(self):
        return self.ports["smtp"]

    @property
    def submission(self):
        return self.ports["submission"]

    @property
    def submissions(self):
        return self.ports["submissions"]

    @property
    def imap(self):
        return self.ports["imap"]

    @property
    def imaps(self):
        return self.ports["imaps"]

    @property
    def https(self):
        return self.ports["https"]


# -- helpers for the interop and conformance tests (added; nothing above depends on them) --------
def add_personal_account(server, address, password=PASSWORD):
    """A new personal account on a server that may already be running (mssctl writes the store)."""
    server.ctl("account", "add", address, "--kind", "personal", "--password-stdin",
               input=(password + "\n").encode())
    return address


def deliver(server, to, subject, body="ligne", sender="lab@labo-y.mssante.fr", headers=None):
    """Delivers one small message to `to` over SMTP on the relay port; wait_mail_count sees it filed."""
    import smtplib
    lines = [f"From: <{sender}>", f"To: <{to}>", f"Subject: {subject}",
             "Date: Mon, 23 Nov 2026 10:00:00 +0100"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    message = "\r\n".join(lines) + "\r\n\r\n" + body + "\r\n"
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        c.sendmail(sender, [to], message.encode())


def wait_for(predicate, timeout=90, interval=0.2):
    """Polls `predicate` until it gives a true value, and returns that value; None once `timeout`
    seconds have passed (generous: the machine may be loaded, a broken server still fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def wait_mail_count(server, address, count, folder="INBOX", timeout=10):
    """Polls `mssctl mail list` until the folder holds `count` messages; returns the last listing."""
    deadline = time.monotonic() + timeout
    while True:
        listing = server.mail_list(address, folder)
        if len(listing) == count or time.monotonic() > deadline:
            return listing
        time.sleep(0.05)


# -- two operators of the space of trust (issue 11; reused by the DSN and DMP work) ----------------
CORRESPONDANCE_HEADER = ("Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|"
                         "Type identifiant structure|Identification Structure|Service de rattachement|"
                         "Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie profession|"
                         "Libellé de catégorie profession|Code Profession|Libellé Profession|Code savoir-faire|"
                         "Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|"
                         "Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION|L3COMPLEMENTDISTRIBUTION|"
                         "L4NUMEROVOIE|L4COMPLEMENTNUMEROVOIE|NL4TYPEVOIE|L4LIBELLEVOIE|L5LIEUDITMENTION|"
                         "L6LIGNEACHEMINEMENT|Code postal|Département|Pays")


def certificate_subject(path):
    """RFC 2253 subject of a PEM certificate, as the whitelist lists operators."""
    out = subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-subject", "-nameopt", "RFC2253"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out.split("=", 1)[1].strip() if out.startswith("subject=") else out


def whitelist_xml(entries):
    """The national whitelist's XML for (domain, operator DN) pairs."""
    from xml.sax.saxutils import escape
    rows = "".join(
        f"<Domaine><Nom>{escape(d)}</Nom><Description>{escape(d)}</Description>"
        f"<DNCertificatOperateur>{escape(dn)}</DNCertificatOperateur>"
        f"<ResponsableContact>rssi@{escape(d)}</ResponsableContact><SupportContact>support@{escape(d)}</SupportContact>"
        f"<DateMAJ>2026-12-01</DateMAJ></Domaine>" for d, dn in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">'
            f"<DateDeGeneration>2026-12-01T00:00:00</DateDeGeneration><ListeDomaines>{rows}</ListeDomaines>"
            "</ListeBlancheMSSante>\n")


def correspondance(addresses):
    """An Extraction_Correspondance_MSSante file listing these ORG mailboxes."""
    columns = CORRESPONDANCE_HEADER.count("|") + 1
    lines = [CORRESPONDANCE_HEADER]
    for a in addresses:
        row = [""] * columns
        row[0], row[1] = "ORG", a
        lines.append("|".join(row))
    return ("\r\n".join(lines) + "\r\n").encode()


class Operator(Server):
    """An mssd of its own domain and test IGC, one account, ready to trust another operator."""

    def __init__(self, data, domain, operator):
        super().__init__(data)
        self.domain = domain
        self.user = f"medecin@{domain}"
        self.ctl("init", "--domain", domain, "--operator", operator)
        self.configure(password_scrypt_log_n=12)
        add_personal_account(self, self.user)

    @property
    def operator_dn(self):
        return certificate_subject(self.data / "pki" / "server.crt")

    def chain_and_crls(self):
        pki = self.data / "pki"
        return (pki / "trust.pem").read_text() + "".join(p.read_text() for p in sorted(pki.glob("*.crl")))

    def trust_operator(self, other, whitelist_extra=(), directory_extra=()):
        """Trusts other's IGC chain and CRLs, lists both operators in the whitelist, other's user in the
        directory."""
        bundle = self.data / f"trust-{other.domain}.pem"
        bundle.write_text(other.chain_and_crls())
        self.ctl("pki", "trust", "add", str(bundle))
        wl = self.data / "liste_blanche.xml"
        wl.write_text(whitelist_xml([(self.domain, self.operator_dn), (other.domain, other.operator_dn),
                                     *whitelist_extra]))
        self.ctl("directory", "whitelist", "import", str(wl))
        ex = self.data / "Extraction_Correspondance_MSSante_202612010000.txt"
        ex.write_bytes(correspondance([other.user, *directory_extra]))
        self.ctl("directory", "import", str(ex))

    def route(self, domain, port, host="127.0.0.1"):
        self.ctl("route", "add", domain, f"{host}:{port}")

    def submit(self, to, subject, body="Bonjour confrere"):
        """Our user sends one message on the submission port (STARTTLS, password); the 250 reply."""
        import smtplib
        message = (f"From: <{self.user}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
                   f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\n{body}\r\n")
        with smtplib.SMTP("127.0.0.1", self.submission, timeout=60) as c:
            c.starttls(context=self.tls_context())
            c.login(self.user, PASSWORD)
            return c.sendmail(self.user, [to], message.encode())

    def queue(self):
        return self.ctl("queue", "list").stdout.decode()


def make_operator_pair(tmp):
    """Two operators, a.mssante.fr and b.mssante.fr, trusting each other (chains, CRLs, whitelist,
    directory), started, each with a static route to the other's relay port."""
    a = Operator(tmp / "a", "a.mssante.fr", "OPERATEUR A")
    b = Operator(tmp / "b", "b.mssante.fr", "OPERATEUR B")
    a.trust_operator(b)
    b.trust_operator(a)
    a.start()
    b.start()
    a.route(b.domain, b.smtp)
    b.route(a.domain, a.smtp)
    return a, b
