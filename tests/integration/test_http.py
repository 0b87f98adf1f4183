"""The HTTPS listener against the real mssd, with curl and Python's http.client over TLS and the test
IGC's trust: mail-client autoconfiguration (Thunderbird's clientConfig), /metrics and who may read it
(IP address, or a verified client certificate's fingerprint), keep-alive, pipelining, HEAD, 404/405,
every bound (431, 413, 414), request smuggling refused (400 and closed), a slow client cut (408)."""
import hashlib
import http.client
import re
import socket
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from mssd_harness import DOMAIN, GP, Server, deliver, wait_mail_count

REQUEST_TIMEOUT = 2      # seconds; configured below so that slow clients are cut quickly
IDLE_TIMEOUT = 3
MAX_BODY = 65536


def fingerprint(cert_path):
    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text())
    return hashlib.sha256(der).hexdigest()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd-http"))
    s.init()
    s.add_standard_accounts()
    # The lab's ORG AUTH_CLI certificate may read the metrics from any address; colons and capitals
    # as `openssl x509 -fingerprint -sha256` prints them.
    fp = fingerprint(s.lab_dir / "cert.pem").upper()
    s.configure(request_timeout=REQUEST_TIMEOUT, idle_timeout=IDLE_TIMEOUT, max_body_size=MAX_BODY,
                handshake_timeout=REQUEST_TIMEOUT,
                metrics_certificates=[":".join(fp[i:i + 2] for i in range(0, 64, 2))])
    s.start()
    yield s
    s.stop()


def url(server, path):
    return f"https://127.0.0.1:{server.https}{path}"


def curl(server, *args):
    r = subprocess.run(["curl", "-sS", "--cacert", str(server.trust), *args], capture_output=True, timeout=60)
    return r


def connect(server, source="127.0.0.1", cert=None, key=None):
    return http.client.HTTPSConnection("127.0.0.1", server.https, context=server.tls_context(cert, key),
                                       timeout=30, source_address=(source, 0))


def raw(server, source="127.0.0.1"):
    """A TLS socket to the HTTPS listener, for what http.client will not send."""
    sock = socket.create_connection(("127.0.0.1", server.https), timeout=30, source_address=(source, 0))
    return server.tls_context().wrap_socket(sock, server_hostname="127.0.0.1")


def read_all(sock):
    """Everything until the server closes the connection."""
    out = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return out
        out += chunk


def status_of(response_bytes):
    return int(response_bytes.split(b" ", 2)[1])


def statuses(responses):
    """The status of each response in a stream of them (none of these bodies holds a status line)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", responses)]


# -- autoconfiguration ---------------------------------------------------------------------------------
def test_thunderbird_autoconfig_with_curl(web):
    r = curl(web, "-i", url(web, f"/mail/config-v1.1.xml?emailaddress={GP.replace('@', '%40')}"))
    assert r.returncode == 0, r.stderr
    head, body = r.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Content-Type: application/xml; charset=utf-8" in head
    root = ET.fromstring(body)
    provider = root.find("emailProvider")
    assert root.get("version") == "1.1" and provider.get("id") == DOMAIN
    assert [d.text for d in provider.findall("domain")] == [DOMAIN]
    servers = [(s.tag, s.get("type"), s.findtext("hostname"), int(s.findtext("port")), s.findtext("socketType"),
                s.findtext("authentication"), s.findtext("username"))
               for s in provider if s.tag in ("incomingServer", "outgoingServer")]
    # The ports clients can reach: the listeners' own (free ports in this test).
    assert servers == [
        ("incomingServer", "imap", DOMAIN, web.imaps, "SSL", "password-cleartext", "%EMAILADDRESS%"),
        ("incomingServer", "imap", DOMAIN, web.imap, "STARTTLS", "password-cleartext", "%EMAILADDRESS%"),
        ("outgoingServer", "smtp", DOMAIN, web.submissions, "SSL", "password-cleartext", "%EMAILADDRESS%"),
        ("outgoingServer", "smtp", DOMAIN, web.submission, "STARTTLS", "password-cleartext", "%EMAILADDRESS%"),
    ]


def test_well_known_autoconfig_and_other_domains(web):
    c = connect(web)
    c.request("GET", "/.well-known/autoconfig/mail/config-v1.1.xml", headers={"Host": DOMAIN})
    r = c.getresponse()
    assert r.status == 200 and b"<socketType>STARTTLS</socketType>" in r.read()
    c.request("GET", "/mail/config-v1.1.xml?emailaddress=someone%40gmail.com")
    r = c.getresponse()
    assert r.status == 404
    r.read()
    c.close()


# -- HTTP/1.1 connection handling ------------------------------------------------------------------------
def test_keep_alive_two_requests_on_one_connection(web):
    r = curl(web, "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
             url(web, "/mail/config-v1.1.xml"), url(web, "/metrics"))
    assert r.stdout.decode().split("\n")[:2] == ["200 1", "200 0"]  # the second reused the first's connection
    c = connect(web)
    c.request("GET", "/metrics")
    first = c.getresponse()
    assert first.status == 200 and first.getheader("Connection") is None
    first.read()
    sock = c.sock
    c.request("GET", "/mail/config-v1.1.xml")
    second = c.getresponse()
    assert second.status == 200 and c.sock is sock
    second.read()
    c.close()


def test_pipelined_requests_answered_in_order(web):
    s = raw(web)
    s.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
              b"HEAD /mail/config-v1.1.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answers = read_all(s)
    s.close()
    assert statuses(answers) == [404, 200, 200]
    assert answers.rstrip(b"\r\n").endswith(b"Connection: close")  # HEAD: fields, no body


def test_head_has_get_fields_without_body(web):
    c = connect(web)
    c.request("GET", "/mail/config-v1.1.xml")
    get = c.getresponse()
    body = get.read()
    c.request("HEAD", "/mail/config-v1.1.xml")
    head = c.getresponse()
    assert head.status == 200 and head.read() == b""
    assert int(head.getheader("Content-Length")) == len(body) > 0
    c.close()
    r = curl(web, "-I", url(web, "/metrics"))
    assert r.stdout.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: " in r.stdout


def test_unknown_path_404_and_wrong_method_405(web):
    c = connect(web)
    c.request("GET", "/no/such/thing")
    r = c.getresponse()
    assert r.status == 404
    r.read()
    c.request("POST", "/metrics", body=b"x")
    r = c.getresponse()
    assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"
    r.read()
    c.close()


def test_http_1_0_closes_after_answering(web):
    s = raw(web)
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"Connection: close\r\n" in answer


# -- bounds ------------------------------------------------------------------------------------------------
def test_huge_header_431_and_closed(web):
    r = curl(web, "-i", "-H", "X-Big: " + "b" * 20000, url(web, "/metrics"))
    assert r.stdout.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    assert b"Connection: close" in r.stdout
    assert web.wait_log(r"refused with 431: header section too large")


def test_huge_request_line_414(web):
    s = raw(web)
    s.sendall(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(read_all(s)) == 414


def test_huge_body_413_before_it_is_sent(web, tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_BODY + 1))
    r = curl(web, "-i", "--data-binary", f"@{big}", url(web, "/metrics"))
    assert r.stdout.startswith(b"HTTP/1.1 413 Content Too Large"), r.stdout[:200]
    s = raw(web)  # chunked: refused once the chunks add up past the bound
    s.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 40000 + b"c" * 40000 + b"\r\n"
    try:
        s.sendall(chunk + chunk)
    except OSError:
        pass  # the server may already have answered and closed
    assert status_of(read_all(s)) == 413


def test_chunked_body_is_read(web):
    s = raw(web)
    s.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"3\r\nabc\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answers = read_all(s)
    # The body was consumed as a body: the next request is read as a request, not as leftovers.
    assert statuses(answers) == [405, 200]


def test_expect_100_continue(web, tmp_path):
    body = tmp_path / "body"
    body.write_bytes(b"y" * 32768)
    r = curl(web, "-i", "-H", "Expect: 100-continue", "--data-binary", f"@{body}", url(web, "/metrics"))
    # curl waited for our 100 before sending the body, then got the route's answer.
    assert statuses(r.stdout) == [100, 405]


@pytest.mark.parametrize("smuggled", [
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
], ids=["cl-then-te", "te-then-cl", "duplicate-cl", "obs-fold", "te-not-chunked"])
def test_smuggling_refused_400_and_closed(web, smuggled):
    s = raw(web)
    # What follows the refused request would be a second request on a lenient server.
    s.sendall(smuggled + b"GET /mail/config-v1.1.xml HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"Connection: close\r\n" in answer
    assert answer.count(b"HTTP/1.1 ") == 1  # nothing after the refusal was taken as a request


# -- deadlines ---------------------------------------------------------------------------------------------
def test_slow_client_cut_with_408(web):
    s = raw(web)
    start = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    # A byte every half second would reset a per-read timeout forever; the deadline is per request.
    answer = b""
    try:
        for c in b"X-Slow: " + b"s" * 20:
            s.sendall(bytes([c]))
            time.sleep(0.5)
    except OSError:
        pass
    answer = read_all(s)
    elapsed = time.monotonic() - start
    assert status_of(answer) == 408 and b"Connection: close" in answer
    assert REQUEST_TIMEOUT - 0.5 < elapsed < REQUEST_TIMEOUT + 8
    assert web.wait_log(r"request from 127\.0\.0\.1 not complete within 2 s")


def open_https_connections(server):
    _, text = metrics(server)
    return sample(text, 'mssd_connections_open{listener="https"}') - 1  # not counting this one


def test_client_that_stops_reading_is_cut(web):
    """Pipelined requests from a client that never reads its answers: once the socket buffers are full
    the server's write waits, and is given up at the deadline instead of holding the connection."""
    before = open_https_connections(web)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", web.https))
    s = web.tls_context().wrap_socket(sock, server_hostname="127.0.0.1")
    s.settimeout(2)
    batch = b"GET /mail/config-v1.1.xml HTTP/1.1\r\nHost: x\r\n\r\n" * 100
    try:
        for _ in range(2000):  # until our own sending blocks: the server stopped reading us
            s.sendall(batch)
    except (socket.timeout, OSError):
        pass
    assert open_https_connections(web) == before + 1
    deadline = time.monotonic() + IDLE_TIMEOUT + 10
    while open_https_connections(web) != before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert open_https_connections(web) == before
    s.close()


def test_silent_connection_without_handshake_is_closed(web):
    sock = socket.create_connection(("127.0.0.1", web.https), timeout=30)
    start = time.monotonic()
    assert sock.recv(100) == b""
    assert time.monotonic() - start < REQUEST_TIMEOUT + 5


# -- metrics -----------------------------------------------------------------------------------------------
def metrics(server, **kw):
    c = connect(server, **kw)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def sample(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ")[1])
    return None


def test_metrics_count_connections_and_messages(web):
    deliver(web, GP, "compte")
    wait_mail_count(web, GP, 1)
    status, text = metrics(web)
    assert status == 200
    assert "# TYPE mssd_connections_accepted_total counter" in text
    assert sample(text, 'mssd_connections_accepted_total{listener="smtp"}') >= 1
    assert sample(text, 'mssd_smtp_messages_stored_total{listener="smtp"}') == 1
    assert sample(text, 'mssd_connections_open{listener="https"}') >= 1
    assert sample(text, 'mssd_http_responses_total{code="200"}') >= 1


def test_metrics_refused_to_other_addresses(web):
    status, _ = metrics(web, source="127.0.0.2")
    assert status == 403
    assert web.wait_log(r"metrics refused to 127\.0\.0\.2 \(certificate: none\)")


def test_metrics_for_a_configured_client_certificate(web):
    """The TLS client certificate's identity reaches the handler: the lab's verified certificate, whose
    fingerprint is configured, may read the metrics from an address that may not."""
    lab = web.lab_dir
    status, text = metrics(web, source="127.0.0.2", cert=lab / "cert.pem", key=lab / "key.pem")
    assert status == 200 and "mssd_connections_accepted_total" in text
    r = curl(web, "--interface", "127.0.0.2", "--cert", str(lab / "cert.pem"), "--key", str(lab / "key.pem"),
             "-o", "/dev/null", "-w", "%{http_code}", url(web, "/metrics"))
    assert r.stdout == b"200"


def test_metrics_refused_to_an_unlisted_certificate(web):
    out = web.data / "other-client"
    web.ctl("pki", "issue", "organisation", "--name", "AUTRE", "--finess", "010000003",
            "--address", f"autre@{DOMAIN}", "--out", str(out))
    status, _ = metrics(web, source="127.0.0.2", cert=out / "cert.pem", key=out / "key.pem")
    assert status == 403
    assert web.wait_log(r"metrics refused to 127\.0\.0\.2 \(certificate: .*autre@|metrics refused to 127\.0\.0\.2 \(certificate: [^n]")


def test_connection_budget_of_its_own(fresh):
    """[http] max_connections counts HTTPS connections only: over it, 503 and close; mail listeners
    are not affected."""
    fresh.configure(section="http", max_connections=1)
    fresh.start()
    held = connect(fresh)
    held.request("GET", "/metrics")
    assert held.getresponse().read()
    s = raw(fresh)
    answer = read_all(s)
    assert status_of(answer) == 503 and b"Retry-After: 10\r\n" in answer
    assert fresh.wait_log(r"https: refused 127\.0\.0\.1: too many connections")
    import imaplib
    imaplib.IMAP4_SSL("127.0.0.1", fresh.imaps, ssl_context=fresh.tls_context(), timeout=30).logout()
    held.close()


def test_sigterm_closes_kept_alive_connections(fresh):
    fresh.start()
    c = connect(fresh)
    c.request("GET", "/metrics")
    assert c.getresponse().read()
    start = time.monotonic()
    assert fresh.stop(timeout=20) == 0  # the idle kept-alive connection does not hold the shutdown
    assert time.monotonic() - start < 10
    c.close()
