#!/usr/bin/env python3
"""Relay A -> B between two real mssd instances (tests/integration/mssd_harness.make_operator_pair):
N messages submitted on A's submission port by C concurrent clients, each timed from A's 250 to A's
log line saying B answered 250 (`relay: ID: ... status=sent`). Prints throughput and latency
percentiles. Usage: MSSD_BUILD=build python3 bench/relay_pair.py [N] [C]"""
import datetime
import pathlib
import re
import smtplib
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from mssd_harness import PASSWORD, make_operator_pair  # noqa: E402


def submit_many(a, to, count, accepted, lock):
    with smtplib.SMTP("127.0.0.1", a.submission, timeout=120) as c:
        c.starttls(context=a.tls_context())
        c.login(a.user, PASSWORD)
        for i in range(count):
            msg = (f"From: <{a.user}>\r\nTo: <{to}>\r\nSubject: bench {i}\r\n\r\n" + "ligne de texte\r\n" * 60).encode()
            c.mail(a.user)
            c.rcpt(to)
            code, text = c.data(msg)
            now = time.time()
            m = re.search(rb"queued as (\w+)", text)
            assert code == 250 and m, text
            with lock:
                accepted[m.group(1).decode()] = now


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with tempfile.TemporaryDirectory() as tmp:
        a, b = make_operator_pair(pathlib.Path(tmp))
        try:
            accepted, lock = {}, threading.Lock()
            threads = [threading.Thread(target=submit_many, args=(a, b.user, n // clients, accepted, lock))
                       for _ in range(clients)]
            start = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sent = {}
            deadline = time.time() + 600
            while len(sent) < len(accepted) and time.time() < deadline:
                for line in list(a.log):
                    m = re.match(r"(\S+) .*relay: (\w+): to=\S+ .*status=sent", line)
                    if m and m.group(2) not in sent:
                        stamp = m.group(1).rstrip("Z")
                        sent[m.group(2)] = datetime.datetime.fromisoformat(stamp).replace(
                            tzinfo=datetime.timezone.utc).timestamp()
                time.sleep(0.2)
            end = max(sent.values())
            lat = sorted((sent[k] - accepted[k]) * 1000 for k in accepted if k in sent)
            pick = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]  # noqa: E731
            print(f"{len(accepted)} messages, {clients} clients: submitted in {max(accepted.values()) - start:.2f} s, "
                  f"all relayed after {end - start:.2f} s: {len(sent) / (end - start):.0f} msg/s end to end; "
                  f"250-at-A to 250-from-B p50 {pick(0.5):.0f} ms, p99 {pick(0.99):.0f} ms, max {lat[-1]:.0f} ms")
        finally:
            a.stop()
            b.stop()


if __name__ == "__main__":
    main()
