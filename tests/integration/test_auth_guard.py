"""Password guessing against the real mssd (issue 9, item 3): sessions closed after a few failures,
lock-outs that outlive the session and are logged, the same guard behind SMTP AUTH and IMAP LOGIN,
counters reset by a success, and other clients (another loopback address) still signing in,
selecting and getting mail delivered on port 25 while guessing goes on. Clients bind to 127.0.0.x
to play distinct addresses. Behaviour only: no durations asserted."""
import base64
import imaplib
import random
import smtplib
import socket
import threading

import pytest

from mssd_harness import DOCTOR, GP, PASSWORD, DOMAIN, deliver, wait_mail_count


@pytest.fixture(scope="module")
def guarded(server):
    """conftest's running mssd with the standard accounts, under the name these tests read best with."""
    return server


class BoundIMAP(imaplib.IMAP4_SSL):
    """imaplib over implicit TLS from a chosen loopback source address."""

    def __init__(self, server, source):
        self._source = source
        super().__init__("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class RawIMAP:
    """One IMAPS connection from `source`, line by line, to see the exact responses and the close."""

    def __init__(self, server, source):
        sock = socket.create_connection(("127.0.0.1", server.imaps), 30, source_address=(source, 0))
        self.sock = server.tls_context().wrap_socket(sock, server_hostname="127.0.0.1")
        self.file = self.sock.makefile("rb")
        assert self.readline().startswith("* OK")

    def readline(self):
        return self.file.readline().decode()

    def login(self, tag, user, password):
        self.sock.sendall(f'{tag} LOGIN "{user}" "{password}"\r\n'.encode())
        return self.readline()

    def close(self):
        self.sock.close()


def smtp_auth_plain(server, source, user, password):
    """One AUTH PLAIN on the submission port (STARTTLS) from `source`: (code, text) of the reply."""
    c = smtplib.SMTP("127.0.0.1", server.submission, timeout=30, source_address=(source, 0))
    c.starttls(context=server.tls_context())
    c.ehlo()
    code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode())
    c.close()
    return code, text.decode()


def test_imap_session_is_closed_after_three_failures(guarded):
    c = RawIMAP(guarded, "127.0.0.10")
    assert c.login("a1", f"a1@{DOMAIN}", "guess1").startswith("a1 NO [AUTHENTICATIONFAILED]")
    assert c.login("a2", f"a2@{DOMAIN}", "guess2").startswith("a2 NO [AUTHENTICATIONFAILED]")
    assert c.login("a3", f"a3@{DOMAIN}", "guess3").startswith("a3 NO [AUTHENTICATIONFAILED]")
    assert c.readline().startswith("* BYE Too many failed authentications")
    assert c.readline() == ""
    c.close()
    assert guarded.wait_log(r"imap: 3 failed authentications from 127\.0\.0\.10, closing")


def test_smtp_session_is_closed_after_three_failures(guarded):
    c = smtplib.SMTP("127.0.0.1", guarded.submission, timeout=30, source_address=("127.0.0.11", 0))
    c.starttls(context=guarded.tls_context())
    c.ehlo()
    for i in range(3):
        plain = base64.b64encode(f"\0s{i}@{DOMAIN}\0guess".encode()).decode()
        code, text = c.docmd("AUTH", "PLAIN " + plain)
        assert (code, text[:5]) == (535, b"5.7.8")
    code, text = c.docmd("NOOP")  # the 421 already sent after the third 535
    assert (code, text[:5]) == (421, b"4.7.0") and b"Too many failed authentications" in text
    with pytest.raises(smtplib.SMTPServerDisconnected):
        c.docmd("NOOP")


def test_lockout_outlives_the_session_for_that_address_only_and_is_logged(guarded):
    guesser = RawIMAP(guarded, "127.0.0.12")
    for tag in ("g1", "g2", "g3"):
        assert "NO [AUTHENTICATIONFAILED]" in guesser.login(tag, GP, "guess")
    guesser.close()
    assert guarded.wait_log(rf"auth: lock-out of account {GP} from IP 127\.0\.0\.12 for 60 s after 3 failures")
    # Reconnecting does not help, even with the right password: refused without a check, on both protocols.
    again = RawIMAP(guarded, "127.0.0.12")
    assert again.login("g4", GP, PASSWORD).startswith("g4 NO [UNAVAILABLE]")
    again.close()
    code, text = smtp_auth_plain(guarded, "127.0.0.12", GP, PASSWORD)
    assert (code, text[:5]) == (454, "4.7.0")
    assert guarded.wait_log(rf"imap: authentication of {GP} from 127\.0\.0\.12 refused: locked out")
    # The owner, elsewhere, is not locked out; another account from the guesser's address neither.
    owner = BoundIMAP(guarded, "127.0.0.13")
    assert owner.login(GP, PASSWORD)[0] == "OK"
    owner.logout()
    other = BoundIMAP(guarded, "127.0.0.12")
    assert other.login(DOCTOR, PASSWORD)[0] == "OK"
    other.logout()


def test_unknown_addresses_are_locked_out_alike(guarded):
    ghost = f"personne@{DOMAIN}"
    c = RawIMAP(guarded, "127.0.0.14")
    for tag in ("u1", "u2", "u3"):
        assert "NO [AUTHENTICATIONFAILED]" in c.login(tag, ghost, "guess")
    c.close()
    assert guarded.wait_log(rf"auth: lock-out of account {ghost} from IP 127\.0\.0\.14 for 60 s after 3 failures")
    c = RawIMAP(guarded, "127.0.0.14")
    assert c.login("u4", ghost, "guess").startswith("u4 NO [UNAVAILABLE]")
    c.close()


def test_an_address_guessing_many_accounts_is_locked_out_for_all(guarded):
    """SMTP and IMAP failures count together: the 11th attempt from the address is refused unchecked."""
    outcomes = []
    for session in range(4):
        code, _ = smtp_auth_plain(guarded, "127.0.0.15", f"x{session}@{DOMAIN}", "guess")
        outcomes.append({535: "failed", 454: "locked"}.get(code, code))
        c = RawIMAP(guarded, "127.0.0.15")
        for tag in ("a", "b"):
            reply = c.login(tag, f"{tag}{session}@{DOMAIN}", "guess")
            outcomes.append("failed" if "NO [AUTHENTICATIONFAILED]" in reply
                            else "locked" if "NO [UNAVAILABLE]" in reply else reply)
        c.close()
    assert outcomes == ["failed"] * 10 + ["locked"] * 2
    assert guarded.wait_log(r"auth: lock-out of IP 127\.0\.0\.15 for 60 s after 10 failures")
    c = RawIMAP(guarded, "127.0.0.15")
    assert c.login("ok", DOCTOR, PASSWORD).startswith("ok NO [UNAVAILABLE]")
    c.close()


def test_a_success_resets_the_counts(guarded):
    for _ in range(3):
        c = RawIMAP(guarded, "127.0.0.16")
        assert "NO [AUTHENTICATIONFAILED]" in c.login("f1", DOCTOR, "typo1")
        assert "NO [AUTHENTICATIONFAILED]" in c.login("f2", DOCTOR, "typo2")
        assert c.login("ok", DOCTOR, PASSWORD).startswith("ok OK")
        c.close()


def test_others_sign_in_and_get_mail_while_guessing_goes_on(guarded):
    stop = threading.Event()
    seen = {"unavailable": 0, "failed": 0}
    lock = threading.Lock()

    def guess(source):
        rng = random.Random(source)
        while not stop.is_set():
            try:
                c = RawIMAP(guarded, source)
                for n in range(5):
                    reply = c.login(f"t{n}", f"user{rng.randrange(50)}@{DOMAIN}", f"pw{rng.randrange(10**6)}")
                    with lock:
                        seen["unavailable"] += "NO [UNAVAILABLE]" in reply
                        seen["failed"] += "NO [AUTHENTICATIONFAILED]" in reply
                    if not reply or "BYE" in reply or stop.is_set():
                        break
                c.close()
            except OSError:
                pass

    guessers = [threading.Thread(target=guess, args=(f"127.0.0.{20 + i % 3}",), daemon=True) for i in range(12)]
    for t in guessers:
        t.start()
    try:
        assert guarded.wait_log(r"auth: lock-out of IP 127\.0\.0\.2[012] for", timeout=60)
        for round in range(3):
            c = BoundIMAP(guarded, "127.0.0.2")
            assert c.login(DOCTOR, PASSWORD)[0] == "OK"
            assert c.select("INBOX")[0] == "OK"
            c.logout()
            before = len(guarded.mail_list(GP))
            deliver(guarded, GP, f"during the attack {round}")
            assert len(wait_mail_count(guarded, GP, before + 1)) == before + 1
    finally:
        stop.set()
        for t in guessers:
            t.join(timeout=30)
    assert seen["failed"] > 0 and seen["unavailable"] > 0


def test_a_full_hashing_queue_is_a_temporary_refusal_on_both_protocols(fresh):
    """One check at a time (hash_queue = 1) at the production cost: of two LOGINs sent together, one is
    checked and the other refused unchecked as a temporary failure; SMTP AUTH alike."""
    fresh.configure(password_scrypt_log_n=17, hash_queue=1, hash_queue_per_ip=1)
    fresh.start()
    first, second = RawIMAP(fresh, "127.0.0.40"), RawIMAP(fresh, "127.0.0.41")
    first.sock.sendall(f'q1 LOGIN "{GP}" "guess"\r\n'.encode())
    second.sock.sendall(f'q2 LOGIN "{DOCTOR}" "guess"\r\n'.encode())
    replies = sorted([first.readline(), second.readline()])
    first.close()
    second.close()
    assert replies[0].startswith("q1 NO [") and replies[1].startswith("q2 NO [")
    assert sum("NO [UNAVAILABLE] Authentication service busy" in r for r in replies) == 1
    assert sum("NO [AUTHENTICATIONFAILED]" in r for r in replies) == 1
    assert fresh.wait_log(r"imap: authentication of \S+ from 127\.0\.0\.4[01] deferred: password checks queue full")

    busy = RawIMAP(fresh, "127.0.0.42")
    busy.sock.sendall(f'q3 LOGIN "{GP}" "guess"\r\n'.encode())
    code, text = smtp_auth_plain(fresh, "127.0.0.43", DOCTOR, "guess")
    assert "NO [AUTHENTICATIONFAILED]" in busy.readline()
    busy.close()
    assert (code, text[:5]) == (454, "4.7.0")
