"""IMAP extensions of a live connection, against the real mssd: COMPRESS=DEFLATE (RFC 4978) driven
by Python's imaplib with zlib by hand (the wire octets counted, commands and responses deflated both
ways over TLS, a second session's delivery heard while idling compressed)."""
import imaplib
import socket
import time
import zlib

import pytest

from mssd_harness import DOCTOR, GP, PASSWORD, PRACTICE, SECRETARY, deliver, wait_mail_count

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


# -- METADATA (RFC 5464) ---------------------------------------------------------------------------
SHARED_INBOX = f'"Shared/{PRACTICE}/INBOX"'


def raw(c, line):
    """Sends one command line on an imaplib connection; returns its untagged lines and tagged line."""
    tag = c._new_tag()
    c.send(tag + b" " + line.encode() + b"\r\n")
    lines = []
    while not (line := c.readline()).startswith(tag + b" "):
        lines.append(line)
    return lines, line.rstrip(b"\r\n").decode()


def test_private_and_shared_annotations_of_a_shared_mailbox(server):
    gp, secretary = server.imaps_login(GP), server.imaps_login(SECRETARY)
    assert "METADATA" in gp.capabilities
    _, done = raw(gp, f'SETMETADATA {SHARED_INBOX} (/shared/comment "Boite du cabinet" /private/comment "mes notes")')
    assert done.endswith("OK SETMETADATA completed"), done
    lines, done = raw(gp, f"GETMETADATA {SHARED_INBOX} (/shared/comment /private/comment)")
    assert lines == [f'* METADATA {SHARED_INBOX} (/private/comment "mes notes" /shared/comment "Boite du cabinet")\r\n'.encode()]
    # Another member of the practice sees the /shared entry, not the GP's /private one.
    lines, done = raw(secretary, f"GETMETADATA {SHARED_INBOX} (/shared/comment /private/comment)")
    assert lines == [f'* METADATA {SHARED_INBOX} (/shared/comment "Boite du cabinet")\r\n'.encode()], lines
    assert done.endswith("OK GETMETADATA completed")
    # NIL removes; an entry that was never set gives no METADATA response.
    _, done = raw(gp, f"SETMETADATA {SHARED_INBOX} (/shared/comment NIL)")
    assert "OK" in done
    lines, _ = raw(secretary, f"GETMETADATA {SHARED_INBOX} /shared/comment")
    assert lines == []
    gp.logout()
    secretary.logout()


def test_depth_maxsize_and_literal_values(server):
    c = server.imaps_login(DOCTOR)
    value = "ligne 1\r\nligne 2 \"citée\""
    _, done = raw(c, f'SETMETADATA INBOX (/private/vendor/mss/a "1" /private/vendor/mss/b/c "2" '
                     f'/private/vendor/mss/long {{{len(value.encode())}+}}\r\n{value})')
    assert "OK" in done, done
    lines, _ = raw(c, "GETMETADATA INBOX /private/vendor/mss")
    assert lines == []  # depth 0: only that entry, which has no value
    lines, _ = raw(c, "GETMETADATA (DEPTH 1) INBOX /private/vendor/mss")
    joined = b"".join(lines)
    assert b'/private/vendor/mss/a "1"' in joined and b"/private/vendor/mss/b/c" not in joined
    assert b"{%d}\r\n%s" % (len(value.encode()), value.encode()) in joined  # not quotable: a literal
    lines, done = raw(c, "GETMETADATA (DEPTH infinity MAXSIZE 5) INBOX /private/vendor")
    joined = b"".join(lines)
    assert b'/private/vendor/mss/b/c "2"' in joined and b"ligne" not in joined
    assert f"OK [METADATA LONGENTRIES {len(value.encode())}]" in done, done
    c.logout()


def test_server_annotations_and_limits(server):
    c = server.imaps_login(GP)
    _, done = raw(c, 'SETMETADATA "" (/private/comment "serveur")')
    assert "OK" in done
    lines, _ = raw(c, 'GETMETADATA "" /private/comment')
    assert lines == [b'* METADATA "" (/private/comment "serveur")\r\n']
    _, done = raw(c, 'SETMETADATA "" (/shared/comment "pas moi")')
    assert "NO [NOPERM]" in done, done
    big = "x" * (16 * 1024 + 1)
    _, done = raw(c, f"SETMETADATA INBOX (/private/big {{{len(big)}+}}\r\n{big})")
    assert "NO [METADATA MAXSIZE 16384]" in done, done
    entries = " ".join(f'/private/n{i} "v"' for i in range(100))
    _, done = raw(c, f"SETMETADATA Sent ({entries})")
    assert "OK" in done, done
    _, done = raw(c, 'SETMETADATA Sent (/private/one-more "v")')
    assert "NO [METADATA TOOMANY]" in done, done
    lines, _ = raw(c, "GETMETADATA Sent /private/one-more")
    assert lines == []  # nothing of the refused command was written
    _, done = raw(c, 'GETMETADATA "Nulle part" /private/comment')
    assert "NO [NONEXISTENT]" in done, done
    _, done = raw(c, "GETMETADATA INBOX /other")
    assert "BAD" in done
    c.logout()


def test_annotations_follow_a_renamed_folder_and_go_with_a_deleted_one(server):
    c = server.imaps_login(GP)
    assert c.create('"Dossiers/Martin"')[0] == "OK"
    _, done = raw(c, 'SETMETADATA "Dossiers/Martin" (/private/comment "suivi")')
    assert "OK" in done
    assert c.rename('"Dossiers/Martin"', '"Dossiers/Martin-Durand"')[0] == "OK"
    lines, _ = raw(c, 'GETMETADATA "Dossiers/Martin-Durand" /private/comment')
    assert lines == [b'* METADATA "Dossiers/Martin-Durand" (/private/comment "suivi")\r\n']
    assert c.delete('"Dossiers/Martin-Durand"')[0] == "OK"
    assert c.create('"Dossiers/Martin-Durand"')[0] == "OK"
    lines, _ = raw(c, 'GETMETADATA "Dossiers/Martin-Durand" /private/comment')
    assert lines == []
    c.logout()
