"""SMTP intake against the real mssd with clients not written here (smtplib, swaks): each listener's
rules with their exact codes, what is stored, bad input, and kill -9 durability."""
import hashlib
import signal
import smtplib
import socket
import subprocess
import threading

import pytest

from mssd_harness import DOCTOR, GP, LAB, PASSWORD, PRACTICE, RETIRED, SECRETARY


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    return s, f


def reply(f):
    """Reads one (possibly multi-line) reply; returns (code, last line)."""
    while True:
        line = f.readline()
        assert line, "connection closed"
        if line[3:4] != b"-":
            return int(line[:3]), line.decode(errors="replace").strip()


def count(server, address):
    return len(server.mail_list(address))


def submit(server, user, password=PASSWORD):
    c = smtplib.SMTP("127.0.0.1", server.submission, timeout=30)
    c.starttls(context=server.tls_context())
    c.login(user, password)
    return c


def test_relay_delivers_with_trace_headers(server):
    before = count(server, GP)
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        c.ehlo("mx.labo-y.mssante.fr")
        assert c.sendmail("results@labo-y.mssante.fr", [GP], b"Subject: NFS\r\n\r\nHb 14.2\r\n") == {}
    uid = server.mail_list(GP)[-1][0]
    stored = server.mail_fetch(GP, uid)
    assert count(server, GP) == before + 1
    assert stored.startswith(b"Return-Path: <results@labo-y.mssante.fr>\r\nReceived: from mx.labo-y.mssante.fr")
    assert b"with ESMTP id" in stored and stored.endswith(b"Hb 14.2\r\n")


def test_relay_refusals_have_exact_codes(server):
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        c.ehlo()
        assert c.mail("a@labo-y.mssante.fr")[0] == 250
        assert c.rcpt("nobody@test.mssante.fr")[:1] == (550,) and b"5.1.1" in c.rcpt("nobody@test.mssante.fr")[1]
        code, text = c.rcpt(RETIRED)
        assert (code, text[:5]) == (550, b"5.2.1")
        code, text = c.rcpt("someone@chu-x.mssante.fr")
        assert (code, text[:5]) == (554, b"5.7.1")
        c.rset()
        code, text = c.mail(GP)
        assert (code, text[:5]) == (553, b"5.7.1")


def test_submission_requires_tls_then_auth(server):
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=30) as c:
        c.ehlo()
        assert not c.has_extn("auth") and c.has_extn("starttls")
        assert c.docmd("AUTH PLAIN")[0] == 530
        c.starttls(context=server.tls_context())
        c.ehlo()
        assert "PLAIN" in c.esmtp_features["auth"] and "EXTERNAL" not in c.esmtp_features["auth"]
        code, text = c.mail(GP)
        assert (code, text[:5]) == (530, b"5.7.0")
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            c.login(GP, "wrong")
        assert e.value.smtp_code == 535


def test_send_as_rules(server):
    with submit(server, GP) as c:
        assert c.sendmail(GP, [DOCTOR], f"From: <{GP}>\r\nSubject: as myself\r\n\r\nx\r\n".encode()) == {}
        assert c.sendmail(PRACTICE, [DOCTOR], f"From: <{PRACTICE}>\r\nSubject: as the practice\r\n\r\nx\r\n".encode()) == {}
    with submit(server, SECRETARY) as c:
        with pytest.raises(smtplib.SMTPSenderRefused) as e:
            c.sendmail(PRACTICE, [DOCTOR], b"Subject: no right 0\r\n\r\nx\r\n")
        assert e.value.smtp_code == 553 and e.value.smtp_error.startswith(b"5.7.1")
        with pytest.raises(smtplib.SMTPSenderRefused):
            c.sendmail(GP, [DOCTOR], b"Subject: impersonation\r\n\r\nx\r\n")


def test_login_mechanism_and_implicit_tls(server):
    with smtplib.SMTP_SSL("127.0.0.1", server.submissions, context=server.tls_context(), timeout=30) as c:
        c.ehlo()
        c.user, c.password = DOCTOR, PASSWORD
        assert c.auth("LOGIN", c.auth_login, initial_response_ok=False)[0] == 235


def test_lab_authenticates_by_certificate(server):
    before = count(server, GP)
    ctx = server.tls_context(server.lab_dir / "cert.pem", server.lab_dir / "key.pem")
    with smtplib.SMTP_SSL("127.0.0.1", server.submissions, context=ctx, timeout=30) as c:
        c.ehlo()
        assert "EXTERNAL" in c.esmtp_features["auth"]
        code, text = c.docmd("AUTH", "EXTERNAL =")
        assert (code, text[:5]) == (235, b"2.7.0")
        assert c.sendmail(LAB, [GP], f"From: <{LAB}>\r\nSubject: CR biologie\r\n\r\nGlycemie 5.1 mmol/l\r\n".encode()) == {}
        with pytest.raises(smtplib.SMTPSenderRefused):
            c.sendmail(PRACTICE, [GP], b"Subject: not the lab\r\n\r\nx\r\n")
    assert count(server, GP) == before + 1
    # The lab has no password at all.
    with smtplib.SMTP_SSL("127.0.0.1", server.submissions, context=server.tls_context(), timeout=30) as c:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login(LAB, "")


def test_swaks_submission_with_pipelining(server):
    before = count(server, DOCTOR)
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{server.submission}", "--tls", "--tls-verify",
                        "--tls-ca-path", str(server.trust), "--auth", "PLAIN", "--auth-user", GP,
                        "--auth-password", PASSWORD, "--pipeline", "--from", GP, "--to", DOCTOR,
                        "--header", "Subject: swaks"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert count(server, DOCTOR) == before + 1


def test_external_without_certificate_is_refused(server):
    s, f = raw(server.submission)
    s.sendall(b"EHLO x\r\nSTARTTLS\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 220
    t = server.tls_context().wrap_socket(s, server_hostname="localhost")
    tf = t.makefile("rb")
    t.sendall(b"EHLO x\r\nAUTH EXTERNAL =\r\n")
    assert reply(tf)[0] == 250
    assert reply(tf)[1].startswith("535 5.7.8")
    t.close()


def test_bad_commands_get_exact_codes(server):
    s, f = raw(server.smtp)
    s.sendall(b"EHLO x\n")
    assert reply(f)[1].startswith("500 5.5.2")
    s.sendall(b"NOOP \x00\r\n")
    assert reply(f)[1].startswith("500 5.5.2")
    s.sendall(b"NOOP " + b"x" * 700 + b"\r\n")
    assert reply(f)[1].startswith("500 5.5.2")
    s.sendall(b"FROB\r\nEHLO x\r\nMAIL FROM:<a@b.example> SIZE=999999999\r\n")
    assert reply(f)[1].startswith("500 5.5.1")
    assert reply(f)[0] == 250
    assert reply(f)[1].startswith("552 5.3.4")
    s.close()


def test_bare_lf_in_data_stores_nothing(server):
    before = count(server, GP)
    s, f = raw(server.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    s.sendall(b"Subject: smuggle\r\n\r\nx\n.\r\nMAIL FROM:<evil@b.example>\r\n\r\n.\r\n")
    assert reply(f)[1].startswith("550 5.6.0")
    s.close()
    assert count(server, GP) == before


def test_too_many_errors_closes(server):
    s, f = raw(server.smtp)
    s.sendall(b"BAD\r\n" * 12)
    codes = [reply(f)[0] for _ in range(11)]
    assert codes == [500] * 10 + [421]
    assert f.readline() == b""


def test_kill9_loses_no_acknowledged_message(fresh):
    fresh.start()
    acknowledged = set()
    errors = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker):
        try:
            with smtplib.SMTP("127.0.0.1", fresh.smtp, timeout=30) as c:
                for i in range(400):
                    if stop.is_set():
                        return
                    body = f"worker {worker} message {i}\r\n" + ("x" * 76 + "\r\n") * 26
                    digest = hashlib.sha256(body.encode()).hexdigest()
                    msg = f"Subject: {worker}-{i} {digest}\r\n\r\n{body}"
                    c.sendmail("load@labo-y.mssante.fr", [GP], msg)
                    with lock:
                        acknowledged.add(f"{worker}-{i}")
        except (smtplib.SMTPException, OSError) as e:
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for _ in range(6000):  # at most a minute: the senders must be making progress
        if len(acknowledged) >= 150 or not any(t.is_alive() for t in threads):
            break
        threading.Event().wait(0.01)
    assert len(acknowledged) >= 150, f"senders stalled before the kill: {errors[:3]}"
    fresh.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    fresh.start()
    stored = {}
    for uid, size, subject in fresh.mail_list(GP):
        key, digest = subject.split(" ")
        body = fresh.mail_fetch(GP, uid).split(b"\r\n\r\n", 1)[1]
        assert hashlib.sha256(body).hexdigest() == digest, f"message {key} is incomplete"
        assert key not in stored, f"message {key} stored twice"
        stored[key] = uid
    assert acknowledged <= set(stored), f"lost: {sorted(acknowledged - set(stored))[:5]}"


def test_sigterm_lets_data_finish(fresh):
    fresh.start()
    s, f = raw(fresh.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    s.sendall(b"Subject: in flight\r\n\r\nfirst half\r\n")
    idle, idle_f = raw(fresh.smtp)
    fresh.proc.send_signal(signal.SIGTERM)
    assert reply(idle_f)[1].startswith("421 4.3.2")
    s.sendall(b"second half\r\n.\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"NOOP\r\n")
    assert reply(f)[1].startswith("421 4.3.2")
    assert fresh.proc.wait(timeout=30) == 0
    assert [m[2] for m in fresh.mail_list(GP)] == ["in flight"]
