#!/usr/bin/env python3
"""Relay between operators, mssd A -> mssd B beside Postfix A -> Postfix B, in one run (issue 11).
Each pair: two instances on loopback with their own test IGC certificates, TLS between them with client
certificates (mssd: the whitelist check; Postfix: smtp_tls_security_level=verify, smtpd asks for and
verifies the client certificate). The same load on both: 4 KiB messages submitted over STARTTLS by C
concurrent clients.
- Throughput: N messages as fast as the clients go; rate = N / (first submission -> last delivered).
  Rounds alternate between the pairs; the median of the rounds is reported.
- Latency: then a paced load at half Postfix's median rate, the same for both; queue-to-delivered is
  from A's 250 to "delivered at B": for mssd, A's log line saying B answered 250 to the final dot (B's
  250 means the message is in the mailbox, fsync'd); for Postfix, the mtime of the file virtual(8)
  put into B's maildir (Postfix B's own 250 only means queued).
Usage (root; Postfix installed): MSSD_BUILD=build python3 bench/compare_relay.py [N] [C] [ROUNDS]"""
import datetime
import os
import pathlib
import re
import smtplib
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from mssd_harness import PASSWORD, Operator, make_operator_pair  # noqa: E402
from postfix_peer import Postfix, available  # noqa: E402

BODY = ("ligne de texte pour le banc d'essai du relais entre operateurs MSSante " * 2)[:78] + "\r\n"


def message(sender, to, tag):
    head = f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: bench {tag}\r\nX-Bench: {tag}\r\n\r\n"
    return (head + BODY * ((4096 - len(head)) // len(BODY))).encode()


class MssdPair:
    name = "mssd"

    def __init__(self, tmp):
        self.a, self.b = make_operator_pair(tmp / "mssd")
        self.sender, self.to = self.a.user, self.b.user
        self.seen = 0  # log lines of A already read

    def client(self):
        c = smtplib.SMTP("127.0.0.1", self.a.submission, timeout=300)
        c.starttls(context=self.a.tls_context())
        c.login(self.a.user, PASSWORD)
        return c

    def key_of(self, reply, tag):
        return re.search(rb"queued as (\w+)", reply).group(1).decode()

    def delivered(self):
        """key -> unix time of delivery at B, for what was delivered since the last call."""
        out = {}
        lines = list(self.a.log)
        for line in lines[self.seen:]:
            m = re.match(r"(\S+) .*relay: (\w+): to=\S+ .*status=sent", line)
            if m:
                out[m.group(2)] = datetime.datetime.fromisoformat(m.group(1).rstrip("Z")).replace(
                    tzinfo=datetime.timezone.utc).timestamp()
        self.seen = len(lines)
        return out

    def stop(self):
        self.a.stop()
        self.b.stop()


class PostfixPair:
    name = "postfix"

    def __init__(self, tmp):
        ops = [Operator(tmp / d, f"{d}.mssante.fr", f"OPERATEUR {d.upper()}") for d in ("pfa", "pfb")]
        files = []
        for op in ops:
            pki = op.data / "pki"
            chain = op.data / "chain.pem"
            chain.write_text((pki / "server.crt").read_text() + (pki / "organisations.crt").read_text())
            files.append((chain, pki / "server.key", pki / "trust.pem"))
        (ca, cb) = files
        self.b = Postfix("pfb.mssante.fr", cb[0], cb[1], client_ca=ca[2], server_ca=ca[2]).start()
        self.a = Postfix("pfa.mssante.fr", ca[0], ca[1], client_ca=cb[2], server_ca=cb[2])
        self.a.route("pfb.mssante.fr", "localhost", self.b.port)
        self.a.start()
        self.sender, self.to = "medecin@pfa.mssante.fr", "medecin@pfb.mssante.fr"
        self.trust = str(ca[2])
        self.seen = set()

    def client(self):
        import ssl
        c = smtplib.SMTP("127.0.0.1", self.a.port, timeout=300)
        c.starttls(context=ssl.create_default_context(cafile=self.trust))
        return c

    def key_of(self, reply, tag):
        return tag

    def delivered(self):
        out = {}
        new = self.b.dir / "mail" / "box" / "new"
        if not new.exists():
            return out
        for name in os.listdir(new):
            if name in self.seen:
                continue
            path = new / name
            head = path.read_bytes()[:4096]
            m = re.search(rb"\nX-Bench: (\S+)", head)
            if m:
                out[m.group(1).decode()] = path.stat().st_mtime
                self.seen.add(name)
        return out

    def stop(self):
        self.a.cleanup()
        self.b.cleanup()


def submit(pair, count, clients, pace, run_id):
    """count messages by `clients` connections; pace = messages/s in all (0: as fast as they go).
    Returns (start, {key: time of A's 250})."""
    accepted, lock = {}, threading.Lock()
    start = time.time()
    per = count // clients

    def one(k):
        with pair.client() as c:
            for i in range(per):
                if pace:
                    due = start + (i * clients + k) / pace
                    if due > time.time():
                        time.sleep(due - time.time())
                tag = f"{run_id}-{k}-{i}"
                c.mail(pair.sender)
                c.rcpt(pair.to)
                code, text = c.data(message(pair.sender, pair.to, tag))
                assert code == 250, text
                with lock:
                    accepted[pair.key_of(text, tag)] = time.time()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return start, accepted


def run(pair, count, clients, pace, run_id):
    pair.delivered()  # forget what earlier runs delivered
    start, accepted = submit(pair, count, clients, pace, run_id)
    done = {}
    deadline = time.time() + 600
    while time.time() < deadline:
        done.update({k: t for k, t in pair.delivered().items() if k in accepted})
        if len(done) == len(accepted):
            break
        time.sleep(0.05)
    assert len(done) == len(accepted), f"{pair.name}: {len(accepted) - len(done)} not delivered"
    latency = sorted((done[k] - accepted[k]) * 1000 for k in accepted)
    pick = lambda p: latency[min(len(latency) - 1, int(p * len(latency)))]  # noqa: E731
    return len(accepted) / (max(done.values()) - start), pick(0.5), pick(0.99)


def main():
    if available():
        sys.exit(f"compare_relay: {available()}")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with tempfile.TemporaryDirectory() as tmp:
        pairs = []
        try:
            pairs = [PostfixPair(pathlib.Path(tmp)), MssdPair(pathlib.Path(tmp))]
            for p in pairs:  # warm up: connections, TLS session caches, SQLite pages
                run(p, 2 * clients, clients, 0, "warm")
            load = [os.getloadavg()[0]]
            rates = {p.name: [] for p in pairs}
            for r in range(rounds):
                for p in pairs:
                    rate, _, _ = run(p, n, clients, 0, f"t{r}")
                    rates[p.name].append(rate)
                    load.append(os.getloadavg()[0])
            median = {k: statistics.median(v) for k, v in rates.items()}
            pace = median["postfix"] / 2
            lat = {p.name: [] for p in pairs}
            for r in range(rounds):
                for p in pairs:
                    lat[p.name].append(run(p, max(clients, int(pace * 10)) // clients * clients, clients, pace, f"l{r}")[1:])
                    load.append(os.getloadavg()[0])
            print(f"{n} messages of 4 KiB, {clients} clients, {rounds} rounds; latency at {pace:.0f} msg/s "
                  f"(half Postfix's median rate), ~10 s per round; load average {min(load):.1f}-{max(load):.1f}")
            print("| pair | msg/s per round | msg/s median | p50 ms (median) | p99 ms (median) |")
            print("|---|---|---|---|---|")
            for name in rates:
                p50 = statistics.median(x[0] for x in lat[name])
                p99 = statistics.median(x[1] for x in lat[name])
                print(f"| {name} | {', '.join(f'{x:.0f}' for x in rates[name])} | {median[name]:.0f} | {p50:.1f} | {p99:.1f} |")
            print(f"mssd/Postfix throughput: {median['mssd'] / median['postfix']:.2f}")
        finally:
            for p in pairs:
                p.stop()


if __name__ == "__main__":
    main()
