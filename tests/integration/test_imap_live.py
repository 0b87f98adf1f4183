"""IMAP extensions of a live connection, against the real mssd: COMPRESS=DEFLATE (RFC 4978) driven
by Python's imaplib with zlib by hand (the wire octets counted, commands and responses deflated both
ways over TLS, a second session's delivery heard while idling compressed)."""
import imaplib
import socket
import time
import zlib

import pytest

from mssd_harness import DOCTOR, GP, PASSWORD, deliver, wait_mail_count

# imaplib sends only the commands it knows of: these are valid after login.
for _name in ("COMPRESS", "GETMETADATA", "SETMETADATA"):
    imaplib.Commands.setdefault(_name, ("AUTH", "SELECTED"))


class CompressedIMAP(imaplib.IMAP4_SSL):
    """imaplib over implicit TLS that, after COMPRESS DEFLATE, deflates what it sends and inflates
    what it reads (raw deflate, window 15, a sync flush after each command), counting wire octets."""

    compressed = False
    wire_in = plain_in = 0

    def start_compress(self):
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        if typ == "OK":
            self.compressed = True
            self._deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
            self._inflater = zlib.decompressobj(-15)
            self._plain = b""
        return typ, data

    def send(self, data):
        if self.compressed:
            data = self._deflater.compress(data) + self._deflater.flush(zlib.Z_SYNC_FLUSH)
        super().send(data)

    def send_raw(self, data):
        super().send(data)

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise imaplib.IMAP4.abort("the server closed the connection")
        self.wire_in += len(chunk)
        plain = self._inflater.decompress(chunk)
        self.plain_in += len(plain)
        self._plain += plain

    def read(self, size):
        if not self.compressed:
            return super().read(size)
        while len(self._plain) < size:
            self._more()
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def readline(self):
        if not self.compressed:
            return super().readline()
        while b"\n" not in self._plain:
            self._more()
        n = self._plain.index(b"\n") + 1
        out, self._plain = self._plain[:n], self._plain[n:]
        return out


def compressed_login(server, user):
    c = CompressedIMAP("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(user, PASSWORD)
    assert "COMPRESS=DEFLATE" in c.capabilities
    typ, data = c.start_compress()
    assert typ == "OK", data
    return c


def test_compress_deflates_both_ways_over_tls(server):
    for n in range(5):
        deliver(server, GP, f"compte rendu {n}", body="Patient vu ce jour, examen clinique normal.\r\n" * 200)
    wait_mail_count(server, GP, 5)
    c = compressed_login(server, GP)
    assert c.select("INBOX")[0] == "OK"
    before_wire, before_plain = c.wire_in, c.plain_in
    typ, data = c.fetch("1:5", "(BODY.PEEK[])")
    assert typ == "OK"
    bodies = [item[1] for item in data if isinstance(item, tuple)]
    assert len(bodies) == 5 and all(b"examen clinique normal" in b for b in bodies)
    wire, plain = c.wire_in - before_wire, c.plain_in - before_plain
    assert plain > 40000 and wire * 10 < plain, (wire, plain)  # repetitive text deflates well
    # Commands after many rests between commands still inflate (the client's history is kept).
    for _ in range(20):
        assert c.noop()[0] == "OK"
        assert c.uid("SEARCH", "SUBJECT", '"compte rendu"')[0] == "OK"
    assert c.logout()[0] == "BYE"


def test_compress_twice_and_unknown_mechanisms(server):
    c = compressed_login(server, GP)
    tag = c._new_tag()
    c.send(tag + b" COMPRESS DEFLATE\r\n")
    line = c.readline()
    assert line.startswith(tag + b" NO [COMPRESSIONACTIVE]"), line
    tag = c._new_tag()
    c.send(tag + b" NOOP\r\n")
    assert c.readline().startswith(tag + b" OK")
    c.logout()

    plain = server.imaps_login(GP)
    with pytest.raises(imaplib.IMAP4.error, match="Unknown compression mechanism"):
        plain._simple_command("COMPRESS", "LZMA")
    assert plain.noop()[0] == "OK"  # still uncompressed
    plain.logout()


def test_compress_before_login_is_refused(server):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    tag = c._new_tag()
    c.send(tag + b" COMPRESS DEFLATE\r\n")
    assert c.readline().startswith(tag + b" BAD Log in first")
    c.logout()


def test_octets_that_are_not_deflate_close_the_connection(server):
    c = compressed_login(server, GP)
    c.send_raw(b"\xff\xff\xff\xff\xff\xff")
    c.sock.settimeout(30)
    assert c.sock.recv(100) == b""  # closed, nothing half-understood
    assert server.wait_log("does not decode", timeout=30)


def test_a_delivery_reaches_a_compressed_idling_session(server):
    c = compressed_login(server, DOCTOR)
    assert c.select("INBOX")[0] == "OK"
    exists = int(c.select("INBOX")[1][0])
    tag = c._new_tag()
    c.send(tag + b" IDLE\r\n")
    assert c.readline() == b"+ idling\r\n"
    deliver(server, DOCTOR, "resultat urgent")
    start = time.monotonic()
    line = c.readline()
    assert line == f"* {exists + 1} EXISTS\r\n".encode(), line
    assert time.monotonic() - start < 10
    c.send(b"DONE\r\n")
    while not (line := c.readline()).startswith(tag):
        pass
    assert line.startswith(tag + b" OK")
    typ, data = c.fetch(str(exists + 1), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and b"resultat urgent" in data[0][1]
    c.logout()
