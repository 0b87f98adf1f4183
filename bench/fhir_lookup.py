#!/usr/bin/env python3
"""Latency of the directory's FHIR searches against one real mssd holding a national-size directory:
bench/gen_directory.py files imported by mssctl, then GET /fhir/Practitioner?mailbox-mss=ADDRESS and
?identifier=PS_IdNat (and ?mailbox-mss:contains=PART, fewer times: it reads every mailbox) for random
existing entries, one kept-alive HTTPS connection authenticated by an IGC client certificate (so no
scrypt in the figures). Prints `search= requests= p50_ms= p99_ms=` per kind.

  MSSD_BUILD=build bench/fhir_lookup.py [--activities 2000000 --mailboxes 500000 --requests 2000 --keep DIR]"""
import argparse
import http.client
import json
import pathlib
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from mssd_harness import MSSCTL, Server  # noqa: E402


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def measure(server, conn, queries, name):
    times = []
    for q in queries:
        t0 = time.perf_counter()
        conn.request("GET", f"/fhir/Practitioner?{q}")
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200 or json.loads(body)["total"] < 1:
            raise SystemExit(f"{name}: {q} answered {r.status} {body[:200]!r}")
    times.sort()
    print(f"search={name} requests={len(times)} p50_ms={percentile(times, 0.5):.2f} "
          f"p99_ms={percentile(times, 0.99):.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--activities", type=int, default=2_000_000)
    ap.add_argument("--mailboxes", type=int, default=500_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--keep", type=pathlib.Path, help="folder for the generated files (reused when present)")
    a = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="mssd-fhir-bench-"))
    files = a.keep or work / "extraction"
    corr = files / "Extraction_Correspondance_MSSante.txt"
    if not corr.exists():
        subprocess.run([sys.executable, str(pathlib.Path(__file__).with_name("gen_directory.py")), str(files),
                        "--activities", str(a.activities), "--mailboxes", str(a.mailboxes), "--change", "0"],
                       check=True)
    s = Server(work / "data")
    s.init()
    s.add_standard_accounts()
    for f in ("PS_LibreAcces_Personne_activite.txt", "Extraction_Correspondance_MSSante.txt"):
        t0 = time.time()
        # Not through Server.ctl: a national import takes longer than its two-minute bound on a busy machine.
        r = subprocess.run([str(MSSCTL), "--data", str(s.data), "directory", "import", str(files / f)],
                           capture_output=True, check=True)
        print(r.stdout.decode().strip(), f"({time.time() - t0:.1f} s)", flush=True)
    rows = corr.read_text(encoding="utf-8").splitlines()[1:]
    rng = random.Random(1)
    sample = [r.split("|") for r in rng.sample(rows, min(a.requests, len(rows)))]
    s.start(timeout=600)
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", s.https, timeout=120,
                                           context=s.tls_context(s.lab_dir / "cert.pem", s.lab_dir / "key.pem"))
        measure(s, conn, [f"mailbox-mss={urllib.parse.quote(r[1])}" for r in sample], "mailbox-mss")
        measure(s, conn, [f"identifier={r[4]}" for r in sample], "identifier")
        measure(s, conn, [f"mailbox-mss:contains={urllib.parse.quote(r[1].split('@')[0])}" for r in sample[:50]],
                "mailbox-mss:contains")
        conn.close()
    finally:
        s.stop()


if __name__ == "__main__":
    main()
