#!/usr/bin/env python3
"""Password guessing beside legitimate work, in one run against one real mssd at the production scrypt
cost: first a quiet phase, then the same legitimate load while guessers hammer IMAP LOGIN. Measures
what a user feels: an IMAPS session (TLS, LOGIN, SELECT INBOX, LOGOUT) and a port-25 delivery (one
small message, plain SMTP), each in its own process, and prints median, p99 and max per phase with
the ratio attack/quiet. Guessers: processes bound to distinct loopback addresses, threads each
reconnecting whenever mssd closes their session. Runs against any build (MSSD_BUILD), so main's
figures come from the same script.
Usage: MSSD_BUILD=build bench/auth_guard.py [--seconds 40] [--connections 40] [--ips 3] [--log-n 17]
       [--target random|victim]"""
import argparse
import multiprocessing as mp
import pathlib
import random
import smtplib
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from mssd_harness import BUILD, DOMAIN, PASSWORD, Server, add_personal_account  # noqa: E402

READER = f"lecteur@{DOMAIN}"      # signs in over IMAP
RECIPIENT = f"accueil@{DOMAIN}"   # receives the port-25 deliveries
LEGIT_IMAP_FROM = "127.0.0.2"
LEGIT_SMTP_FROM = "127.0.0.3"


def tls_context(trust):
    return ssl.create_default_context(cafile=trust)


def imap_session(port, trust, source, user, password):
    """One IMAPS session; returns the last tagged status line of LOGIN and SELECT ('OK'...)."""
    sock = socket.create_connection(("127.0.0.1", port), 300, source_address=(source, 0))
    s = tls_context(trust).wrap_socket(sock, server_hostname="127.0.0.1")
    f = s.makefile("rb")
    f.readline()
    s.sendall(f'a LOGIN "{user}" "{password}"\r\n'.encode())
    line = f.readline()
    while line.startswith(b"*"):
        line = f.readline()
    if line.startswith(b"a OK"):
        s.sendall(b"b SELECT INBOX\r\n")
        line = f.readline()
        while line.startswith(b"*"):
            line = f.readline()
        s.sendall(b"c LOGOUT\r\n")
    s.close()
    return line.decode(errors="replace")


def legit_imap(port, trust, seconds, out):
    latencies, starts, errors = [], [], 0
    begin = time.monotonic()
    while time.monotonic() < begin + seconds:
        t = time.monotonic()
        try:
            ok = imap_session(port, trust, LEGIT_IMAP_FROM, READER, PASSWORD).startswith("b OK")
        except OSError:
            ok = False
        if ok:
            latencies.append(time.monotonic() - t)
            starts.append(t - begin)
        else:
            errors += 1
    out.put(("imap", latencies, errors, starts))


def legit_smtp(port, seconds, out):
    latencies, starts, errors = [], [], 0
    message = f"From: <lab@labo-y.mssante.fr>\r\nTo: <{RECIPIENT}>\r\nSubject: CR\r\n\r\nGlycemie 5.1\r\n"
    begin = time.monotonic()
    while time.monotonic() < begin + seconds:
        t = time.monotonic()
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=300, source_address=(LEGIT_SMTP_FROM, 0)) as c:
                c.sendmail("lab@labo-y.mssante.fr", [RECIPIENT], message.encode())
            latencies.append(time.monotonic() - t)
            starts.append(t - begin)
        except (OSError, smtplib.SMTPException):
            errors += 1
        time.sleep(0.05)  # a steady trickle of mail, not a flood
    out.put(("smtp", latencies, errors, starts))


def guesser(port, trust, source, threads, target, stop, out):
    counts = {"sessions": 0, "failed": 0, "unavailable": 0, "other": 0}
    lock = threading.Lock()

    def run(seed):
        rng = random.Random(seed)
        while not stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", port), 300, source_address=(source, 0))
                s = tls_context(trust).wrap_socket(sock, server_hostname="127.0.0.1")
                f = s.makefile("rb")
                f.readline()
                with lock:
                    counts["sessions"] += 1
                n = 0
                while not stop.is_set():
                    user = READER if target == "victim" else f"user{rng.randrange(1000)}@{DOMAIN}"
                    s.sendall(f'g{n} LOGIN "{user}" "pw{rng.randrange(10**9)}"\r\n'.encode())
                    line = f.readline()
                    n += 1
                    kind = ("failed" if b"AUTHENTICATIONFAILED" in line else
                            "unavailable" if b"UNAVAILABLE" in line else "other")
                    with lock:
                        counts[kind] += 1
                    if kind == "other":
                        break
                s.close()
            except OSError:
                pass

    workers = [threading.Thread(target=run, args=(f"{source}-{i}",)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(("guesser", source, counts))


def summary(latencies):
    if not latencies:
        return "n=0"
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"n={len(ms)} p50_ms={statistics.median(ms):.1f} p99_ms={p99:.1f} max_ms={ms[-1]:.1f}"


def phase(server, seconds, attack):
    out = mp.Queue()
    stop = mp.Event()
    trust = str(server.trust)
    guessers = []
    if attack:
        per_ip = [attack["connections"] // attack["ips"] + (i < attack["connections"] % attack["ips"])
                  for i in range(attack["ips"])]
        guessers = [mp.Process(target=guesser, args=(server.imaps, trust, f"127.0.0.{21 + i}", n, attack["target"],
                                                     stop, out)) for i, n in enumerate(per_ip)]
        for g in guessers:
            g.start()
    legit = [mp.Process(target=legit_imap, args=(server.imaps, trust, seconds, out)),
             mp.Process(target=legit_smtp, args=(server.smtp, seconds, out))]
    for p in legit:
        p.start()
    results = {}
    for _ in legit:
        kind, latencies, errors, starts = out.get()
        results[kind] = (latencies, errors, starts)
    stop.set()
    attackers = [out.get() for _ in guessers]
    for p in legit + guessers:
        p.join()
    return results, attackers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--connections", type=int, default=40)
    ap.add_argument("--ips", type=int, default=3)
    ap.add_argument("--log-n", type=int, default=17)
    ap.add_argument("--target", choices=["random", "victim"], default="random",
                    help="guess random addresses, or the IMAP reader's own")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(pathlib.Path(tmp) / "data")
        server.init()
        server.configure(password_scrypt_log_n=a.log_n)  # before the accounts: their hashes at this cost
        add_personal_account(server, READER)
        add_personal_account(server, RECIPIENT)
        server.start()
        try:
            print(f"mssd={server.data.parent} build={BUILD} "
                  f"log_n={a.log_n} cpus={mp.cpu_count()} load={open('/proc/loadavg').read().split()[:3]}")
            quiet, _ = phase(server, a.seconds, None)
            attack = {"connections": a.connections, "ips": a.ips, "target": a.target}
            loud, attackers = phase(server, a.seconds, attack)
        finally:
            server.stop()
        lockouts = sum("auth: lock-out" in line for line in server.log)
    for kind, what in (("imap", "IMAPS connect+LOGIN+SELECT+LOGOUT"), ("smtp", "port-25 delivery")):
        (q, qe, _), (l, le, ls_at) = quiet[kind], loud[kind]
        print(f"{kind} quiet  {summary(q)} errors={qe}   ({what})")
        print(f"{kind} attack {summary(l)} errors={le}")
        slowest = sorted(zip(l, ls_at), reverse=True)[:3]
        print(f"{kind} attack slowest: " + ", ".join(f"{x * 1000:.0f} ms at {at:.1f} s" for x, at in slowest))
        if q and l:
            qs, ls = sorted(q), sorted(l)
            p99 = lambda v: v[min(len(v) - 1, int(len(v) * 0.99))]  # noqa: E731
            print(f"{kind} ratio attack/quiet: median {statistics.median(ls) / statistics.median(qs):.2f} "
                  f"p99 {p99(ls) / p99(qs):.2f}")
    for _, source, counts in attackers:
        print(f"guesser {source} " + " ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"lock-out lines in the log: {lockouts}")


if __name__ == "__main__":
    main()
