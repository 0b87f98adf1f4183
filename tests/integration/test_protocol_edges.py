"""Protocol edges and bad input against the real mssd: libetpan's SMTP client, pipelining, BDAT,
SMTPUTF8, limits and timeouts with their codes, TLS garbage, disconnects, STARTTLS injection, SIGHUP."""
import os
import signal
import socket
import ssl
import subprocess

import pytest

from mssd_harness import GP, PRACTICE

from test_intake import count, raw, reply


@pytest.fixture(scope="module")
def etpan_send(tmp_path_factory):
    out = tmp_path_factory.mktemp("etpan") / "etpan_send"
    src = os.path.join(os.path.dirname(__file__), "clients", "etpan_send.c")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libetpan"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-o", str(out), src, *flags], check=True)
    return out


def test_libetpan_client_delivers(server, etpan_send, tmp_path):
    msg = tmp_path / "msg.eml"
    msg.write_bytes(b"From: <lab@labo-y.mssante.fr>\r\nSubject: libetpan\r\n\r\nresult\r\n")
    before = count(server, GP)
    r = subprocess.run([str(etpan_send), "127.0.0.1", str(server.smtp), "lab@labo-y.mssante.fr", GP, str(msg)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert count(server, GP) == before + 1
    assert server.mail_list(GP)[-1][2] == "libetpan"


def test_pipelined_transaction_replies_in_order(server):
    before = count(server, PRACTICE)
    s, f = raw(server.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@test.mssante.fr>\r\n"
              b"RCPT TO:<" + PRACTICE.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(5)] == [250, 250, 550, 250, 354]
    s.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 221
    assert count(server, PRACTICE) == before + 1


def test_bdat_chunks_are_stored_exactly(server):
    body = b"Subject: chunked\r\n\r\n.not stuffed\r\nline two\r\n"
    s, f = raw(server.smtp)
    s.sendall(b"EHLO x\r\nBDAT 5\r\nabcde")
    assert reply(f)[0] == 250
    assert reply(f)[1].startswith("503 5.5.1")  # BDAT before MAIL: octets consumed, still in step
    s.sendall(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 250
    s.sendall(b"BDAT %d\r\n" % 20 + body[:20])
    assert reply(f)[0] == 250
    s.sendall(b"DATA\r\n")
    assert reply(f)[1].startswith("503 5.5.1")
    s.sendall(b"BDAT %d LAST\r\n" % (len(body) - 20) + body[20:])
    assert reply(f)[0] == 250
    uid = server.mail_list(GP)[-1][0]
    assert server.mail_fetch(GP, uid).endswith(body)


def test_smtputf8_addresses(server):
    s, f = raw(server.smtp)
    s.sendall(b"EHLO x\r\n")
    reply(f)
    s.sendall("MAIL FROM:<médecin@hôpital.example>\r\n".encode())
    assert reply(f)[1].startswith("553 5.6.7")
    s.sendall(b"MAIL FROM:<\xc0\xaf@b.example> SMTPUTF8\r\n")
    assert reply(f)[1].startswith("501 5.1.7")
    s.sendall("MAIL FROM:<médecin@hôpital.example> SMTPUTF8\r\n".encode())
    assert reply(f)[0] == 250
    s.sendall(b"RCPT TO:<\xed\xa0\x80@test.mssante.fr>\r\n")
    assert reply(f)[1].startswith("501 5.1.3")
    s.sendall("RCPT TO:<élise@test.mssante.fr>\r\n".encode())
    assert reply(f)[1].startswith("550 5.1.1")


def test_data_over_size_limit_stores_nothing(fresh):
    fresh.configure(max_message_size=2048)
    fresh.start()
    s, f = raw(fresh.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    s.sendall(b"Subject: big\r\n\r\n" + (b"y" * 70 + b"\r\n") * 100 + b".\r\n")
    assert reply(f)[1].startswith("552 5.3.4")
    assert count(fresh, GP) == 0


def test_recipient_and_connection_limits(fresh):
    fresh.configure(max_connections_per_ip=3)
    fresh.start()
    s, f = raw(fresh.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\n" + (b"RCPT TO:<" + GP.encode() + b">\r\n") * 101)
    codes = [reply(f)[0] for _ in range(103)]
    assert codes[2:102] == [250] * 100 and codes[102] == 452
    others = [raw(fresh.smtp) for _ in range(2)]
    over = socket.create_connection(("127.0.0.1", fresh.smtp), timeout=10)
    assert over.makefile("rb").readline().startswith(b"421 4.7.0")
    for sock, _ in others:
        sock.close()


def test_command_timeout(fresh):
    fresh.configure(command_timeout=1)
    fresh.start()
    s, f = raw(fresh.smtp)
    assert reply(f)[1].startswith("421 4.4.2")
    assert f.readline() == b""


def test_tls_garbage_and_disconnects_leave_the_server_serving(server):
    before = count(server, GP)
    junk = socket.create_connection(("127.0.0.1", server.submissions), timeout=10)
    junk.sendall(os.urandom(4096))
    junk.settimeout(10)
    try:
        while junk.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    s, f = raw(server.submission)
    s.sendall(b"EHLO x\r\nSTARTTLS\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 220
    s.sendall(b"\x16\x03\x01garbage" + os.urandom(200))
    s.close()
    s, f = raw(server.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    s.sendall(b"Subject: cut\r\n\r\nhalf a mess")
    s.close()
    with socket.create_connection(("127.0.0.1", server.smtp), timeout=10) as ok:
        assert ok.makefile("rb").readline().startswith(b"220 ")
    assert count(server, GP) == before


def test_plaintext_pipelined_after_starttls_is_dropped(server):
    s, f = raw(server.submission)
    s.sendall(b"EHLO x\r\n")
    reply(f)
    s.sendall(b"STARTTLS\r\nNOOP injected\r\n")
    assert reply(f)[0] == 220
    t = server.tls_context().wrap_socket(s, server_hostname="localhost")
    tf = t.makefile("rb")
    t.sendall(b"NOOP\r\n")
    assert reply(tf)[1].startswith("250 2.0.0")
    t.sendall(b"QUIT\r\n")
    assert reply(tf)[0] == 221


def test_sighup_reloads_and_refuses_broken_config(fresh):
    fresh.start()
    fresh.configure(max_message_size=4096)
    fresh.proc.send_signal(signal.SIGHUP)
    assert fresh.wait_log("configuration and certificates reloaded")
    s, f = raw(fresh.smtp)
    s.sendall(b"EHLO x\r\n")
    lines = []
    while True:
        line = f.readline()
        lines.append(line)
        if line[3:4] == b" ":
            break
    assert b"250-SIZE 4096\r\n" in lines
    (fresh.data / "mssd.toml").write_text("this is [not toml\n")
    fresh.proc.send_signal(signal.SIGHUP)
    assert fresh.wait_log("reload refused")
    with socket.create_connection(("127.0.0.1", fresh.smtp), timeout=10) as ok:
        assert ok.makefile("rb").readline().startswith(b"220 ")
