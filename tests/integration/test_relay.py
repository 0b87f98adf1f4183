"""Relay between operators (issue 11) with two real mssd instances of their own domains and test IGCs
(the `operators` fixture): mail both ways over mutual TLS, read back by IMAP; certificates outside
the whitelist refused inbound (550 5.7.1) and outbound (kept queued); a peer down then up; a peer
without STARTTLS never gets the message; kill -9 of the sender loses nothing."""
import smtplib
import ssl
import threading
import time

from loopback_peer import LoopbackPeer
from mssd_harness import PASSWORD, Operator, correspondance, whitelist_xml, wait_for


def inbox_subjects(server, address):
    c = server.imaps_login(address)
    try:
        c.select("INBOX")
        _, data = c.search(None, "ALL")
        subjects = []
        for n in data[0].split():
            _, parts = c.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            subjects.append(parts[0][1].decode().strip())
        return subjects
    finally:
        c.logout()


def received(server, address, subject, timeout=60):
    return wait_for(lambda: f"Subject: {subject}" in inbox_subjects(server, address), timeout)


def test_mail_crosses_both_ways_over_mutual_tls(operators):
    a, b = operators
    assert a.submit(b.user, "A vers B") == {}
    assert received(b, b.user, "A vers B")
    assert b.submit(a.user, "B vers A") == {}
    assert received(a, a.user, "B vers A")
    assert a.wait_log(r"relay: \w+: to=<medecin@b\.mssante\.fr> peer=127\.0\.0\.1:\d+ .*tls=\"TLSv1\.[23].*"
                      r"peer_dn=\"CN=b\.mssante\.fr.*status=sent reply=\"250 ")
    assert b.wait_log(r"smtp: TLS from 127\.0\.0\.1: TLSv1")
    assert "0 message(s) queued" in a.queue()


def test_listed_remote_recipient_accepted_at_rcpt(operators):
    a, b = operators
    with smtplib.SMTP("127.0.0.1", a.submission, timeout=60) as c:
        c.starttls(context=a.tls_context())
        c.login(a.user, PASSWORD)
        c.mail(a.user)
        code, text = c.rcpt(b.user)
        assert code == 250, text
        code, _ = c.rcpt(f"inconnu@{b.domain}")  # not in the directory
        assert code == 550


def relay_session(server, cert=None, key=None):
    c = smtplib.SMTP("127.0.0.1", server.smtp, timeout=60)
    ctx = ssl.create_default_context(cafile=str(server.trust))
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(str(cert), str(key))
    c.starttls(context=ctx)
    c.ehlo("mx.peer.example")
    return c


def test_inbound_sender_of_whitelisted_domain_needs_its_listed_certificate(operators, tmp_path):
    a, b = operators
    # No client certificate at all.
    with relay_session(a) as c:
        code, text = c.mail(b.user)
        assert code == 550 and b"5.7.1" in text and b"no client certificate" in text
    # A valid IGC certificate (A's own test IGC issued it) whose DN is not b.mssante.fr's entry.
    a.ctl("pki", "issue", "organisation", "--name", "INTRUS", "--finess", "010000009",
          "--address", f"x@{b.domain}", "--out", str(tmp_path / "intrus"))
    with relay_session(a, tmp_path / "intrus" / "cert.pem", tmp_path / "intrus" / "key.pem") as c:
        code, text = c.mail(b.user)
        assert code == 550 and b"5.7.1" in text and b"not the one the MSSante whitelist lists" in text
    # B's own operator certificate: accepted, and the mail is filed.
    pki = b.data / "pki"
    with relay_session(a, pki / "server.crt", pki / "server.key") as c:
        assert c.mail(b.user)[0] == 250
        assert c.rcpt(a.user)[0] == 250
        assert c.data(b"Subject: direct\r\nFrom: <medecin@b.mssante.fr>\r\n\r\nok\r\n")[0] == 250
    assert received(a, a.user, "direct")


def test_inbound_sender_outside_the_whitelist_refused_by_default(operators):
    a, _ = operators
    with relay_session(a) as c:
        code, text = c.mail("someone@gmail.example")
        assert code == 550 and b"5.7.1" in text and b"not in the MSSante whitelist" in text


def test_outbound_peer_with_a_certificate_not_listed_stays_queued(operators, tmp_path):
    a, b = operators
    # A lists wrong.mssante.fr with a DN that B's certificate does not carry, and routes it to B.
    wl = a.data / "liste_blanche.xml"
    wl.write_text(whitelist_xml([(a.domain, a.operator_dn), (b.domain, b.operator_dn),
                                 ("wrong.mssante.fr", "CN=mx.wrong.mssante.fr,O=AUTRE,C=FR")]))
    a.ctl("directory", "whitelist", "import", str(wl))
    ex = a.data / "Extraction_Correspondance_MSSante_202612020000.txt"
    ex.write_bytes(correspondance([b.user, "cardio@wrong.mssante.fr"]))
    a.ctl("directory", "import", str(ex))
    a.route("wrong.mssante.fr", b.smtp)
    a.submit("cardio@wrong.mssante.fr", "mauvais pair")
    assert a.wait_log(r"relay: \w+: to=<cardio@wrong\.mssante\.fr> .*status=deferred reply=\"the peer's "
                      r"certificate \(CN=b\.mssante\.fr.*is not the one the whitelist lists", timeout=60)
    out = a.queue()
    assert "cardio@wrong.mssante.fr" in out and "attempts=1" in out
    qid = out.split()[0]
    a.ctl("queue", "delete", qid)
    assert "0 message(s) queued" in a.queue()


def test_peer_down_then_up_gets_the_queued_mail(operators):
    a, b = operators
    b.stop()
    try:
        a.submit(b.user, "pendant la panne")
        assert a.wait_log(r"to=<medecin@b\.mssante\.fr> .*status=deferred reply=\"cannot connect", timeout=60)
        out = a.queue()
        assert "medecin@b.mssante.fr" in out and "cannot connect" in out
        shown = a.ctl("queue", "show", out.split()[0]).stdout.decode()
        assert f"from: <{a.user}>" in shown
        assert "to: <medecin@b.mssante.fr> state=queued attempts=1 next_attempt=in " in shown
    finally:
        b.start()
    a.route(b.domain, b.smtp)  # B came back on a new port: the running A reads routes at each attempt
    b.route(a.domain, a.smtp)
    assert "1 recipient(s) due now" in a.ctl("queue", "flush").stdout.decode()
    assert received(b, b.user, "pendant la panne")
    assert wait_for(lambda: "0 message(s) queued" in a.queue())


class PlainPeer(LoopbackPeer):
    """A foreign MTA without STARTTLS: answers EHLO without it and records every line it gets."""

    def __init__(self):
        self.lines = []
        super().__init__()

    def converse(self, conn):
        with conn.makefile("rwb") as f:
            f.write(b"220 plain.example ESMTP\r\n")
            f.flush()
            for line in f:
                self.lines.append(line)
                verb = line[:4].upper()
                if verb == b"EHLO":
                    f.write(b"250-plain.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == b"QUIT":
                    f.write(b"221 bye\r\n")
                    f.flush()
                    break
                elif verb == b"DATA":
                    f.write(b"354 go\r\n")
                else:
                    f.write(b"250 ok\r\n")
                f.flush()


def test_peer_without_starttls_never_gets_plain_text(operators):
    a, b = operators
    peer = PlainPeer()
    try:
        a.route("plain.mssante.fr", peer.port)
        wl = a.data / "liste_blanche.xml"
        text = wl.read_text().replace("</ListeDomaines>", "<Domaine><Nom>plain.mssante.fr</Nom><Description>p</Description>"
                                      "<DNCertificatOperateur>CN=plain.mssante.fr,O=P,C=FR</DNCertificatOperateur>"
                                      "<ResponsableContact>r@p</ResponsableContact><SupportContact>s@p</SupportContact>"
                                      "<DateMAJ>2026-12-01</DateMAJ></Domaine></ListeDomaines>")
        wl.write_text(text)
        a.ctl("directory", "whitelist", "import", str(wl))
        ex = a.data / "Extraction_Correspondance_MSSante_202612030000.txt"
        ex.write_bytes(correspondance([b.user, "secret@plain.mssante.fr"]))
        a.ctl("directory", "import", str(ex))
        a.submit("secret@plain.mssante.fr", "jamais en clair", body="donnees de sante")
        assert a.wait_log(r"to=<secret@plain\.mssante\.fr> .*status=deferred reply=\"the peer offers no STARTTLS",
                          timeout=60)
        sent = b"".join(peer.lines)
        assert b"EHLO" in sent
        assert b"MAIL FROM" not in sent and b"donnees" not in sent and b"RCPT" not in sent
        qid = a.queue().split()[0]
        a.ctl("queue", "delete", qid)
    finally:
        peer.close()


class StallingPeer(LoopbackPeer):
    """Accepts connections and never greets: a delivery stays in progress."""

    def __init__(self):
        self.accepted = threading.Event()
        super().__init__()

    def session(self, conn):
        self.accepted.set()  # the connection stays open, silent, until close()


def test_kill9_during_delivery_loses_nothing(operators):
    a, b = operators
    peer = StallingPeer()
    try:
        a.route(b.domain, peer.port)
        a.submit(b.user, "survit au kill")
        assert peer.accepted.wait(60)  # A is delivering, waiting for the greeting
        a.kill9()
        assert "survit au kill" not in " ".join(inbox_subjects(b, b.user))
        assert "medecin@b.mssante.fr" in a.queue()  # still queued, attempt never recorded
        a.route(b.domain, b.smtp)
        a.start()
        b.route(a.domain, a.smtp)
        assert received(b, b.user, "survit au kill")
        assert wait_for(lambda: "0 message(s) queued" in a.queue())
    finally:
        peer.close()


def test_route_commands_and_loop_refused(tmp_path):
    s = Operator(tmp_path / "solo", "solo.mssante.fr", "OPERATEUR SOLO")
    s.ctl("route", "add", "x.mssante.fr", "127.0.0.1:2525")
    s.ctl("route", "add", "y.mssante.fr", "mx.y.example")
    out = s.ctl("route", "list").stdout.decode()
    assert "x.mssante.fr 127.0.0.1:2525" in out and "y.mssante.fr mx.y.example:25" in out
    s.ctl("route", "remove", "y.mssante.fr")
    assert "y.mssante.fr" not in s.ctl("route", "list").stdout.decode()
    assert s.ctl("route", "add", "z.mssante.fr", "h:notaport", check=False).returncode == 1
    # A route to our own relay port is a loop: deferred with that reason, never connected.
    other = Operator(tmp_path / "other", "loop.mssante.fr", "OPERATEUR LOOP")
    s.trust_operator(other)
    s.start()
    try:
        s.route(other.domain, s.smtp)
        s.submit(other.user, "boucle")
        assert s.wait_log(r"to=<medecin@loop\.mssante\.fr> .*status=deferred reply=\"the route to loop\.mssante\.fr "
                          r"leads to ourselves", timeout=60)
    finally:
        s.stop()


def test_permanent_failure_bounces_into_the_senders_mailbox(operators):
    a, b = operators
    ex = a.data / "Extraction_Correspondance_MSSante_202612040000.txt"
    ex.write_bytes(correspondance([b.user, f"fantome@{b.domain}"]))  # listed nationally, unknown at B
    a.ctl("directory", "import", str(ex))
    a.submit(f"fantome@{b.domain}", "vers un fantome")
    assert a.wait_log(r"to=<fantome@b\.mssante\.fr> .*status=bounced reply=\"550 5\.1\.1", timeout=60)
    assert received(a, a.user, "Undelivered Mail Returned to Sender")
    c = a.imaps_login(a.user)
    try:
        c.select("INBOX")
        _, data = c.search(None, "SUBJECT", "Undelivered")
        _, parts = c.fetch(data[0].split()[-1], "(BODY.PEEK[])")
        report = parts[0][1].decode()
    finally:
        c.logout()
    assert "report-type=delivery-status" in report
    assert "Final-Recipient: rfc822; fantome@b.mssante.fr\r\nAction: failed\r\nStatus: 5.1.1" in report
    assert "Subject: vers un fantome" in report  # the original header, quoted
    out = a.queue()
    assert "fantome@b.mssante.fr(failed)" in out  # kept, failed, for the record
    a.ctl("queue", "delete", out.split()[0])


def test_expiry_gives_up_and_bounces_with_5_4_7(operators):
    import signal
    a, b = operators
    a.configure(section="relay", give_up=2, first_retry=1, max_retry=1)
    a.proc.send_signal(signal.SIGHUP)
    assert a.wait_log(r"configuration and certificates reloaded")
    b.stop()
    try:
        a.submit(b.user, "jamais arrive")
        assert a.wait_log(r"to=<medecin@b\.mssante\.fr> .*status=bounced reply=\"gave up after \d+ attempts: "
                          r"cannot connect", timeout=60)
        assert received(a, a.user, "Undelivered Mail Returned to Sender")
        c = a.imaps_login(a.user)
        try:
            c.select("INBOX")
            _, data = c.search(None, "BODY", '"jamais arrive"')
            assert data[0].split(), "the bounce quotes the original header"
            _, parts = c.fetch(data[0].split()[-1], "(BODY.PEEK[])")
            assert "Status: 5.4.7" in parts[0][1].decode()
        finally:
            c.logout()
    finally:
        a.configure(section="relay", give_up=432000, first_retry=60, max_retry=3600)
        a.proc.send_signal(signal.SIGHUP)
        b.start()
        a.route(b.domain, b.smtp)
        b.route(a.domain, a.smtp)
    for line in a.queue().splitlines()[:-1]:
        a.ctl("queue", "delete", line.split()[0])


def test_sigterm_ends_a_stalled_delivery_and_keeps_the_message(operators):
    a, b = operators
    peer = StallingPeer()
    try:
        a.route(b.domain, peer.port)
        a.submit(b.user, "arret propre")
        assert peer.accepted.wait(60)
        started = time.monotonic()
        assert a.stop(timeout=60) == 0
        assert time.monotonic() - started < 30  # not the 5-minute greeting timeout
        assert "medecin@b.mssante.fr" in a.queue()
        a.route(b.domain, b.smtp)
        a.start()
        b.route(a.domain, a.smtp)
        assert received(b, b.user, "arret propre")
    finally:
        peer.close()


def test_eight_bit_text_crosses_intact(operators):
    a, b = operators
    a.submit(b.user, "accents", body="R\u00e9sultats d'analyse \u2014 cr\u00e9atinine")
    assert received(b, b.user, "accents")
    uid = [row[0] for row in b.mail_list(b.user) if "accents" in " ".join(row)][-1]
    assert "R\u00e9sultats d'analyse \u2014 cr\u00e9atinine".encode() in b.mail_fetch(b.user, uid)
