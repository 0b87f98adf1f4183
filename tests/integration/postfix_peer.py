"""A private Debian Postfix on loopback, standing in for a foreign operator's MTA (issue 11): its own
configuration, queue, maildir and log under one directory, started with `postfix -c DIR start` and
stopped with `postfix -c DIR stop`; the machine's default instance is never touched. Shared by
tests/integration/test_relay_postfix.py and bench/compare_relay.sh. Trusts the certificates it is given."""
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
VIRTUAL_UID = 65534  # nobody: owns the maildir; virtual(8) delivers as this user


def available():
    """Why a private Postfix cannot run here, or "" when it can."""
    if not os.path.exists(POSTFIX):
        return "postfix is not installed (scripts/deps.sh --test installs it)"
    if os.geteuid() != 0:
        return "a private Postfix instance needs root (postfix -c DIR start)"
    return ""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
local      unix  - n n -  - local
virtual    unix  - n n -  - virtual
lmtp       unix  - - n -  - lmtp
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
"""


class Postfix:
    """One private instance: receives mail for `domain` into a maildir (TLS offered, client
    certificates asked and checked against `client_ca`), and relays everything else by the
    transport table, over TLS verified against `server_ca`, presenting `cert`/`key`."""

    def __init__(self, domain, cert, key, client_ca, server_ca=None, port=None):
        self.domain = domain
        self.port = port or free_port()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="mssd-postfix-"))
        self.dir.chmod(0o755)  # virtual(8) runs as nobody and must reach the maildir
        for sub in ("etc", "spool", "data", "mail"):
            (self.dir / sub).mkdir()
        os.chown(self.dir / "mail", VIRTUAL_UID, VIRTUAL_UID)
        owner = pwd.getpwnam("postfix")
        os.chown(self.dir / "data", owner.pw_uid, owner.pw_gid)
        etc = self.dir / "etc"
        shutil.copy(cert, etc / "cert.pem")
        shutil.copy(key, etc / "key.pem")
        (etc / "key.pem").chmod(0o600)
        shutil.copy(client_ca, etc / "client_ca.pem")
        shutil.copy(server_ca or client_ca, etc / "server_ca.pem")
        self.transports = {}
        (etc / "transport").write_text("")
        (etc / "master.cf").write_text(MASTER_CF.format(port=self.port))
        self.settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.dir / "spool"),
            "data_directory": str(self.dir / "data"),
            "maillog_file_prefixes": str(self.dir),
            "maillog_file": str(self.dir / "maillog"),
            "syslog_name": f"postfix-{self.port}",
            "myhostname": f"mx.{domain}",
            "mydomain": domain,
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "virtual_mailbox_domains": domain,
            "virtual_mailbox_base": str(self.dir / "mail"),
            "virtual_mailbox_maps": "static:box/",  # a maildir for every address of the domain
            "virtual_uid_maps": f"static:{VIRTUAL_UID}",
            "virtual_gid_maps": f"static:{VIRTUAL_UID}",
            "transport_maps": f"texthash:{etc / 'transport'}",
            # Server side: TLS offered, client certificates asked for and checked, trace in Received:.
            "smtpd_tls_security_level": "may",
            "smtpd_tls_cert_file": str(etc / "cert.pem"),
            "smtpd_tls_key_file": str(etc / "key.pem"),
            "smtpd_tls_CAfile": str(etc / "client_ca.pem"),
            "smtpd_tls_ask_ccert": "yes",
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_received_header": "yes",
            # Client side: TLS required and the peer's certificate verified, ours presented.
            "smtp_tls_security_level": "verify",
            "smtp_tls_CAfile": str(etc / "server_ca.pem"),
            "smtp_tls_cert_file": str(etc / "cert.pem"),
            "smtp_tls_key_file": str(etc / "key.pem"),
            "smtp_tls_loglevel": "1",
            # A loaded test machine: retry soon, never wait long for a peer.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "default_process_limit": "200",
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_message_rate_limit": "0",
            "mailbox_size_limit": "0",
            "message_size_limit": "26214400",
        }

    def postconf(self, **settings):
        self.settings.update({k: str(v) for k, v in settings.items()})

    def route(self, domain, host, port):
        """Mail for `domain` goes to host:port (no MX lookup), as mssctl route add does for mssd."""
        self.transports[domain] = f"smtp:[{host}]:{port}"

    def _write(self):
        etc = self.dir / "etc"
        (etc / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in self.settings.items()))
        (etc / "transport").write_text("".join(f"{d} {t}\n" for d, t in self.transports.items()))

    def _run(self, *args, check=True):
        r = subprocess.run([POSTFIX, "-c", str(self.dir / "etc"), *args], capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"postfix {' '.join(args)} failed: {r.stderr}{r.stdout}\n{self.log()}")
        return r

    def start(self, timeout=60):
        self._write()
        self._run("start")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    if s.recv(512).startswith(b"220"):
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("postfix did not start:\n" + self.log())

    def reload(self):
        self._write()
        self._run("reload")

    def stop(self):
        self._run("stop", check=False)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_log(self, needle, timeout=60):
        """True once the log holds `needle` (a plain substring)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log():
                return True
            time.sleep(0.1)
        return False

    def delivered(self):
        """The messages in the maildir, oldest first (bytes)."""
        new = self.dir / "mail" / "box" / "new"
        if not new.exists():
            return []
        return [p.read_bytes() for p in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime)]

    def delivered_count(self):
        new = self.dir / "mail" / "box" / "new"
        return len(os.listdir(new)) if new.exists() else 0

    def wait_delivered(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.delivered_count() < count:
            time.sleep(0.05)
        return self.delivered_count()
