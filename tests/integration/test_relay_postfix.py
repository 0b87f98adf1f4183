"""Debian's Postfix as a real foreign operator's MTA (issue 11): mssd relays to it over STARTTLS with its
operator certificate as client certificate, and takes mail from it on port 25 only when Postfix
presents a certificate the whitelist lists for the sender's domain (else 550 5.7.1). Postfix runs as a
private instance on loopback (postfix_peer.py); the test is skipped when postfix is absent."""
import re
import smtplib

import pytest

from mssd_harness import PASSWORD, Operator
from postfix_peer import Postfix, available

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "postfix available")

TIMEOUT = 120  # a loaded machine must not fail these; a broken server must


def operator_files(op):
    """An operator's certificate (with its issuing CA, as a server sends it), key and trust chain."""
    pki = op.data / "pki"
    chain = op.data / "postfix-chain.pem"
    chain.write_text((pki / "server.crt").read_text() + (pki / "organisations.crt").read_text())
    return chain, pki / "server.key", pki / "trust.pem"


@pytest.fixture
def peers(tmp_path):
    """mssd A (a.mssante.fr) and a Postfix for c.mssante.fr whose certificate comes from operator C's
    test IGC, which A trusts and whose DN A's whitelist lists for c.mssante.fr. Routes both ways."""
    a = Operator(tmp_path / "a", "a.mssante.fr", "OPERATEUR A")
    c = Operator(tmp_path / "c", "c.mssante.fr", "OPERATEUR C")  # only its PKI: Postfix serves c.mssante.fr
    a.trust_operator(c)
    a.start()
    made = []

    def postfix(cert_of=c, present_certificate=True):
        cert, key, _ = operator_files(cert_of)
        a_trust = a.data / "pki" / "trust.pem"
        p = Postfix("c.mssante.fr", cert, key, client_ca=a_trust, server_ca=a_trust)
        if not present_certificate:
            p.postconf(smtp_tls_cert_file="", smtp_tls_key_file="")
        p.route(a.domain, "localhost", a.smtp)  # verified against the name in A's certificate
        made.append(p)
        return p.start()

    yield a, c, postfix
    for p in made:
        p.cleanup()
    a.stop()


def send_through(p, sender, to, subject):
    with smtplib.SMTP("127.0.0.1", p.port, timeout=60) as s:
        s.sendmail(sender, [to], (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\r\nBonjour\r\n").encode())


def test_mssd_relays_to_postfix_over_tls_with_its_client_certificate(peers):
    a, c, postfix = peers
    p = postfix()
    a.route(c.domain, p.port)
    assert a.submit(c.user, "vers postfix") == {}
    assert p.wait_delivered(1, TIMEOUT) == 1, a.queue() + p.log()
    delivered = p.delivered()[0].decode()
    assert "Subject: vers postfix" in delivered
    # Postfix saw TLS and verified mssd's client certificate against A's chain.
    assert re.search(r"Trusted TLS connection established from \S+: TLSv1\.[23]", p.log()), p.log()
    assert re.search(r"\(Client CN \"[^\"]+\", Issuer \"AC IGC-SANTE TEST ORGANISATIONS\" \(verified OK\)\)",
                     delivered), delivered
    assert a.wait_log(r"relay: \w+: to=<medecin@c\.mssante\.fr> .*tls=\"TLSv1\.[23].*status=sent", TIMEOUT)
    assert "medecin@c.mssante.fr" not in a.queue()


def test_mssd_refuses_to_relay_to_postfix_whose_certificate_is_not_listed(peers, tmp_path):
    a, c, postfix = peers
    d = Operator(tmp_path / "d", "d.mssante.fr", "OPERATEUR D")  # a trusted IGC, but not c.mssante.fr's entry
    a.ctl("pki", "trust", "add", str(_bundle(d)))
    p = postfix(cert_of=d)
    a.route(c.domain, p.port)
    assert a.submit(c.user, "jamais") == {}
    assert a.wait_log(r"relay: \w+: to=<medecin@c\.mssante\.fr> .*status=deferred", TIMEOUT), "\n".join(a.log)
    assert p.delivered_count() == 0
    assert "c.mssante.fr" in a.queue()


def test_postfix_relays_to_mssd_with_a_listed_certificate(peers):
    a, c, postfix = peers
    p = postfix()
    send_through(p, c.user, a.user, "de postfix")
    assert p.wait_log("status=sent", TIMEOUT), p.log()
    # Postfix required TLS and verified mssd's server certificate (smtp_tls_security_level = verify).
    assert re.search(r"Verified TLS connection established to localhost\[127\.0\.0\.1\]:\d+: TLSv1\.[23]", p.log()), p.log()
    listing = _wait_mail(a, a.user, 1)
    assert len(listing) == 1, listing
    content = a.mail_fetch(a.user, listing[0][0]).decode(errors="replace")
    assert "Subject: de postfix" in content


def _wait_mail(server, address, count):
    import time
    deadline = time.monotonic() + TIMEOUT
    while True:
        listing = server.mail_list(address)
        if len(listing) >= count or time.monotonic() > deadline:
            return listing
        time.sleep(0.1)


def _bundle(op):
    bundle = op.data / "bundle-for-peers.pem"
    bundle.write_text(op.chain_and_crls())
    return bundle


@pytest.mark.parametrize("case", ["no certificate", "unlisted certificate"])
def test_mssd_refuses_postfix_without_a_listed_certificate(peers, tmp_path, case):
    a, c, postfix = peers
    if case == "no certificate":
        p = postfix(present_certificate=False)
    else:
        d = Operator(tmp_path / "d", "d.mssante.fr", "OPERATEUR D")  # chained to a trusted IGC, never listed
        a.ctl("pki", "trust", "add", str(_bundle(d)))
        p = postfix(cert_of=d)
    send_through(p, c.user, a.user, "refusé")
    assert p.wait_log("status=bounced", TIMEOUT), p.log()
    refusal = re.search(r"to=<medecin@a\.mssante\.fr>.*said: (\d{3} \d\.\d\.\d)[^)]*", p.log())
    assert refusal and refusal.group(1) == "550 5.7.1", p.log()
    assert a.mail_list(a.user) == []


def test_mssd_keeps_an_idle_connection_for_the_next_message(peers):
    """Mail queued while a connection to the domain waits for more (2 s) goes on it: one TCP and TLS
    handshake for both messages, as Postfix's own connection cache does."""
    a, c, postfix = peers
    p = postfix()
    a.route(c.domain, p.port)
    with smtplib.SMTP("127.0.0.1", a.submission, timeout=60) as s:
        s.starttls(context=a.tls_context())
        s.login(a.user, PASSWORD)  # before the first message: the second follows its delivery at once
        for subject in ["premier", "second"]:
            s.sendmail(a.user, [c.user], f"From: <{a.user}>\r\nTo: <{c.user}>\r\nSubject: {subject}\r\n\r\nx\r\n".encode())
            assert a.wait_log(r"relay: \w+: to=<medecin@c\.mssante\.fr> .*status=sent", TIMEOUT), "\n".join(a.log)
            a.log.clear()  # the next wait is for the second message's line
    assert p.wait_delivered(2, TIMEOUT) == 2, a.queue() + p.log()
    assert len(re.findall(r"TLS connection established from", p.log())) == 1, p.log()
