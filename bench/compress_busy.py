#!/usr/bin/env python3
"""Command rate of busy request/response IMAP sessions with and without COMPRESS=DEFLATE: a throwaway
mssd (as bench/compress_idle.py makes it), C sessions that log in, (COMPRESS,) SELECT INBOX and send
SENT_KIB KiB of SEARCH TEXT commands (so that the server's decompressor holds a full window), then
each sends M commands (NOOP, UID SEARCH TEXT of one word, alternately), each waiting for its answer.
Prints commands/s (all sessions together) and the median round trip, per kind and round.
Bounded: C sessions, C*M commands per round; stops everything it started.
Usage: bench/compress_busy.py BUILD_DIR [C] [M] [SENT_KIB] [ROUNDS]"""
import os
import signal
import ssl
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compress_idle  # noqa: E402

compress_idle.BUILD = sys.argv[1]
C = int(sys.argv[2]) if len(sys.argv) > 2 else 1
M = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
SENT_KIB = int(sys.argv[4]) if len(sys.argv) > 4 else 40
ROUNDS = int(sys.argv[5]) if len(sys.argv) > 5 else 3


def run(session, times):
    for k in range(M):
        line = f"n{k} NOOP" if k % 2 else f"s{k} UID SEARCH TEXT patient"
        started = time.perf_counter()
        session.command(line, line.split()[0].encode() + b" OK")
        times.append(time.perf_counter() - started)


def main():
    with tempfile.TemporaryDirectory() as work:
        data = compress_idle.throwaway_data(work)
        ctx = ssl.create_default_context(cafile=os.path.join(data, "pki", "trust.pem"))
        print("| round | kind | sessions | commands/s | median round trip ms |")
        print("|---|---|---|---|---|")
        for r in range(ROUNDS):
            for compress in (False, True):  # alternating, each on a freshly started mssd
                mssd, port = compress_idle.start_mssd(work, data)
                try:
                    sessions = [compress_idle.Session(port, ctx, f"idle{i % compress_idle.USERS}@{compress_idle.DOMAIN}",
                                                      compress, sent_kib=SENT_KIB, idle=False) for i in range(C)]
                    times = [[] for _ in sessions]
                    threads = [threading.Thread(target=run, args=(s, t)) for s, t in zip(sessions, times)]
                    started = time.perf_counter()
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    elapsed = time.perf_counter() - started
                    every = [x for t in times for x in t]
                    print(f"| {r + 1} | {'COMPRESS=DEFLATE' if compress else 'plain'} | {C} | {len(every) / elapsed:.0f} | "
                          f"{statistics.median(every) * 1000:.3f} |", flush=True)
                    for s in sessions:
                        s.sock.close()
                finally:
                    mssd.send_signal(signal.SIGTERM)
                    mssd.wait(timeout=60)


main()
