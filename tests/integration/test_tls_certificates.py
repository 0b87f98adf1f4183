"""TLS certificates against the real mssd: a certificate per host name chosen by SNI (RFC 6066 section 3)
and the default one for other names; client certificates checked with their chain and CRLs (RFC 5280:
the test IGC's, or another IGC's imported with `mssctl pki trust add`) before SASL EXTERNAL grants
anything, the refusal logged with its reason; TLS 1.2 as the minimum and AEAD suites only. Peers:
openssl s_client, Python's ssl, imaplib and smtplib; loopback only."""
import imaplib
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from mssd_harness import DOMAIN, GP, PASSWORD, Server

OTHER_HOST = "mail.autre-domaine.fr"  # a second served name, with its own certificate
LATER_HOST = "imap.tiers.fr"          # a name given its certificate while mssd runs (SIGHUP)


# -- set-up -----------------------------------------------------------------------------------------
def issue_server_certificate(server, host):
    out = server.data / "pki" / host
    server.ctl("pki", "issue", "organisation", "--kind", "server", "--cn", host, "--name", "AUTRE OPERATEUR",
               "--finess", "010000002", "--out", str(out))
    return out


def serve_name(server, host, folder):
    """Appends a [tls.domains."host"] table to mssd.toml."""
    with open(server.data / "mssd.toml", "a") as f:
        f.write(f'\n[tls.domains."{host}"]\ncertificate = "{folder / "cert.pem"}"\nkey = "{folder / "key.pem"}"\n')


def applicative(server, name, *issue_args):
    """An applicative mailbox and its ORG AUTH_CLI certificate from the test IGC; the folder of both files."""
    address = f"{name}@{DOMAIN}"
    out = server.data / name
    server.ctl("pki", "issue", "organisation", "--name", "LABO TEST", "--finess", "010000001",
               "--address", address, "--out", str(out), *issue_args)
    server.ctl("account", "add", address, "--kind", "applicative", "--cert", str(out / "cert.pem"))
    return out


def rogue_certificate(server, name):
    """A client certificate from a CA of our own making (openssl req), registered to an applicative
    mailbox all the same: only its issuer is wrong."""
    out = server.data / name
    out.mkdir()

    def run(*args):
        subprocess.run(["openssl", *args], cwd=out, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
        "-subj", "/O=ROGUE/CN=Rogue CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "leaf.csr",
        "-subj", f"/O=ROGUE/CN={name}@{DOMAIN}")
    (out / "leaf.ext").write_text("keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "30", "-extfile", "leaf.ext", "-out", "cert.pem")
    server.ctl("account", "add", f"{name}@{DOMAIN}", "--kind", "applicative", "--cert", str(out / "cert.pem"))
    return out


def other_igc_certificate(folder, name):
    """Another operator's test IGC (`mssctl init` of a data directory of its own) and the ORG AUTH_CLI
    certificate it issues for our applicative mailbox name@DOMAIN; its pki/ folder and the certificate's."""
    other = Server(folder / "autre-operateur")
    other.ctl("init", "--domain", "autre.mssante.fr", "--operator", "AUTRE OPERATEUR")
    out = folder / name
    other.ctl("pki", "issue", "organisation", "--name", "LABO AUTRE IGC", "--finess", "010000003",
              "--address", f"{name}@{DOMAIN}", "--out", str(out))
    return other.data / "pki", out


@pytest.fixture(scope="module")
def rogue(srv):
    return rogue_certificate(srv, "labo-pirate")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd-tls"))
    s.init()
    s.add_standard_accounts()
    serve_name(s, OTHER_HOST, issue_server_certificate(s, OTHER_HOST))
    s.start()
    yield s
    s.stop()


# -- helpers ----------------------------------------------------------------------------------------
def wait_new_log(server, mark, pattern, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(re.search(pattern, line) for line in server.log[mark:]):
            return True
        time.sleep(0.05)
    return False


def reload(server):
    mark = len(server.log)
    server.proc.send_signal(signal.SIGHUP)
    assert wait_new_log(server, mark, r"reload"), "\n".join(server.log[mark:])
    return "\n".join(server.log[mark:])


def s_client(port, *args):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                          input=b"", capture_output=True, timeout=60)


def served_cn(port, *args):
    """CN of the certificate openssl s_client is served, after checking it against the test IGC."""
    r = s_client(port, *args)
    out = r.stdout.decode(errors="replace")
    m = re.search(r"^subject=.*CN = ([^,\n]+)$", out, re.M)
    assert m, out + r.stderr.decode(errors="replace")
    return m.group(1).strip()


def python_served_cn(server, port, host):
    """The CN Python's ssl sees when it names host and checks the certificate names it."""
    ctx = ssl.create_default_context(cafile=str(server.trust))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            subject = dict(item for rdn in tls.getpeercert()["subject"] for item in rdn)
            return subject["commonName"]


def imap_external(server, folder):
    ctx = server.tls_context(folder / "cert.pem", folder / "key.pem")
    with imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=ctx, timeout=30) as c:
        try:
            return c.authenticate("EXTERNAL", lambda _: b"")[0]
        except imaplib.IMAP4.error:
            return "NO"


def smtp_external(server, folder):
    ctx = server.tls_context(folder / "cert.pem", folder / "key.pem")
    with smtplib.SMTP_SSL("127.0.0.1", server.submissions, context=ctx, timeout=30) as c:
        c.ehlo("lab.example")
        return c.docmd("AUTH", "EXTERNAL =")[0]


def assert_refused(server, folder, reason):
    mark = len(server.log)
    assert imap_external(server, folder) == "NO"
    assert smtp_external(server, folder) == 535
    for protocol in ("AUTHENTICATE EXTERNAL", "AUTH EXTERNAL"):
        assert wait_new_log(server, mark, rf"{protocol} from 127\.0\.0\.1 refused: client certificate refused, "
                                          rf"{reason}:"), "\n".join(server.log[mark:])
    assert wait_new_log(server, mark, rf"client certificate from 127\.0\.0\.1 refused, {reason}:")


# -- SNI: a certificate per served name -------------------------------------------------------------
@pytest.mark.parametrize("port_name,starttls", [("imaps", []), ("submissions", []),
                                                ("imap", ["-starttls", "imap"]),
                                                ("submission", ["-starttls", "smtp"])])
def test_sni_picks_the_certificate_of_the_named_host(srv, port_name, starttls):
    port = srv.ports[port_name]
    assert served_cn(port, *starttls, "-servername", OTHER_HOST, "-CAfile", str(srv.trust),
                     "-verify_hostname", OTHER_HOST, "-verify_return_error") == OTHER_HOST
    assert served_cn(port, *starttls, "-servername", OTHER_HOST.upper()) == OTHER_HOST  # DNS names ignore case
    assert served_cn(port, *starttls, "-servername", DOMAIN) == DOMAIN


def test_python_ssl_checks_the_named_hosts_certificate(srv):
    assert python_served_cn(srv, srv.imaps, OTHER_HOST) == OTHER_HOST
    assert python_served_cn(srv, srv.submissions, OTHER_HOST) == OTHER_HOST
    assert python_served_cn(srv, srv.imaps, DOMAIN) == DOMAIN


def test_unknown_or_absent_sni_gets_the_default_certificate(srv):
    assert served_cn(srv.imaps, "-servername", "inconnu.example.org") == DOMAIN
    assert served_cn(srv.imaps, "-noservername") == DOMAIN
    with pytest.raises(ssl.SSLCertVerificationError):
        python_served_cn(srv, srv.imaps, "inconnu.example.org")


def test_sighup_serves_a_new_name_and_refuses_a_certificate_not_naming_it(fresh):
    fresh.start()
    assert served_cn(fresh.imaps, "-servername", LATER_HOST) == DOMAIN
    wrong = issue_server_certificate(fresh, "autre.example.org")
    serve_name(fresh, LATER_HOST, wrong)
    text = reload(fresh)
    assert "reload refused" in text and f"does not name {LATER_HOST}" in text
    assert served_cn(fresh.imaps, "-servername", LATER_HOST) == DOMAIN

    config = fresh.data / "mssd.toml"
    config.write_text(config.read_text().replace(str(wrong), str(issue_server_certificate(fresh, LATER_HOST))))
    assert "configuration and certificates reloaded" in reload(fresh)
    assert served_cn(fresh.imaps, "-servername", LATER_HOST) == LATER_HOST
    assert python_served_cn(fresh, fresh.imaps, LATER_HOST) == LATER_HOST


# -- client certificates: chain and CRL before SASL EXTERNAL ----------------------------------------
def test_valid_client_certificate_signs_in_with_external(srv):
    assert imap_external(srv, srv.lab_dir) == "OK"
    assert smtp_external(srv, srv.lab_dir) == 235


def test_revoked_client_certificate_is_refused_once_the_crl_is_reloaded(srv):
    folder = applicative(srv, "labo-revoque")
    assert imap_external(srv, folder) == "OK"
    srv.ctl("pki", "revoke", str(folder / "cert.pem"), "--reason", "keyCompromise")
    assert "configuration and certificates reloaded" in reload(srv)
    assert_refused(srv, folder, "revoked")
    assert imap_external(srv, srv.lab_dir) == "OK"


def test_expired_client_certificate_is_refused(srv):
    folder = applicative(srv, "labo-expire", "--not-before", "2020-01-01", "--days", "30")
    assert_refused(srv, folder, "expired")


def test_client_certificate_from_an_untrusted_ca_is_refused(srv, rogue):
    assert_refused(srv, rogue, "untrusted-issuer")


def test_trust_add_of_another_igcs_chain_and_crls_lets_its_client_certificate_in(fresh, tmp_path):
    their_pki, folder = other_igc_certificate(tmp_path, "labo-autre-igc")
    fresh.ctl("account", "add", f"labo-autre-igc@{DOMAIN}", "--kind", "applicative", "--cert",
              str(folder / "cert.pem"))
    fresh.start()
    assert_refused(fresh, folder, "untrusted-issuer")
    # Their CRL before their chain: nothing to check it with, so refused, said, exit status 1.
    early = fresh.ctl("pki", "trust", "add", str(their_pki / "root.crl"), check=False)
    assert early.returncode == 1 and b"1 CRL(s) refused" in early.stderr, early.stderr
    assert not list((fresh.data / "pki").glob("imported-*.crl"))

    fresh.ctl("pki", "trust", "add", str(their_pki / "trust.pem"))
    assert "configuration and certificates reloaded" in reload(fresh)
    assert_refused(fresh, folder, "no-crl")

    bundle = tmp_path / "chaine-et-crl.pem"
    bundle.write_bytes(b"".join((their_pki / f).read_bytes()
                                for f in ("trust.pem", "root.crl", "personnes.crl", "organisations.crl")))
    out = fresh.ctl("pki", "trust", "add", str(bundle)).stdout.decode()
    assert "0 CA certificate(s) added, 3 already trusted" in out and "3 CRL(s) added" in out, out
    assert len(list((fresh.data / "pki").glob("imported-*.crl"))) == 3
    assert "configuration and certificates reloaded" in reload(fresh)
    assert imap_external(fresh, folder) == "OK"
    assert smtp_external(fresh, folder) == 235


def test_a_bad_client_certificate_still_gets_tls_and_password_sign_in(srv, rogue):
    ctx = srv.tls_context(rogue / "cert.pem", rogue / "key.pem")
    with imaplib.IMAP4_SSL("127.0.0.1", srv.imaps, ssl_context=ctx, timeout=30) as c:
        assert c.login(GP, PASSWORD)[0] == "OK"
    with imaplib.IMAP4("127.0.0.1", srv.imap, timeout=30) as c:
        c.starttls(ssl_context=srv.tls_context())
        assert c.login(GP, PASSWORD)[0] == "OK"


def test_mssctl_refuses_a_malformed_not_before(srv):
    r = srv.ctl("pki", "issue", "organisation", "--name", "X", "--finess", "010000001", "--address",
                f"x@{DOMAIN}", "--out", str(srv.data / "x"), "--not-before", "2020-13-45", check=False)
    assert r.returncode != 0 and b"--not-before" in r.stderr


# -- protocol versions and suites -------------------------------------------------------------------
def test_tls_1_1_is_refused(srv):
    mark = len(srv.log)
    old = s_client(srv.imaps, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert old.returncode != 0
    assert wait_new_log(srv, mark, r"TLS handshake with 127\.0\.0\.1 failed: .*unsupported protocol"), \
        "\n".join(srv.log[mark:])
    assert s_client(srv.imaps, "-tls1_2").returncode == 0


def test_suites_without_aead_or_forward_secrecy_are_refused(srv):
    for suite in ("ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA", "AES128-GCM-SHA256"):
        mark = len(srv.log)
        assert s_client(srv.submissions, "-tls1_2", "-cipher", suite).returncode != 0, suite
        assert wait_new_log(srv, mark, r"TLS handshake with 127\.0\.0\.1 failed: .*no shared cipher"), suite
    ok = s_client(srv.submissions, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
    assert ok.returncode == 0 and b"ECDHE-RSA-AES128-GCM-SHA256" in ok.stdout


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_only_elliptic_curve_groups_are_offered(srv, version):
    for group in ("ffdhe2048", "ffdhe3072", "ffdhe8192"):
        assert s_client(srv.imaps, version, "-groups", group).returncode != 0, group
    for group, shown in (("X25519", "X25519"), ("P-256", "prime256v1"), ("P-384", "secp384r1")):
        ok = s_client(srv.imaps, version, "-groups", group)
        assert ok.returncode == 0, group
        assert re.search(rf"Server Temp Key: (ECDH, )?{shown}", ok.stdout.decode()), ok.stdout.decode()
