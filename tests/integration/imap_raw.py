"""One raw IMAP session over TLS to the test server, for tests that must see the exact lines (untagged
responses, response codes) that imaplib hides: command() returns every line up to the tagged one."""
import re
import socket

from mssd_harness import GP, PASSWORD


class RawImap:
    def __init__(self, server, login=True, user=GP, password=PASSWORD):
        sock = socket.create_connection(("127.0.0.1", server.imaps), timeout=60)
        self.sock = server.tls_context().wrap_socket(sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline().decode()
        self.tags = 0
        if login:
            self.ok(f'LOGIN "{user}" "{password}"')

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def tagged(self, tag):
        lines = []
        while True:
            line = self.file.readline()
            assert line, "the server closed the connection"
            lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            if lines[-1].startswith(tag + " "):
                return lines

    def next_tag(self):
        self.tags += 1
        return f"t{self.tags}"

    def command(self, text, tag=None):
        tag = tag or self.next_tag()
        self.send(f"{tag} {text}\r\n")
        return self.tagged(tag)

    def ok(self, text, tag=None):
        lines = self.command(text, tag)
        assert re.match(r"\S+ OK", lines[-1]), lines
        return lines

    def bad(self, text):
        lines = self.command(text)
        assert re.match(r"t\d+ BAD", lines[-1]), lines
        return lines[-1]

    def append(self, folder, subject, extra=""):
        """A small message appended with LITERAL+; its UID from APPENDUID."""
        message = f"From: a@b.fr\r\nSubject: {subject}\r\n{extra}\r\nbody {subject}\r\n"
        self.send(f"A{self.tags} APPEND {folder} {{{len(message)}+}}\r\n{message}\r\n")
        lines = self.tagged(f"A{self.tags}")
        uid = re.search(r"APPENDUID \d+ (\d+)", lines[-1])
        assert uid, lines
        return int(uid.group(1))

    def close(self):
        self.sock.close()
