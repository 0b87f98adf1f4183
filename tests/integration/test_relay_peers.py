"""Foreign and faulty peers of the relay (issue 11): Python peers on loopback with TLS stand in for
other operators' MTAs that stall, drop, babble, never end a reply, refuse everything, offer no
STARTTLS or show a bad certificate. For each: the message stays queued with the reason as last
error, nothing is sent in plain text (the peer records what it got before TLS), and the real peer
(mssd B) gets it after a flush. Then aiosmtpd as a correct foreign MTA, MX look-ups against a test
DNS server on loopback, and CHUNKING (BDAT) outbound."""
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

from loopback_peer import LoopbackPeer
from mssd_harness import correspondance, whitelist_xml, wait_for

TIMEOUT = 4  # the relay's greeting/command/data timeouts in this module, seconds


@pytest.fixture(scope="module")
def pair(operators):
    a, b = operators
    a.set_relay(greeting_timeout=TIMEOUT, command_timeout=TIMEOUT, data_timeout=TIMEOUT,
              data_end_timeout=TIMEOUT, first_retry=1, max_retry=2)
    return a, b


def inbox_count(server, subject):
    return sum(subject in " ".join(row) for row in server.mail_list(server.user))


def queue_line(a, address):
    return next((line for line in a.queue().splitlines() if address in line), "")


def deliver_after_flush(a, b, subject):
    """The route back to the real B, a flush: B files the message and A's queue empties of it."""
    a.route(b.domain, b.smtp)
    a.ctl("queue", "flush")
    assert wait_for(lambda: inbox_count(b, subject) == 1, 90), f"B never got {subject!r}:\n" + a.queue() + "\n".join(a.log[-30:])
    assert wait_for(lambda: subject not in a.queue() and b.user not in a.queue(), 60), a.queue()


class Peer(LoopbackPeer):
    """A foreign MTA on 127.0.0.1 that misbehaves in one chosen way. It records every octet it gets
    before TLS (`clear`) and the command lines it gets after (`commands`); `content` holds what DATA
    or BDAT carried. With no fault it is a correct MTA offering STARTTLS, PIPELINING (and CHUNKING
    when asked)."""

    def __init__(self, fault=None, cert=None, key=None, chunking=False):
        self.fault, self.chunking = fault, chunking
        self.context = None
        if cert:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(str(cert), str(key))
        self.clear = bytearray()
        self.commands = []
        self.content = []
        self.handshakes = 0
        self.pipelined = []  # per MAIL: were the next commands already there (RFC 2920)?
        super().__init__()

    def read_line(self, f, clear=True):
        line = f.readline(4096)
        if not line:
            raise OSError("closed")
        if clear:
            self.clear += line
        return line

    def drain(self, f, clear=True):
        """Reads (and records) until the client closes: a peer that says nothing more."""
        while True:
            self.read_line(f, clear)

    def converse(self, conn):
        f = conn.makefile("rb")
        if self.fault == "garbage":
            conn.sendall(b"Bonjour, ceci n'est pas du SMTP\r\n")
            self.drain(f)
        conn.sendall(b"220 peer.example ESMTP\r\n")
        if self.fault == "stall_after_greeting":
            self.drain(f)
        if self.fault == "refuse_all":
            while True:
                line = self.read_line(f)
                if line[:4].upper() == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                conn.sendall(b"451 4.3.2 try again later\r\n")
        line = self.read_line(f)
        if self.fault == "trickle":  # a reply that goes on, one line at a time, each within the timeout
            conn.sendall(b"250-peer.example\r\n")
            while True:
                time.sleep(TIMEOUT * 0.6)
                conn.sendall(b"250-still here\r\n")
        if self.fault == "endless":
            while True:
                conn.sendall(b"250-peer.example and more and more\r\n" * 64)
        ehlo = [b"peer.example", b"PIPELINING", b"8BITMIME", b"SIZE 10240000"]
        if self.fault != "no_starttls":
            ehlo.append(b"STARTTLS")
        conn.sendall(self.multiline(250, ehlo))
        while True:
            line = self.read_line(f)
            verb = line[:8].strip().upper()
            if verb == b"STARTTLS" and self.fault != "no_starttls":
                conn.sendall(b"220 2.0.0 go ahead\r\n")
                break
            if verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            conn.sendall(b"250 ok\r\n")  # anything sent here would be in plain text: recorded above
        tls = self.context.wrap_socket(conn, server_side=True)
        self.handshakes += 1
        self.secured(tls)

    @staticmethod
    def more_waiting(tls, f):
        """Whether more commands arrived with MAIL, before we answered it (the client pipelines)."""
        time.sleep(0.3)
        tls.settimeout(0.5)
        try:
            return f.peek(1) != b""
        except (OSError, ValueError):
            return False
        finally:
            tls.settimeout(120)

    def multiline(self, code, lines):
        return b"".join(b"%d%s%s\r\n" % (code, b" " if i == len(lines) - 1 else b"-", text)
                        for i, text in enumerate(lines))

    def secured(self, tls):
        f = tls.makefile("rb")
        while True:
            line = self.read_line(f, clear=False)
            self.commands.append(line.rstrip(b"\r\n").decode(errors="replace"))
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()
            if verb == b"EHLO":
                ehlo = [b"peer.example", b"PIPELINING", b"8BITMIME", b"SIZE 10240000"]
                if self.chunking:
                    ehlo.append(b"CHUNKING")
                tls.sendall(self.multiline(250, ehlo))
            elif verb == b"MAIL" and self.fault == "garbage_after_tls":
                tls.sendall(b"hello? \x00\xff\r\n")
            elif verb == b"MAIL":
                self.pipelined.append(self.more_waiting(tls, f))
                tls.sendall(b"250 ok\r\n")
            elif verb == b"DATA":
                tls.sendall(b"354 go ahead\r\n")
                if self.fault == "drop_mid_data":
                    f.read(20)
                    tls.close()
                    return
                content = bytearray()
                while True:
                    part = self.read_line(f, clear=False)
                    if part == b".\r\n":
                        break
                    content += part
                self.content.append(bytes(content))
                if self.fault == "stall_after_data":
                    self.drain(f, clear=False)
                tls.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"BDAT":
                size = int(line.split()[1])
                data = f.read(size)
                self.content.append(data)
                tls.sendall(b"250 2.0.0 %d octets\r\n" % size)
            elif verb == b"QUIT":
                tls.sendall(b"221 bye\r\n")
                return
            else:
                tls.sendall(b"250 ok\r\n")


def sent_in_clear_only_the_greeting_commands(peer):
    """What a peer got before TLS: EHLO and STARTTLS at most, never an envelope nor content."""
    for line in bytes(peer.clear).split(b"\r\n"):
        assert line == b"" or line.split(b" ")[0].upper() in (b"EHLO", b"STARTTLS", b"QUIT"), bytes(peer.clear)


def b_identity(b):
    pki = b.data / "pki"
    return pki / "server.crt", pki / "server.key"


FAULTS = [
    ("stall_after_greeting", "the peer did not answer in time"),
    ("garbage", "the peer's reply cannot be read"),
    ("endless", "the peer's reply cannot be read: a reply of more than 100 lines"),
    ("trickle", "the peer did not answer in time"),
    ("refuse_all", "EHLO: 451 4.3.2"),
    ("no_starttls", "the peer offers no STARTTLS"),
    ("garbage_after_tls", "the peer's reply cannot be read"),
    ("drop_mid_data", "the peer closed the connection"),
    ("stall_after_data", "the peer did not answer in time"),
]


@pytest.mark.parametrize("fault,reason", FAULTS)
def test_faulty_peer_keeps_the_message_queued_and_a_good_peer_gets_it(pair, fault, reason):
    a, b = pair
    cert, key = b_identity(b)
    peer = Peer(fault, cert, key)
    subject = f"pair fautif {fault}"
    try:
        a.route(b.domain, peer.port)
        a.submit(b.user, subject, body="donnees de sante confidentielles")
        assert a.wait_log(rf"to=<medecin@b\.mssante\.fr> peer=127\.0\.0\.1:{peer.port} .*status=deferred "
                          rf"reply=\"{re.escape(reason)}", timeout=90), "\n".join(a.log[-20:])
        assert reason in queue_line(a, b.user)
        sent_in_clear_only_the_greeting_commands(peer)
        if fault in ("drop_mid_data", "stall_after_data"):
            assert peer.handshakes >= 1 and peer.content or fault == "drop_mid_data"
    finally:
        peer.close()
    deliver_after_flush(a, b, subject)
    assert a.proc.poll() is None


def issue_server_certificate(b, tmp_path, name, *extra):
    out = tmp_path / name
    b.ctl("pki", "issue", "organisation", "--kind", "server", "--name", b.domain.upper(), "--finess", "010000077",
          "--cn", "localhost", "--out", str(out), *extra)
    return out / "cert.pem", out / "key.pem"


def self_signed(tmp_path):
    cert, key = tmp_path / "self.pem", tmp_path / "self.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "30", "-subj", "/CN=localhost/O=SELF", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("kind,reason", [
    ("expired", "the peer's certificate is refused: "),
    ("revoked", "the peer's certificate is refused: "),
    ("self_signed", "the peer's certificate is refused: "),
    ("unlisted", "is not the one the whitelist lists for b.mssante.fr"),
])
def test_peer_with_a_bad_certificate_gets_nothing(pair, tmp_path, kind, reason):
    a, b = pair
    if kind == "expired":
        cert, key = issue_server_certificate(b, tmp_path, kind, "--not-before", "2024-01-01", "--days", "30")
    elif kind == "revoked":
        cert, key = issue_server_certificate(b, tmp_path, kind)
        b.ctl("pki", "revoke", str(cert), "--reason", "keyCompromise")
        bundle = tmp_path / "b-crls.pem"
        bundle.write_text(b.chain_and_crls())
        a.ctl("pki", "trust", "add", str(bundle))
        a.set_relay()  # reload: the new CRL
    elif kind == "self_signed":
        cert, key = self_signed(tmp_path)
    else:  # a valid certificate of B's IGC, but not the one the whitelist lists for b.mssante.fr
        cert, key = issue_server_certificate(b, tmp_path, kind)
    peer = Peer(None, cert, key)
    subject = f"certificat {kind}"
    try:
        a.ctl("route", "add", b.domain, f"localhost:{peer.port}")
        a.submit(b.user, subject, body="donnees de sante confidentielles")
        assert a.wait_log(rf"to=<medecin@b\.mssante\.fr> peer=localhost:{peer.port} .*status=deferred "
                          rf"reply=\"[^\"]*{re.escape(reason)}", timeout=90), "\n".join(a.log[-20:])
        line = queue_line(a, b.user)
        assert reason in line, line
        if kind == "expired":
            assert "expired" in line, line
        if kind == "revoked":
            assert "revoked" in line, line
        sent_in_clear_only_the_greeting_commands(peer)
        assert peer.commands == [] or kind == "unlisted" and all(
            not c.upper().startswith(("MAIL", "RCPT", "DATA", "BDAT")) for c in peer.commands), peer.commands
    finally:
        peer.close()
    deliver_after_flush(a, b, subject)


# -- other peers the whitelist lists --------------------------------------------------------------
def list_domain(a, b, domain, dn, addresses):
    """Adds `domain` (operator `dn`) to A's whitelist and `addresses` to A's directory, keeping what the
    module listed before."""
    listed = a.__dict__.setdefault("peers_listed", {"domains": [], "addresses": []})
    listed["domains"].append((domain, dn))
    listed["addresses"] += addresses
    wl = a.data / "liste_blanche.xml"
    wl.write_text(whitelist_xml([(a.domain, a.operator_dn), (b.domain, b.operator_dn), *listed["domains"]]))
    a.ctl("directory", "whitelist", "import", str(wl))
    stamp = 202612100000 + len(listed["domains"]) * 100
    ex = a.data / f"Extraction_Correspondance_MSSante_{stamp}.txt"
    ex.write_bytes(correspondance([b.user, *listed["addresses"]]))
    a.ctl("directory", "import", str(ex))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AiosmtpdPeer:
    """Python's aiosmtpd as a correct foreign MTA: STARTTLS required, PIPELINING announced; keeps each
    envelope with the commands' order and whether TLS was on."""

    def __init__(self, cert, key):
        from aiosmtpd.controller import Controller
        self.received = []
        self.verbs = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True, ready_timeout=60)
        self.controller.start()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.verbs.append("MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.verbs.append("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.verbs.append("DATA")
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                              session.ssl is not None))
        return "250 2.0.0 accepted by aiosmtpd"

    def close(self):
        self.controller.stop()


def test_aiosmtpd_as_a_foreign_mta_gets_the_mail_over_tls_with_pipelining(pair, tmp_path):
    a, b = pair
    cert, key = issue_server_certificate(b, tmp_path, "aiosmtpd")
    from mssd_harness import certificate_subject
    list_domain(a, b, "ext.mssante.fr", certificate_subject(cert), ["dr.who@ext.mssante.fr"])
    peer = AiosmtpdPeer(cert, key)
    try:
        a.ctl("route", "add", "ext.mssante.fr", f"localhost:{peer.port}")
        a.submit("dr.who@ext.mssante.fr", "vers aiosmtpd", body=".ligne qui commence par un point\r\nfin")
        assert wait_for(lambda: peer.received, 90), "\n".join(a.log[-20:])
        sender, rcpts, content, secure = peer.received[0]
        assert sender == a.user and rcpts == ["dr.who@ext.mssante.fr"] and secure
        assert b"Subject: vers aiosmtpd" in content
        assert b"\r\n.ligne qui commence par un point\r\nfin" in content  # dot-stuffing undone by the peer
        assert peer.verbs == ["MAIL", "RCPT", "DATA"]
        assert a.wait_log(r"to=<dr\.who@ext\.mssante\.fr> peer=localhost:\d+ .*tls=\"TLSv1\.[23].*status=sent "
                          r"reply=\"250 2\.0\.0 accepted by aiosmtpd", timeout=60)
        assert wait_for(lambda: "dr.who@ext.mssante.fr" not in a.queue(), 60), a.queue()
    finally:
        peer.close()


def test_a_pipelining_peer_gets_the_envelope_in_one_write(pair):
    a, b = pair
    cert, key = b_identity(b)
    peer = Peer(None, cert, key)
    try:
        a.route(b.domain, peer.port)
        a.submit(b.user, "en une fois")
        assert wait_for(lambda: peer.content, 90), "\n".join(a.log[-20:])
        assert peer.pipelined[:1] == [True]
        assert [c.split(":")[0].split(" ")[0] for c in peer.commands[:4]] == ["EHLO", "MAIL", "RCPT", "DATA"]
    finally:
        peer.close()
        a.route(b.domain, b.smtp)


# -- CHUNKING outbound (RFC 3030) ---------------------------------------------------------------
def test_a_peer_offering_chunking_gets_bdat_without_dot_stuffing(pair):
    a, b = pair
    cert, key = b_identity(b)
    peer = Peer(None, cert, key, chunking=True)
    body = ".ligne qui commence par un point\r\n..deux points\r\n.\r\nfin"
    try:
        a.route(b.domain, peer.port)
        a.submit(b.user, "en morceaux", body=body)
        assert wait_for(lambda: peer.content, 90), "\n".join(a.log[-20:])
        verbs = [c.split(":")[0].split(" ")[0].upper() for c in peer.commands]
        assert "DATA" not in verbs and "BDAT" in verbs, peer.commands
        bdat = next(c for c in peer.commands if c.upper().startswith("BDAT"))
        size = int(bdat.split()[1])
        assert bdat.upper().endswith(" LAST") and size == len(peer.content[0])
        assert peer.content[0].endswith(b"\r\n" + body.encode() + b"\r\n")  # as it is: no dot-stuffing
        assert a.wait_log(r"to=<medecin@b\.mssante\.fr> peer=127\.0\.0\.1:%d .*status=sent reply=\"250 2\.0\.0 %d "
                          r"octets" % (peer.port, size), timeout=60)
    finally:
        peer.close()
        a.route(b.domain, b.smtp)


def test_mssd_peer_takes_bdat_and_the_dots_cross_intact(pair):
    a, b = pair
    body = ".premiere\r\n..seconde\r\n.\r\nfin"
    a.submit(b.user, "points intacts", body=body)
    assert wait_for(lambda: inbox_count(b, "points intacts") == 1, 90)
    uid = [row[0] for row in b.mail_list(b.user) if "points intacts" in " ".join(row)][-1]
    assert (body + "\r\n").encode() in b.mail_fetch(b.user, uid)


# -- DNS: MX look-ups against a test name server --------------------------------------------------
class NameServer:
    """A name server on 127.0.0.1 (UDP) answering each name as told: ("mx", host), "nxdomain",
    "servfail" or "silent" (no answer at all); it records the names asked."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.answers = {}
        self.asked = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        import dns.message
        import dns.rcode
        import dns.rrset
        while True:
            try:
                wire, client = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(wire)
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.asked.append(name)
            answer = self.answers.get(name, "nxdomain")
            if answer == "silent":
                continue
            reply = dns.message.make_response(query)
            if answer == "nxdomain":
                reply.set_rcode(dns.rcode.NXDOMAIN)
            elif answer == "servfail":
                reply.set_rcode(dns.rcode.SERVFAIL)
            else:
                reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "MX", f"10 {answer[1]}."))
            self.sock.sendto(reply.to_wire(), client)

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def dns_pair(pair):
    a, b = pair
    server = NameServer()
    a.ctl("route", "remove", b.domain)
    a.set_relay(dns_server=f"127.0.0.1:{server.port}", mx_port=b.smtp)
    yield a, b, server
    server.close()
    a.route(b.domain, b.smtp)


def test_mx_pointing_at_ourselves_is_refused_as_a_loop(dns_pair):
    a, b, server = dns_pair
    server.answers[b.domain] = ("mx", "localhost")
    a.set_relay(mx_port=a.smtp)  # the MX host with the relay's port: our own listener
    connects = sum("smtp: connect from" in line for line in a.log)
    try:
        a.submit(b.user, "boucle par le DNS")
        assert a.wait_log(r"to=<medecin@b\.mssante\.fr> .*status=deferred reply=\"the route to b\.mssante\.fr leads "
                          r"to ourselves \(127\.0\.0\.1\): a loop, refused", timeout=90), "\n".join(a.log[-20:])
        assert b.domain in server.asked
        assert "leads to ourselves" in queue_line(a, b.user)
        assert sum("smtp: connect from" in line for line in a.log) == connects  # never connected to itself
    finally:
        a.set_relay(mx_port=b.smtp)
    a.ctl("queue", "flush")
    assert wait_for(lambda: inbox_count(b, "boucle par le DNS") == 1, 90), a.queue()


def test_mx_to_a_good_peer_delivers(dns_pair):
    a, b, server = dns_pair
    server.answers[b.domain] = ("mx", "localhost")
    a.submit(b.user, "par le MX")
    assert wait_for(lambda: inbox_count(b, "par le MX") == 1, 90), a.queue()
    assert a.wait_log(r"to=<medecin@b\.mssante\.fr> peer=localhost:%d .*status=sent" % b.smtp, timeout=60)


@pytest.mark.parametrize("answer", ["servfail", "silent"])
def test_dns_failure_or_silence_is_retried(dns_pair, answer):
    a, b, server = dns_pair
    server.answers[b.domain] = answer
    subject = f"DNS {answer}"
    a.submit(b.user, subject)
    # This message's own queue line (the log holds the other case's lines too).
    assert wait_for(lambda: "no route to b.mssante.fr: DNS look-up of MX b.mssante.fr failed"
                    in queue_line(a, b.user), 120), "\n".join(a.log[-20:])
    server.answers[b.domain] = ("mx", "localhost")
    a.ctl("queue", "flush")
    assert wait_for(lambda: inbox_count(b, subject) == 1, 120), a.queue()


def test_nxdomain_fails_for_good_and_bounces(dns_pair):
    a, b, server = dns_pair
    list_domain(a, b, "disparu.mssante.fr", "CN=mx.disparu.mssante.fr,O=DISPARU,C=FR", ["x@disparu.mssante.fr"])
    bounces = inbox_count(a, "Undelivered Mail Returned to Sender")
    a.submit("x@disparu.mssante.fr", "vers un domaine disparu")
    assert a.wait_log(r"to=<x@disparu\.mssante\.fr> peer=- .*status=bounced reply=\"550 5\.1\.2 no route to "
                      r"disparu\.mssante\.fr: disparu\.mssante\.fr does not exist \(NXDOMAIN\)", timeout=90)
    assert "disparu.mssante.fr" in server.asked
    assert wait_for(lambda: inbox_count(a, "Undelivered Mail Returned to Sender") == bounces + 1, 60)
    uid = [row[0] for row in a.mail_list(a.user) if "Undelivered" in " ".join(row)][-1]
    assert b"Final-Recipient: rfc822; x@disparu.mssante.fr\r\nAction: failed\r\nStatus: 5.1.2" in \
        a.mail_fetch(a.user, uid)
    assert "x@disparu.mssante.fr(failed)" in a.queue()
