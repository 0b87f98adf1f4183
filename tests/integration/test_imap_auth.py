"""IMAP sign-in against the real mssd with Python's imaplib: capabilities per state, LOGIN refused
before TLS, STARTTLS, LOGIN and AUTHENTICATE (PLAIN, EXTERNAL by certificate), failures, LOGOUT."""
import imaplib
import socket

import pytest

from mssd_harness import DOCTOR, GP, LAB, PASSWORD


def test_greeting_advertises_starttls_and_logindisabled(server):
    c = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    assert "STARTTLS" in c.capabilities and "LOGINDISABLED" in c.capabilities
    assert "AUTH=PLAIN" not in c.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        c.login(GP, PASSWORD)
    c.logout()


def test_starttls_then_login(server):
    c = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    c.starttls(ssl_context=server.tls_context())
    typ, caps = c.capability()
    assert "AUTH=PLAIN" in caps[0].decode() and "LOGINDISABLED" not in caps[0].decode()
    typ, data = c.login(GP, PASSWORD)
    assert typ == "OK" and b"[CAPABILITY" in data[0]
    assert c.logout()[0] == "BYE"


def test_wrong_password_and_unknown_user(server):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    for user, password in [(GP, "wrong"), ("nobody@test.mssante.fr", PASSWORD), (LAB, "")]:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            c.login(user, password)
    c.logout()


def test_authenticate_plain_with_initial_response(server):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    typ, _ = c.authenticate("PLAIN", lambda _: f"\0{DOCTOR}\0{PASSWORD}".encode())
    assert typ == "OK"
    c.logout()


def test_lab_authenticates_by_certificate(server):
    ctx = server.tls_context(server.lab_dir / "cert.pem", server.lab_dir / "key.pem")
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=ctx, timeout=30)
    assert "AUTH=EXTERNAL" in c.capabilities
    assert c.authenticate("EXTERNAL", lambda _: b"")[0] == "OK"
    c.logout()
    plain = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    assert "AUTH=EXTERNAL" not in plain.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        plain.authenticate("EXTERNAL", lambda _: b"")
    plain.logout()


def test_commands_before_login_and_garbage(server):
    s = socket.create_connection(("127.0.0.1", server.imap), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK [CAPABILITY IMAP4rev1")
    s.sendall(b"a1 SELECT INBOX\r\na2 FROBNICATE\r\na3 FETCH 0 FLAGS\r\n* NOOP\r\na4 NOOP\r\n")
    replies = [f.readline() for _ in range(5)]
    assert replies[0].startswith(b"a1 BAD")
    assert replies[1].startswith(b"a2 BAD")
    assert replies[2].startswith(b"a3 BAD")
    assert replies[3].startswith(b"* BAD")
    assert replies[4].startswith(b"a4 OK")
    s.sendall(b"a5 LOGIN {100000}\r\n")
    assert f.readline().startswith(b"a5 BAD [TOOBIG]")
    s.sendall(b"a6 LOGOUT\r\n")
    assert f.readline().startswith(b"* BYE")
    assert f.readline().startswith(b"a6 OK")
    assert f.readline() == b""
