#!/usr/bin/env python3
"""Memory per idle IMAP connection with and without COMPRESS=DEFLATE: starts a throwaway mssd
(mssctl init in a temporary folder, loopback only), opens N connections that log in, SELECT INBOX
(COMPRESS DEFLATE first when asked) and sit in IDLE, and reads mssd's VmRSS before and after.
With SENT_KIB, each session first sends that many KiB of commands (SEARCH TEXT with words of
ordinary French prose without accents, 1 KiB each), so that the server's decompressor holds a
full window.
The server packs a compressed session's window once it has waited REST_AFTER seconds for a command
(core/stream.cpp kFilterRestAfter): RSS is read that long after the last session went idle.
Bounded: N connections, a few minutes at most; stops everything it started.
Usage: bench/compress_idle.py BUILD_DIR [N] [SENT_KIB]"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import zlib

BUILD = sys.argv[1] if __name__ == "__main__" else None
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
SENT_KIB = int(sys.argv[3]) if len(sys.argv) > 3 else 0
REST_AFTER = 10
WORDS = ("le patient", "presente", "une douleur", "thoracique", "depuis", "trois jours", "sans fievre",
         "antecedents", "de diabete", "traitement", "en cours", "metformine", "bilan", "sanguin", "demande",
         "compte rendu", "d'hospitalisation", "cordialement", "docteur", "cabinet")
USERS = 50
DOMAIN = "bench.mssante.fr"
PASSWORD = "bench-Passw0rd"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


class Session:
    def __init__(self, port, ctx, user, compress, sent_kib=None, idle=True):
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60),
                                    server_hostname="localhost")
        self.deflater = self.inflater = None
        self.buffer = b""
        self.expect(b"* OK")
        self.command(f'l LOGIN "{user}" "{PASSWORD}"', b"l OK")
        if compress:
            self.command("c COMPRESS DEFLATE", b"c OK")
            self.deflater, self.inflater = zlib.compressobj(6, zlib.DEFLATED, -15), zlib.decompressobj(-15)
        self.command("s SELECT INBOX", b"s OK")
        for k in range(SENT_KIB if sent_kib is None else sent_kib):
            text, n = "", k
            while len(text) < 1000:
                n = (n * 1103515245 + 12345) % 2147483648
                text += WORDS[n % len(WORDS)] + " "
            self.command(f"t{k} SEARCH TEXT \"{text}\"", f"t{k} OK".encode())
        if idle:
            self.send("i IDLE")
            self.expect(b"+ idling")

    def send(self, line):
        data = line.encode() + b"\r\n"
        if self.deflater:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def expect(self, prefix):
        while True:
            while b"\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError
                self.buffer += self.inflater.decompress(chunk) if self.inflater else chunk
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.startswith(prefix):
                return
            if not line.startswith(b"*"):
                raise RuntimeError(line)

    def command(self, line, ok):
        self.send(line)
        self.expect(ok)


def throwaway_data(work):
    """A data folder made by mssctl with USERS accounts idle0..idle(USERS-1); returns its path."""
    data = os.path.join(work, "data")
    ctl = [os.path.join(BUILD, "mssctl"), "--data", data]
    subprocess.run(ctl + ["init", "--domain", DOMAIN], check=True, capture_output=True)
    toml = os.path.join(data, "mssd.toml")
    text = open(toml).read()
    for key, value in (("password_scrypt_log_n", "12"), ("max_connections_per_ip", "20000"),
                       ("max_connections", "20000"), ("hash_queue", "100000"), ("hash_queue_per_ip", "100000")):
        text = "\n".join(f"{key} = {value}" if l.startswith(f"{key} = ") else l for l in text.split("\n"))
    open(toml, "w").write(text)
    for i in range(USERS):
        subprocess.run(ctl + ["account", "add", f"idle{i}@{DOMAIN}", "--kind", "personal", "--password-stdin"],
                       input=(PASSWORD + "\n").encode(), check=True, capture_output=True)
    return data


def start_mssd(work, data):
    """A fresh mssd on the data folder, implicit TLS on a free loopback port: (process, port)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log_path = os.path.join(work, "mssd.log")
    log = open(log_path, "w")
    mssd = subprocess.Popen([os.path.join(BUILD, "mssd"), "--data", data, "--listen", "127.0.0.1",
                             "--smtp-port", "0", "--submission-port", "0", "--submissions-port", "0",
                             "--imap-port", "0", "--imaps-port", str(port), "--https-port", "0"],
                            stderr=log)
    for _ in range(150):
        if "mssd: ready" in open(log_path).read():
            break
        time.sleep(0.2)
    time.sleep(1)
    return mssd, port


def main():
    with tempfile.TemporaryDirectory() as work:
        data = throwaway_data(work)
        ctx = ssl.create_default_context(cafile=os.path.join(data, "pki", "trust.pem"))
        print("| sessions | idle connections | RSS before MiB | RSS after MiB | KiB/connection |")
        print("|---|---|---|---|---|")
        for compress in (False, True):  # each on a freshly started mssd
            mssd, port = start_mssd(work, data)
            try:
                before = rss_kib(mssd.pid)
                sessions = [Session(port, ctx, f"idle{i % USERS}@{DOMAIN}", compress) for i in range(N)]
                time.sleep(REST_AFTER + 3)
                after = rss_kib(mssd.pid)
                print(f"| {'COMPRESS=DEFLATE' if compress else 'plain'} | {N} | {before / 1024:.1f} | "
                      f"{after / 1024:.1f} | {(after - before) / N:.1f} |", flush=True)
                for session in sessions:
                    session.sock.close()
            finally:
                mssd.send_signal(signal.SIGTERM)
                mssd.wait(timeout=60)


if __name__ == "__main__":
    main()
