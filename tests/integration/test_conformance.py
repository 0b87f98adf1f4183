"""Scripted IMAP conformance (in the manner of Cyrus's Cassandane): every tests/conformance/*.imap
script is one named pytest test, run over a raw socket against the real mssd, so a failure names
the feature. The script format is described in tests/conformance/README.md."""
import base64
import pathlib
import re
import socket
import ssl

import pytest

from mssd_harness import DOMAIN, PASSWORD, add_personal_account, deliver, wait_mail_count
import mssd_harness

SCRIPTS = sorted((pathlib.Path(__file__).resolve().parents[1] / "conformance").glob("*.imap"))
READ_TIMEOUT = 10  # seconds without a byte from the server before a script is failed as hung


class ScriptError(Exception):
    pass


# -- the script format ---------------------------------------------------------------------------
class Step:
    def __init__(self, kind, text, lineno, literal=None):
        self.kind, self.text, self.lineno, self.literal = kind, text, lineno, literal

    def __repr__(self):
        return f"line {self.lineno}: {self.kind} {self.text}"


def parse_script(path):
    """Returns (settings, steps). Settings come from "% key value" lines before the first step."""
    settings = {"account": "fresh", "port": "imaps", "login": False, "deliver": []}
    steps = []
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        raw, lineno = lines[i], i + 1
        i += 1
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith("%"):
            if steps:
                raise ScriptError(f"{path.name}:{lineno}: settings must come before the first step")
            key, _, value = raw[1:].strip().partition(" ")
            if key == "deliver":
                settings["deliver"].append(value)
            elif key == "login":
                settings["login"] = True
            elif key in ("account", "port"):
                settings[key] = value.strip()
            else:
                raise ScriptError(f"{path.name}:{lineno}: unknown setting {key!r}")
            continue
        if raw.strip() in ("...", "CLOSED", "TLS", "SHUTDOWN"):
            steps.append(Step(raw.strip(), "", lineno))
            continue
        m = re.match(r"(C:|S:|S~|S&~|S&|L:|RAW:|DELIVER:) ?(.*)$", raw)
        if not m:
            raise ScriptError(f"{path.name}:{lineno}: cannot read {raw!r}")
        kind, text = m.group(1).rstrip(":"), m.group(2)
        if kind == "L":
            # Literal data lines belong to the client line above them: joined with CRLF, no CRLF
            # after the last one (an empty "L:" line at the end adds one).
            if not steps or steps[-1].kind != "C" or steps[-1].literal is None:
                raise ScriptError(f"{path.name}:{lineno}: L: must follow a C: line ending in {{n}} or {{n+}}")
            steps[-1].literal.append(text)
            continue
        step = Step(kind, text, lineno)
        if kind == "C" and re.search(r"\{n\+?\}$", text):
            step.literal = []
        steps.append(step)
    return settings, steps


# -- running a script ----------------------------------------------------------------------------
class Connection:
    """A client socket that yields the server's output as physical lines, and knows which line
    opens a response (lines inside or after a literal do not: a literal cannot end a command)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.pending = []  # (line, opens_response)
        self.transcript = []

    def send(self, data: bytes):
        self.transcript.append("C: " + data.decode("utf-8", "replace").rstrip("\r\n"))
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise ScriptError(f"the server sent nothing for {READ_TIMEOUT} s (hung?)")
        except (ssl.SSLError, ConnectionResetError):
            chunk = b""
        if not chunk:
            raise EOFError
        self.buf += chunk

    def _raw_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_response(self):
        """One whole response (with its literals) split into physical lines."""
        parts = [self._raw_line()]
        while (m := re.search(rb"\{(\d+)\}$", parts[-1])) is not None:
            size = int(m.group(1))
            while len(self.buf) < size:
                self._fill()
            data, self.buf = self.buf[:size], self.buf[size:]
            parts[-1] += b"\r\n" + data + self._raw_line()
        text = b"\r\n".join(parts).decode("utf-8", "replace")
        lines = text.split("\r\n")
        self.pending += [(line, n == 0) for n, line in enumerate(lines)]
        self.transcript += ["S: " + line for line in lines]

    def next_line(self):
        if not self.pending:
            self._read_response()
        return self.pending.pop(0)

    def expect_closed(self):
        if self.pending:
            raise ScriptError(f"expected the connection to close, got {self.pending[0][0]!r}")
        try:
            self._read_response()
        except EOFError:
            return
        raise ScriptError(f"expected the connection to close, got {self.pending[0][0]!r}")


def expand(text, variables, for_regex=False):
    def one(m):
        expr = m.group(1)
        if expr.startswith("repeat "):
            _, count, unit = expr.split(" ", 2)
            value = unit * int(count)
        elif expr in variables:
            value = variables[expr]
        else:
            raise ScriptError(f"unknown variable ${{{expr}}}")
        return re.escape(value) if for_regex else value
    return re.sub(r"\$\{([^}]*)\}", one, text)


def is_completion(line, opens_response):
    """A tagged status response: the end of a command's output, never skipped over by "..."."""
    return opens_response and not line.startswith(("* ", "+ ")) and line != "+"


def run_script(server, path, settings, steps):
    stem = path.stem
    if settings["account"] == "fresh":
        user = add_personal_account(server, f"c.{stem}@{DOMAIN}")
    else:
        user = getattr(mssd_harness, settings["account"])
    delivered = 0

    def deliver_now(subject):
        nonlocal delivered
        before = len(server.mail_list(user))
        delivered += 1
        deliver(server, user, subject, body=f"ligne {delivered}")
        got = wait_mail_count(server, user, before + 1)
        if len(got) != before + 1:
            raise ScriptError(f"delivery of {subject!r} did not reach the store: {got}")

    for subject in settings["deliver"]:
        deliver_now(subject)
    variables = {
        "USER": user, "PASSWORD": PASSWORD, "DOMAIN": DOMAIN, "CRLF": "\r\n",
        "SASL_PLAIN": base64.b64encode(f"\0{user}\0{PASSWORD}".encode()).decode(),
    }
    ctx = server.tls_context()
    sock = socket.create_connection(("127.0.0.1", server.ports[settings["port"]]), timeout=READ_TIMEOUT)
    if settings["port"] == "imaps":
        sock = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    conn = Connection(sock)
    failure = None
    try:
        _execute(conn, ctx, settings, steps, variables, deliver_now)
    except (ScriptError, EOFError) as e:
        what = "the server closed the connection" if isinstance(e, EOFError) else str(e)
        step = getattr(e, "step", None)
        where = f"{path.name}:{step.lineno}: " if step else f"{path.name}: "
        tail = "\n".join("    " + t for t in conn.transcript[-40:])
        failure = f"{where}{what}\n  exchange (last lines):\n{tail}"
    finally:
        conn.sock.close()
    if failure and server_died(server):
        failure += f"\n  mssd died (exit status {server.proc.returncode}); its last log lines:\n" + \
            "\n".join("    " + line for line in server.log[-15:])
    if failure:
        pytest.fail(failure, pytrace=False)


def server_died(server, timeout=2):
    """Whether mssd has exited (or exits within timeout: an abort takes a moment)."""
    try:
        server.proc.wait(timeout=timeout)
    except Exception:
        return False
    return True


def _execute(conn, ctx, settings, steps, variables, deliver_now):
    greeting_scripted = bool(steps) and steps[0].kind in ("S", "S~", "...")
    if not greeting_scripted:
        line, _ = conn.next_line()
        if not line.startswith("* OK"):
            raise ScriptError(f"unexpected greeting {line!r}")
    if settings["login"]:
        conn.send(f"login0 LOGIN \"{variables['USER']}\" \"{variables['PASSWORD']}\"\r\n".encode())
        line, _ = conn.next_line()
        if not line.startswith("login0 OK"):
            raise ScriptError(f"set-up LOGIN failed: {line!r}")
    skipping = False
    index = 0
    while index < len(steps):
        step = steps[index]
        index += 1
        try:
            if step.kind == "C":
                send_command(conn, step, variables)
            elif step.kind == "RAW":
                conn.send(expand(step.text, variables).encode())
            elif step.kind == "...":
                skipping = True
            elif step.kind in ("S", "S~"):
                match_line(conn, step, variables, skipping)
                skipping = False
            elif step.kind in ("S&", "S&~"):
                group = [step]
                while index < len(steps) and steps[index].kind in ("S&", "S&~"):
                    group.append(steps[index])
                    index += 1
                match_unordered(conn, group, variables, skipping)
                skipping = False
            elif step.kind == "CLOSED":
                conn.expect_closed()
            elif step.kind == "DELIVER":
                deliver_now(expand(step.text, variables))
            elif step.kind == "SHUTDOWN":
                conn.sock.shutdown(socket.SHUT_WR)
            elif step.kind == "TLS":
                if conn.buf or conn.pending:
                    raise ScriptError("the server sent more before the TLS handshake")
                try:
                    conn.sock = ctx.wrap_socket(conn.sock, server_hostname="127.0.0.1")
                except (ssl.SSLError, OSError) as e:
                    raise ScriptError(f"TLS handshake failed: {e}")
                conn.transcript.append("-- TLS handshake done")
        except (ScriptError, EOFError) as e:
            e.step = step
            raise


def send_command(conn, step, variables):
    text = expand(step.text, variables)
    if step.literal is None:
        conn.send(text.encode() + b"\r\n")
        return
    data = "\r\n".join(expand(l, variables) for l in step.literal).encode()
    sync = not text.endswith("{n+}")
    header = f"{{{len(data)}}}" if sync else f"{{{len(data)}+}}"
    conn.send(re.sub(r"\{n\+?\}$", lambda _: header, text).encode() + b"\r\n")
    if sync:
        line, _ = conn.next_line()
        if not line.startswith("+"):
            raise ScriptError(f"expected a continuation request \"+\" for the literal, got {line!r}")
    conn.send(data)


def matcher(step, variables):
    """A function of a server line: a match (truthy; regex groups become variables) or None."""
    if step.kind.endswith("~"):
        pattern = re.compile(expand(step.text, variables, for_regex=True))
        return pattern.fullmatch
    want = expand(step.text, variables)
    return lambda line: line == want or None


def bind(match, variables):
    if isinstance(match, re.Match):
        variables.update({k: v for k, v in match.groupdict().items() if v is not None})


def match_line(conn, step, variables, skipping):
    matches = matcher(step, variables)
    while True:
        line, opens = conn.next_line()
        m = matches(line)
        if m:
            return bind(m, variables)
        if skipping and not is_completion(line, opens):
            continue
        raise ScriptError(f"expected {'a line matching ' if step.kind.endswith('~') else ''}{step.text!r}\n"
                          f"  got {line!r}")


def match_unordered(conn, group, variables, skipping):
    """Consecutive S& / S&~ lines: the next server lines, in any order."""
    waiting = [(step, matcher(step, variables)) for step in group]
    while waiting:
        line, opens = conn.next_line()
        for n, (step, matches) in enumerate(waiting):
            if m := matches(line):
                bind(m, variables)
                del waiting[n]
                break
        else:
            if skipping and not is_completion(line, opens):
                continue
            left = "\n    ".join(step.text for step, _ in waiting)
            raise ScriptError(f"got {line!r}\n  while expecting, in any order:\n    {left}")


@pytest.fixture
def live_server(server):
    """The module's mssd, started again if a previous script made it die (that script failed and
    said so), so that one crash does not fail every script after it."""
    if server.proc.poll() is not None:
        server.start()
    return server


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script(live_server, script):
    settings, steps = parse_script(script)
    run_script(live_server, script, settings, steps)


def test_scripts_exist():
    assert len(SCRIPTS) >= 20, "tests/conformance/*.imap went missing"
