"""CATENATE (RFC 4469) through raw IMAP over TLS: messages built from TEXT parts and IMAP URLs
(RFC 5092) of messages or sections in the user's own mailboxes and in organisational mailboxes under
ACL "r"; each refused URL is NO [BADURL url] and a result over APPENDLIMIT NO [TOOBIG], with nothing
stored; CATENATE inside MULTIAPPEND and REPLACE (RFC 8508)."""
import re
import sys
import pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from imap_raw import RawImap  # noqa: E402
from mssd_harness import Server, GP, DOCTOR, SECRETARY, PRACTICE  # noqa: E402

LIMIT = 64 * 1024  # the server's APPENDLIMIT here, small enough to reach with a few URL parts
SHARED = f"Shared/{PRACTICE}/INBOX"

SOURCE = (b"From: lab@labo-y.mssante.fr\r\n"
          b"To: jean.dupont@test.mssante.fr\r\n"
          b"Subject: resultats\r\n"
          b"MIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
          b"\r\n"
          b"--b1\r\n"
          b"Content-Type: text/plain; charset=utf-8\r\n"
          b"\r\n"
          b"Compte rendu en piece jointe.\r\n"
          b"--b1\r\n"
          b"Content-Type: application/pdf; name=\"cr.pdf\"\r\n"
          b"Content-Transfer-Encoding: base64\r\n"
          b"\r\n"
          b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\r\n"
          b"--b1--\r\n")
PART2_MIME = b"Content-Type: application/pdf; name=\"cr.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
PART2 = b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mssd"))
    s.init()
    s.configure(section="limits", max_message_size=LIMIT)
    s.add_standard_accounts()
    s.start()
    yield s
    s.stop()


def hostname(server):
    return re.search(r'^hostname = "(.*)"$', (server.data / "mssd.toml").read_text(), flags=re.M).group(1)


class Raw(RawImap):
    """A raw session whose response lines keep their literals' octets, and whose commands may be bytes."""

    def __init__(self, server, user=GP):
        super().__init__(server, user=user)

    def tagged(self, tag):
        lines = []
        while True:
            line = self.file.readline()
            assert line, "the server closed the connection"
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:  # a literal: keep its octets in the line
                line += self.file.read(int(m.group(1))) + self.file.readline()
            lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            if lines[-1].startswith(tag + " "):
                return lines

    def command(self, text, tag=None):
        tag = tag or self.next_tag()
        self.send((f"{tag} ".encode() if isinstance(text, bytes) else f"{tag} ") + text + (b"\r\n" if isinstance(text, bytes) else "\r\n"))
        return self.tagged(tag)

    def fetch_bytes(self, mailbox, uid, item="BODY.PEEK[]"):
        """The octets of a FETCH literal, read exactly."""
        self.ok(f'EXAMINE "{mailbox}"')
        tag = self.next_tag()
        self.send(f"{tag} UID FETCH {uid} ({item})\r\n")
        data = None
        while True:
            line = self.file.readline()
            assert line
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                data = self.file.read(int(m.group(1)))
                continue
            if line.startswith(tag.encode() + b" "):
                assert line.startswith(tag.encode() + b" OK"), line
                return data

    def messages(self, mailbox):
        line = next(x for x in self.ok(f'STATUS "{mailbox}" (MESSAGES)') if x.startswith("* STATUS"))
        return int(re.search(r"MESSAGES (\d+)", line).group(1))

    def uidvalidity(self, mailbox):
        line = next(x for x in self.ok(f'STATUS "{mailbox}" (UIDVALIDITY)') if x.startswith("* STATUS"))
        return int(re.search(r"UIDVALIDITY (\d+)", line).group(1))

    def append(self, mailbox, data):
        lines = self.command(f'APPEND "{mailbox}" {{{len(data)}+}}\r\n'.encode() + data)
        assert re.match(r"t\d+ OK \[APPENDUID \d+ \d+\]", lines[-1]), lines
        return int(lines[-1].split("]")[0].split()[-1])

    def close(self):
        self.sock.close()


def text(data):
    return f"TEXT {{{len(data)}+}}\r\n".encode() + data


def catenate(mailbox, *parts, verb="APPEND"):
    return f'{verb} "{mailbox}" CATENATE ('.encode() + b" ".join(
        p if isinstance(p, bytes) else f'URL "{p}"'.encode() for p in parts) + b")"


def test_catenate_builds_the_message_from_text_and_url_parts(server):
    s = Raw(server)
    caps = next(x for x in s.ok("CAPABILITY") if x.startswith("* CAPABILITY"))
    assert " CATENATE" in caps and " URL-PARTIAL" in caps
    s.ok('CREATE "cat-src"')
    s.ok('CREATE "cat-out"')
    uid = s.append("cat-src", SOURCE)
    validity = s.uidvalidity("cat-src")
    out_validity = s.uidvalidity("cat-out")
    # The forwarded report: a new header and text, then the attachment's MIME header and body from
    # the stored message (absolute path with UIDVALIDITY, then an absolute imap:// URL), closing text.
    head = (b"From: jean.dupont@test.mssante.fr\r\nTo: marie.martin@test.mssante.fr\r\nSubject: Fwd\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"f\"\r\n\r\n--f\r\n"
            b"Content-Type: text/plain\r\n\r\nVoir piece jointe.\r\n--f\r\n")
    tail = b"\r\n--f--\r\n"
    lines = s.command(catenate(
        "cat-out", text(head), f"/cat-src;UIDVALIDITY={validity}/;UID={uid}/;SECTION=2.MIME",
        f"imap://{GP.replace('@', '%40')}@{hostname(server)}/cat-src/;UID={uid}/;SECTION=2", text(tail)))
    assert lines[-1] == f"t{s.tags} OK [APPENDUID {out_validity} 1] APPEND completed", lines
    assert s.fetch_bytes("cat-out", 1) == head + PART2_MIME + PART2 + tail
    # Relative to the selected mailbox, the whole message and a partial window of its header.
    s.ok('SELECT "cat-src"')
    lines = s.command(catenate("cat-out", f";UID={uid}/;SECTION=HEADER/;PARTIAL=0.20", f";UID={uid}/;SECTION=TEXT"))
    assert re.match(rf"t\d+ OK \[APPENDUID {out_validity} 2\]", lines[-1]), lines
    header_len = SOURCE.index(b"\r\n\r\n") + 4
    assert s.fetch_bytes("cat-out", 2) == SOURCE[:20] + SOURCE[header_len:]
    lines = s.command(catenate("cat-out", f"/cat-src/;UID={uid}"))
    assert re.match(rf"t\d+ OK \[APPENDUID {out_validity} 3\]", lines[-1]), lines
    assert s.fetch_bytes("cat-out", 3) == SOURCE
    # Fetching through a URL does not mark the source \Seen.
    flags = next(x for x in s.ok(f"UID FETCH {uid} (FLAGS)") if "FETCH" in x)
    assert "\\Seen" not in flags, flags
    s.close()


def test_catenate_with_literal8_text_re_encodes_the_binary_part(server):
    s = Raw(server)
    s.ok('CREATE "cat-bin"')
    head = (b"Subject: binaire\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n"
            b"--z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
    body = b"\x00\x01\x02binaire\x00"
    part = f"TEXT ~{{{len(head + body)}+}}\r\n".encode() + head + body
    lines = s.command(catenate("cat-bin", part, text(b"\r\n--z--\r\n")))
    assert re.match(r"t\d+ OK \[APPENDUID \d+ 1\]", lines[-1]), lines
    stored = s.fetch_bytes("cat-bin", 1)
    assert b"\x00" not in stored
    assert b"Content-Transfer-Encoding: base64" in stored
    assert s.fetch_bytes("cat-bin", 1, "BINARY.PEEK[1]") == body
    s.close()


def test_catenate_from_an_organisational_mailbox_needs_the_read_right(server):
    gp = Raw(server)
    uid = gp.append(SHARED, SOURCE)
    gp.close()
    url = f"/{SHARED}/;UID={uid}/;SECTION=1"
    # The secretary holds "lrsw" on the practice's mailbox: the part comes into her own draft.
    secretary = Raw(server, SECRETARY)
    before = secretary.messages("INBOX")
    lines = secretary.command(catenate("INBOX", text(b"Subject: copie\r\n\r\n"), url))
    assert re.match(r"t\d+ OK \[APPENDUID \d+ \d+\] APPEND completed", lines[-1]), lines
    new_uid = int(lines[-1].split("]")[0].split()[-1])
    assert secretary.fetch_bytes("INBOX", new_uid) == b"Subject: copie\r\n\r\nCompte rendu en piece jointe."
    assert secretary.messages("INBOX") == before + 1
    secretary.close()
    # The doctor holds no right there: the same URL is a bad URL, as for a mailbox that does not exist.
    doctor = Raw(server, DOCTOR)
    before = doctor.messages("INBOX")
    lines = doctor.command(catenate("INBOX", text(b"Subject: copie\r\n\r\n"), url))
    assert lines[-1].startswith(f"t{doctor.tags} NO [BADURL {url}] "), lines
    missing = f"/Shared/{PRACTICE}/Nowhere/;UID=1"
    lines = doctor.command(catenate("INBOX", missing))
    assert lines[-1].startswith(f"t{doctor.tags} NO [BADURL {missing}] "), lines
    assert doctor.messages("INBOX") == before
    doctor.close()
    # Made a member who may see the mailbox ("l") but not read it: still a bad URL.
    server.ctl("account", "member", "add", PRACTICE, DOCTOR, "--rights", "l")
    doctor = Raw(server, DOCTOR)
    assert f'* MYRIGHTS "{SHARED}" l' in doctor.ok(f'MYRIGHTS "{SHARED}"')
    lines = doctor.command(catenate("INBOX", text(b"Subject: copie\r\n\r\n"), url))
    assert lines[-1].startswith(f"t{doctor.tags} NO [BADURL {url}] "), lines
    assert doctor.messages("INBOX") == before
    doctor.close()


def test_bad_urls_are_refused_and_nothing_is_stored(server):
    s = Raw(server)
    s.ok('CREATE "cat-bad"')
    s.ok('CREATE "cat-bad-src"')
    uid = s.append("cat-bad-src", SOURCE)
    validity = s.uidvalidity("cat-bad-src")
    host = hostname(server)
    user = GP.replace("@", "%40")
    bad = [
        f"/cat-bad-src;UIDVALIDITY={validity + 1}/;UID={uid}",    # the mailbox was recreated since
        f"/cat-bad-src/;UID={uid + 10}",                          # no such message
        "/cat-nowhere/;UID=1",                                   # no such mailbox
        f"/cat-bad-src/;UID={uid}/;SECTION=5",                   # no such part
        f"imap://{user}@elsewhere.example/cat-bad-src/;UID={uid}",             # another server
        f"imap://{DOCTOR.replace('@', '%40')}@{host}/cat-bad-src/;UID={uid}",   # another user
        f"imap://{user}@{host}/cat-bad-src/;UID={uid};URLAUTH=anonymous:internal:"
        "0123456789abcdef0123456789abcdef",                                    # URLAUTH (RFC 4467)
        f";UID={uid}",                                           # relative, but nothing selected
        "/cat-bad-src?SUBJECT%20x",                              # a search, not a message
    ]
    for url in bad:
        lines = s.command(catenate("cat-bad", text(b"Subject: x\r\n\r\n"), url, text(b"fin\r\n")))
        assert lines[-1].startswith(f"t{s.tags} NO [BADURL {url}] "), (url, lines)
    assert server.wait_log(r"CATENATE URL refused for .*another server or user", timeout=30)
    # A UTF8 part (RFC 6855) before UTF8=ACCEPT is enabled: BAD, as APPEND UTF8.
    lines = s.command(b'APPEND "cat-bad" CATENATE (UTF8 (~{1+}\r\nz))')
    assert re.match(r"t\d+ BAD ", lines[-1]), lines
    # url-resp-text cannot hold "]" or "\": they come back percent-encoded.
    lines = s.command(catenate("cat-bad", "/a]b/;UID=1"))
    assert lines[-1].startswith(f"t{s.tags} NO [BADURL /a%5Db/;UID=1] "), lines
    # MULTIAPPEND: the second message's bad URL leaves the first unstored too.
    lines = s.command(f'APPEND "cat-bad" {{3+}}\r\nx\r\n '.encode() + catenate("cat-bad", "/cat-nowhere/;UID=1")[len('APPEND "cat-bad" '):])
    assert re.match(r"t\d+ NO \[BADURL /cat-nowhere/;UID=1\]", lines[-1]), lines
    assert s.messages("cat-bad") == 0
    # A MULTIAPPEND whose messages are all good files both, in order.
    lines = s.command(f'APPEND "cat-bad" {{3+}}\r\nx\r\n '.encode() + catenate("cat-bad", f"/cat-bad-src/;UID={uid}/;SECTION=1")[len('APPEND "cat-bad" '):])
    assert re.match(r"t\d+ OK \[APPENDUID \d+ 1:2\]", lines[-1]), lines
    assert s.fetch_bytes("cat-bad", 2) == b"Compte rendu en piece jointe."
    s.close()


def test_a_result_over_appendlimit_is_toobig(server):
    s = Raw(server)
    s.ok('CREATE "cat-big"')
    s.ok('CREATE "cat-big-src"')
    big = b"Subject: gros\r\n\r\n" + (b"x" * 78 + b"\r\n") * 300  # 24 KB
    uid = s.append("cat-big-src", big)
    url = f"/cat-big-src/;UID={uid}"
    lines = s.command(catenate("cat-big", url, url))
    assert re.match(r"t\d+ OK", lines[-1]), lines
    lines = s.command(catenate("cat-big", url, url, url))  # 72 KB > 64 KiB
    assert re.match(r"t\d+ NO \[TOOBIG\] ", lines[-1]), lines
    # TEXT parts that together pass the limit, each under it: refused before any URL is read.
    half = b"y" * (LIMIT // 2 + 1)
    lines = s.command(catenate("cat-big", text(half), "/cat-nowhere/;UID=1", text(half)))
    assert re.match(r"t\d+ NO \[TOOBIG\] ", lines[-1]), lines
    # One TEXT literal over the limit: refused by the framing, as APPEND's (RFC 7889).
    tag = s.next_tag()
    s.send(f'{tag} APPEND "cat-big" CATENATE (TEXT {{{LIMIT + 1}}}\r\n')
    assert s.file.readline().startswith(f"{tag} NO [TOOBIG]".encode())
    assert s.messages("cat-big") == 1
    s.close()


def test_catenate_inside_replace(server):
    s = Raw(server)
    s.ok('CREATE "cat-drafts"')
    draft = b"Subject: brouillon\r\nTo: marie.martin@test.mssante.fr\r\n\r\nPremier jet.\r\n"
    uid = s.append("cat-drafts", draft)
    validity = s.uidvalidity("cat-drafts")
    s.ok('SELECT "cat-drafts"')
    body = b"Version finale.\r\n"
    lines = s.command(catenate("cat-drafts", f";UID={uid}/;SECTION=HEADER", text(body),
                               verb=f"UID REPLACE {uid}"))
    assert lines[-1] == f"t{s.tags} OK UID REPLACE completed", lines
    assert f"* OK [APPENDUID {validity} {uid + 1}] Replacement filed" in lines, lines
    assert "* 1 EXPUNGE" in lines, lines
    assert s.fetch_bytes("cat-drafts", uid + 1) == draft[:draft.index(b"\r\n\r\n") + 4] + body
    assert s.messages("cat-drafts") == 1
    # A bad URL in the replacement leaves the old message in place.
    s.ok('SELECT "cat-drafts"')
    lines = s.command(catenate("cat-drafts", f";UID={uid}", verb=f"UID REPLACE {uid + 1}"))
    assert lines[-1].startswith(f"t{s.tags} NO [BADURL ;UID={uid}] "), lines
    assert s.messages("cat-drafts") == 1
    assert s.fetch_bytes("cat-drafts", uid + 1).endswith(body)
    s.close()
