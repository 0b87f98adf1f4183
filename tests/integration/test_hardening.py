"""The outside attack's connection-level findings, replayed against the real mssd: silent and
trickling clients (TLS handshakes, commands, messages, IMAP before login) meet their deadlines,
SIGTERM ends whatever clients do, each listener keeps its own connection budget, refusals on
implicit TLS are not written in clear, and a stranger cannot make the server hold large literals."""
import signal
import socket
import ssl
import time

from mssd_harness import PASSWORD, GP

from test_intake import count, raw, reply

# How long a test waits for the server to act on a bound of one or two seconds before calling it a
# failure: generous, because the machine is shared; the bounds under test are far shorter.
PATIENCE = 20


def eof_within(sock, seconds=PATIENCE):
    """Reads until the server closes; returns what it sent. Fails if it keeps the connection."""
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return got
            got += chunk
    except ConnectionResetError:
        return got
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open; it sent {got!r}")


def trickle(sock, data, every=0.3):
    """Sends data one octet at a time until the server answers or closes; returns the count sent."""
    sock.setblocking(True)
    sock.settimeout(every)
    for sent, octet in enumerate(data):
        try:
            if sock.recv(4096, socket.MSG_PEEK):
                return sent
        except socket.timeout:
            pass
        except ConnectionResetError:
            return sent
        try:
            sock.sendall(bytes([octet]))
        except (BrokenPipeError, ConnectionResetError):
            return sent
    return len(data)


def client_hello(port_name="localhost"):
    """The first flight of a real TLS client, as bytes."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=port_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def starttls_then_silence(server, protocol):
    port = {"smtp": server.smtp, "submission": server.submission, "imap": server.imap}[protocol]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    f.readline()
    if protocol == "imap":
        s.sendall(b"a STARTTLS\r\n")
        assert f.readline().startswith(b"a OK")
    else:
        s.sendall(b"EHLO x\r\n")
        reply(f)
        s.sendall(b"STARTTLS\r\n")
        assert reply(f)[0] == 220
    return s


def test_silent_tls_clients_are_cut_after_the_handshake_timeout(fresh):
    fresh.configure(handshake_timeout=1)
    fresh.start()
    for port in (fresh.submissions, fresh.imaps):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        assert eof_within(s) == b""
    for protocol in ("smtp", "submission", "imap"):
        assert eof_within(starttls_then_silence(fresh, protocol)) == b""
    assert fresh.wait_log("TLS handshake with 127.0.0.1 failed: no handshake before the deadline")


def test_a_trickled_client_hello_is_cut(fresh):
    fresh.configure(handshake_timeout=2)
    fresh.start()
    hello = client_hello()
    s = socket.create_connection(("127.0.0.1", fresh.imaps), timeout=10)
    sent = trickle(s, hello)
    assert sent < len(hello) // 4
    eof_within(s)


def test_sigterm_ends_within_the_grace_time_whatever_clients_do(fresh):
    fresh.configure(shutdown_grace=2)
    fresh.start()
    silent_tls = socket.create_connection(("127.0.0.1", fresh.submissions), timeout=10)
    s, f = raw(fresh.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    s.sendall(b"Subject: never finished\r\n\r\nhalf")
    idle, idle_f = raw(fresh.submission)
    fresh.proc.send_signal(signal.SIGTERM)
    assert idle_f.readline().startswith(b"421 4.3.2")
    assert fresh.proc.wait(timeout=PATIENCE) == 0
    assert fresh.wait_log("grace time over: closing 1 connection")
    assert count(fresh, GP) == 0
    silent_tls.close()


def test_a_command_sent_one_octet_at_a_time_is_cut(fresh):
    fresh.configure(command_timeout=2)
    fresh.start()
    s, f = raw(fresh.smtp)
    line = b"EHLO " + b"a" * 200 + b"\r\n"
    assert trickle(s, line) < len(line) // 2
    assert reply(f)[1].startswith("421 4.4.2")


def test_a_message_sent_one_octet_at_a_time_is_cut(fresh):
    fresh.configure(data_timeout=2, message_timeout=3)
    fresh.start()
    s, f = raw(fresh.smtp)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + GP.encode() + b">\r\nDATA\r\n")
    assert [reply(f)[0] for _ in range(4)] == [250, 250, 250, 354]
    message = b"Subject: slow\r\n\r\n" + b"x" * 300 + b"\r\n.\r\n"
    assert trickle(s, message) < len(message) // 2
    assert reply(f)[1].startswith("421 4.4.2")
    assert count(fresh, GP) == 0
    assert fresh.wait_log("timeout waiting for the message's content from 127.0.0.1: nothing stored")


def test_imap_before_login_has_one_deadline(fresh):
    fresh.configure(login_timeout=2)
    fresh.start()
    s = socket.create_connection(("127.0.0.1", fresh.imap), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK")
    answered = 0
    for i in range(60):
        s.sendall(b"n%d NOOP\r\n" % i)
        line = f.readline()
        if line.startswith(b"* BYE"):
            break
        assert line.startswith(b"n%d OK" % i)
        answered += 1
        time.sleep(0.25)
    assert 0 < answered < 60
    assert f.readline() == b""


def test_a_flood_on_one_listener_leaves_the_others_open(fresh):
    fresh.configure(section="limits", max_connections=3, max_connections_per_ip=100)
    fresh.start()
    flood = [raw(fresh.smtp) for _ in range(3)]
    over = socket.create_connection(("127.0.0.1", fresh.smtp), timeout=10)
    assert over.makefile("rb").readline().startswith(b"421 4.7.0")
    s, f = raw(fresh.submission)
    s.sendall(b"QUIT\r\n")
    assert reply(f)[0] == 221
    c = fresh.imaps_login(GP)
    c.logout()
    for sock, _ in flood:
        sock.close()


def test_a_refusal_on_implicit_tls_is_not_written_in_clear(fresh):
    fresh.configure(section="limits", max_connections_per_ip=1)
    fresh.start()
    for port in (fresh.imaps, fresh.submissions):
        held = fresh.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                               server_hostname="localhost")
        held.recv(1024)
        refused = socket.create_connection(("127.0.0.1", port), timeout=10)
        assert eof_within(refused) == b""
        held.close()
        assert fresh.wait_log(r"refused 127\.0\.0\.1: too many connections from 127\.0\.0\.1")
        time.sleep(0.2)


def test_large_literals_are_refused_before_login(fresh):
    fresh.start()
    s = socket.create_connection(("127.0.0.1", fresh.imap), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK")
    s.sendall(b"a APPEND INBOX {25000000}\r\n")
    assert f.readline().startswith(b"a NO [TOOBIG]")
    s.sendall(b"b LOGIN x {100000}\r\n")
    assert f.readline().startswith(b"b BAD [TOOBIG]")
    s.sendall(b"c APPEND INBOX {25000000+}\r\n")
    assert f.readline().startswith(b"c BAD [TOOBIG]")  # LITERAL- (RFC 7888 section 5) before login
    assert f.readline().startswith(b"* BYE")
    assert eof_within(s) == b""


def test_a_password_in_a_literal_still_signs_in(server):
    s = socket.create_connection(("127.0.0.1", server.imaps), timeout=10)
    t = server.tls_context().wrap_socket(s, server_hostname="localhost")
    f = t.makefile("rb")
    assert f.readline().startswith(b"* OK")
    user, password = GP.encode(), PASSWORD.encode()
    t.sendall(b"a LOGIN {%d}\r\n" % len(user))
    assert f.readline().startswith(b"+")
    t.sendall(user + b" {%d}\r\n" % len(password))
    assert f.readline().startswith(b"+")
    t.sendall(password + b"\r\n")
    assert f.readline().startswith(b"a OK")
    t.sendall(b"b APPEND INBOX {%d}\r\n" % 70000)
    assert f.readline().startswith(b"+")
    t.sendall(b"Subject: after login\r\n\r\n" + b"y" * (70000 - 24) + b"\r\n")
    assert f.readline().startswith(b"b OK")
    t.close()


def test_logout_frees_the_connection_at_once(fresh):
    fresh.configure(section="limits", max_connections_per_ip=1)
    fresh.start()
    first = fresh.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", fresh.imaps), timeout=10),
                                            server_hostname="localhost")
    f = first.makefile("rb")
    f.readline()
    first.sendall(b"a LOGOUT\r\n")
    assert f.readline().startswith(b"* BYE") and f.readline().startswith(b"a OK")
    # The client keeps its socket open without sending close_notify: the server no longer waits for
    # it (it held the connection and its per-IP slot for 2 s), so a new connection is let in.
    time.sleep(0.5)
    second = fresh.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", fresh.imaps), timeout=10),
                                             server_hostname="localhost")
    assert second.makefile("rb").readline().startswith(b"* OK")
    first.close()
    second.close()


def test_a_pipelining_client_gets_a_deadline_per_command_not_per_session(fresh):
    """A sync client that always has its next command on the way never leaves the framing idle: each
    command still gets message_timeout of its own (the first deadline used to last the whole session)."""
    fresh.configure(message_timeout=2)
    fresh.start()
    s = fresh.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", fresh.imaps), timeout=10),
                                        server_hostname="localhost")
    f = s.makefile("rb")
    f.readline()
    s.sendall(f'l LOGIN "{GP}" "{PASSWORD}"\r\n'.encode())
    assert f.readline().startswith(b"l OK")
    s.sendall(b"t0 NOOP\r\nt1 NO")
    for i in range(1, 12):
        assert f.readline().startswith(b"t%d OK" % (i - 1))
        time.sleep(0.5)
        s.sendall(b"OP\r\nt%d NO" % (i + 1))
    assert f.readline().startswith(b"t11 OK")
    s.close()
