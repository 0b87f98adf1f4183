"""The relay's failure path on a reused connection: a peer (Python, loopback, TLS) takes the first
message of a batch on a connection and then closes it (right after that 250, during the next
message's MAIL or RCPT, during its content), or closes a connection that idles waiting for more
mail (the relay keeps one 2 s). Several messages are queued to it at once. mssd must stay alive
(its ports still answer, no sanitizer report in its log) and every message must arrive exactly
once: at the peer, or at the real B after a flush; none lost. Run with MSSD_BUILD=build-asan too."""
import re
import smtplib
import socket
import ssl
import struct
import threading
import time

import pytest

from loopback_peer import LoopbackPeer

TIMEOUT = 4       # the relay's greeting/command/data timeouts in this module, seconds
MESSAGES = 4      # queued at once to the faulty peer
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|free\(\): |double free|Segmentation")


def wait_for(predicate, timeout=60, server=None):
    """Polls predicate; a server that dies meanwhile (or reports a memory fault) fails the test at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None:
            assert server.proc.poll() is None, "mssd died:\n" + "\n".join(server.log[-60:])
            assert not sanitizer_reports(server), "\n".join(server.log[-200:])
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def pair(operators):
    a, b = operators
    # A long first retry: what a faulty peer left deferred stays queued until the test flushes it.
    a.set_relay(greeting_timeout=TIMEOUT, command_timeout=TIMEOUT, data_timeout=TIMEOUT,
              data_end_timeout=TIMEOUT, first_retry=600, max_retry=600)
    return a, b


def sanitizer_reports(server):
    found = [line for line in server.log if SANITIZER.search(line)]
    if found:
        time.sleep(3)  # the rest of the report (its stacks) is still being written
    return found


def assert_alive(a):
    """The process runs, says nothing of a memory fault, and answers on its SMTP and IMAP ports."""
    assert a.proc.poll() is None, "mssd died:\n" + "\n".join(a.log[-60:])
    assert not sanitizer_reports(a), "\n".join(a.log[-200:])
    with smtplib.SMTP("127.0.0.1", a.smtp, timeout=30) as c:
        assert c.ehlo()[0] == 250
        assert c.noop()[0] == 250
    with socket.create_connection(("127.0.0.1", a.imap), timeout=30) as s:
        assert s.recv(200).startswith(b"* OK")


def inbox_subjects(server):
    return [" ".join(row) for row in server.mail_list(server.user)]


class ClosingPeer(LoopbackPeer):
    timeout = 60

    """A correct foreign MTA (STARTTLS, PIPELINING unless told otherwise) that closes each connection
    once in a chosen way: `after_250` right after its 250 to the first message's final dot; `mail`
    on the second message's MAIL (no reply); `rcpt` on its RCPT (MAIL answered); `content` after
    the first octets of its content (after 354); `idle` once nothing came for `idle_after` seconds
    after a 250 to a dot (the relay waits for more mail). `reset` closes with a TCP RST instead of
    a FIN. `accepted` holds the Subject of each message it said 250 to."""

    def __init__(self, fault, cert, key, reset=False, pipelining=True, idle_after=0.3):
        self.fault, self.reset, self.pipelining, self.idle_after = fault, reset, pipelining, idle_after
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.accepted = []
        self.closed = 0  # connections this peer cut
        self.cut = threading.Event()
        self.cut_at = None  # time.monotonic() of the last cut
        super().__init__()

    def ehlo(self, secure):
        lines = [b"peer.example", b"8BITMIME", b"SIZE 20480000"]
        if self.pipelining:
            lines.append(b"PIPELINING")
        if not secure:
            lines.append(b"STARTTLS")
        return b"".join(b"250%s%s\r\n" % (b" " if i == len(lines) - 1 else b"-", t) for i, t in enumerate(lines))

    def converse(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 peer.example ESMTP\r\n")
        while True:
            line = f.readline(4096)
            if not line:
                return
            verb = line[:8].strip().upper()
            if verb.startswith(b"EHLO"):
                conn.sendall(self.ehlo(False))
            elif verb == b"STARTTLS":
                conn.sendall(b"220 2.0.0 go ahead\r\n")
                break
            else:
                conn.sendall(b"503 5.5.1 STARTTLS first\r\n")
        f.close()
        tls = self.context.wrap_socket(conn, server_side=True)
        self.secured(tls)

    def cut_now(self, tls, f):
        """Closes the connection at once, with a FIN or (reset) an RST."""
        self.closed += 1
        if self.reset:
            tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            try:
                tls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        f.close()
        tls.close()
        self.cut_at = time.monotonic()
        self.cut.set()

    def secured(self, tls):
        f = tls.makefile("rb")
        transactions = 0  # MAIL commands on this connection
        after_dot = False
        while True:
            if self.fault == "idle" and after_dot:
                tls.settimeout(self.idle_after)
                try:
                    line = f.readline(4096)
                except (socket.timeout, TimeoutError):
                    return self.cut_now(tls, f)
                finally:
                    tls.settimeout(60)
            else:
                line = f.readline(4096)
            if not line:
                return
            after_dot = False
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()
            if verb == b"EHLO":
                tls.sendall(self.ehlo(True))
            elif verb == b"MAIL":
                transactions += 1
                if self.fault == "mail" and transactions == 2:
                    return self.cut_now(tls, f)
                tls.sendall(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                if self.fault == "rcpt" and transactions == 2:
                    return self.cut_now(tls, f)
                tls.sendall(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                tls.sendall(b"354 go ahead\r\n")
                if self.fault == "content" and transactions == 2:
                    f.readline(4096)
                    return self.cut_now(tls, f)
                content = bytearray()
                while True:
                    part = f.readline(1 << 20)
                    if not part:
                        return
                    if part == b".\r\n":
                        break
                    content += part
                subject = re.search(rb"^Subject: (.*?)\r?$", bytes(content), flags=re.M)
                tls.sendall(b"250 2.0.0 queued\r\n")
                self.accepted.append(subject.group(1).decode() if subject else "?")
                after_dot = True
                if self.fault == "after_250" and transactions == 1:
                    return self.cut_now(tls, f)
            elif verb == b"QUIT":
                tls.sendall(b"221 2.0.0 bye\r\n")
                return
            else:  # RSET, NOOP
                tls.sendall(b"250 2.0.0 ok\r\n")


def b_identity(b):
    pki = b.data / "pki"
    return pki / "server.crt", pki / "server.key"


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queue_batch(a, b, tag, count=MESSAGES):
    """`count` messages to B, held back (route to a closed port) until each has been deferred once,
    so that a flush makes them all due together: one connection takes them as one batch."""
    a.route(b.domain, closed_port())
    subjects = [f"{tag} {i}" for i in range(count)]
    for s in subjects:
        a.submit(b.user, s, body=f"message {s}\r\nligne deux")
    # Every one of them deferred (its attempt recorded): none is in flight any more.
    assert wait_for(lambda: deferred_count(a, b) == count, 90, a), a.queue()
    return subjects


def deferred_count(a, b):
    return sum(1 for line in a.queue().splitlines() if b.user in line and "cannot connect" in line)


def check_exactly_once(a, b, peer, subjects):
    """Every subject at the peer or at B, once in all; A's queue holds none of them."""
    got = inbox_subjects(b)
    for s in subjects:
        at_peer = peer.accepted.count(s)
        at_b = sum(1 for row in got if f" {s} " in row + " ")
        assert at_peer + at_b == 1, (s, peer.accepted, got, a.queue())
    assert b.user not in a.queue(), a.queue()


def flush_to_b(a, b, subjects):
    a.route(b.domain, b.smtp)
    a.ctl("queue", "flush")
    assert wait_for(lambda: b.user not in a.queue(), 120, a), a.queue() + "\n" + "\n".join(a.log[-30:])


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
@pytest.mark.parametrize("fault", ["after_250", "mail", "rcpt", "content"])
def test_peer_closing_a_reused_connection_mid_batch(pair, fault, reset):
    a, b = pair
    assert_alive(a)
    assert b.user not in a.queue(), a.queue()
    cert, key = b_identity(b)
    peer = ClosingPeer(fault, cert, key, reset=reset)
    tag = f"lot {fault} {'rst' if reset else 'fin'}"
    try:
        subjects = queue_batch(a, b, tag)
        a.route(b.domain, peer.port)
        a.ctl("queue", "flush")
        # The first message goes, the connection is cut, the others are deferred with the reason.
        assert wait_for(lambda: peer.cut.is_set(), 60, a), "\n".join(a.log[-30:])
        assert wait_for(lambda: sum(1 for line in a.queue().splitlines() if b.user in line and "cannot connect"
                                    not in line) == MESSAGES - 1, 60, a), a.queue() + "\n".join(a.log[-30:])
        assert len(peer.accepted) == 1, peer.accepted
        assert peer.connections == 1
        reasons = {m.group(1) for line in a.log
                   if (m := re.search(rf"peer=127\.0\.0\.1:{peer.port} .*status=deferred reply=\"([^\"]*)", line))}
        assert reasons and reasons <= {"the peer closed the connection",
                                       "the peer did not take the message (closed, or no progress within data_timeout)"}, reasons
        time.sleep(1)  # the failure path has run: its outcomes are written, the connection let go
        assert_alive(a)
    finally:
        peer.close()
    flush_to_b(a, b, subjects)
    assert wait_for(lambda: sum(tag in row for row in inbox_subjects(b)) == MESSAGES - 1, 60), inbox_subjects(b)
    check_exactly_once(a, b, peer, subjects)
    assert_alive(a)


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
def test_peer_closing_an_idle_connection(pair, reset):
    """The whole batch goes; the peer then closes the connection the relay keeps open for 2 s. A
    message queued meanwhile finds it closed (RSET fails) and goes on a new connection; the next
    idle connection the peer closes is left by QUIT on a dead socket."""
    a, b = pair
    assert_alive(a)
    cert, key = b_identity(b)
    peer = ClosingPeer("idle", cert, key, reset=reset)
    tag = f"inactif {'rst' if reset else 'fin'}"
    try:
        subjects = queue_batch(a, b, tag)
        a.route(b.domain, peer.port)
        a.ctl("queue", "flush")
        assert wait_for(lambda: peer.cut.is_set(), 60, a), "\n".join(a.log[-30:])
        assert len(peer.accepted) == MESSAGES, peer.accepted
        late = f"{tag} tardif"
        a.submit(b.user, late)  # while the relay still holds the dead connection (2 s)
        print(f"late message queued {time.monotonic() - peer.cut_at:.2f} s after the cut")
        subjects.append(late)
        assert wait_for(lambda: late in peer.accepted, 60, a), "\n".join(a.log[-30:])
        assert wait_for(lambda: b.user not in a.queue(), 60, a), a.queue()
        peer.cut.clear()
        assert wait_for(lambda: peer.cut.is_set(), 30, a)
        time.sleep(3)  # the relay's idle time is over: it has left the dead connection
        assert_alive(a)
    finally:
        peer.close()
    check_exactly_once(a, b, peer, subjects)
    assert_alive(a)


def test_clean_shutdown_without_sanitizer_report(pair):
    """Last: both servers stop on SIGTERM, and nothing a sanitizer says at exit (the ASan build's
    leak check included) is in their logs."""
    a, b = pair
    assert_alive(a)
    for server in (a, b):
        assert server.stop() == 0, "\n".join(server.log[-100:])
        assert not sanitizer_reports(server), "\n".join(server.log[-200:])
