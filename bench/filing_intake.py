#!/usr/bin/env python3
"""Filing (issue 12): SMTP submission of messages carrying a ~30 KiB IHE_XDM.ZIP (make_xdm.py, a
biology report padded), on one real mssd, with the sender's filing on and then off, side by side in
one run; and, with filing on, the time from the 250 to the document visible through ITI-67 (searched
by its uniqueId as the médecin traitant, polled every 2 ms).

  MSSD_BUILD=build bench/filing_intake.py [--messages 200] [--clients 4] [--pairs 5] [--latency 100]

Prints `mode= messages= seconds= rate= drained_after=` for each round, on and off alternating (each
round waits for the filing queue to be empty before the next, so that a backlog never runs into an
"off" round); then the ratio on/off of each pair, their median and the ratio of the medians (a round
lasts about a second on a shared machine: one pair proves little); then
`latency samples= p50_ms= p99_ms= max_ms=`."""
import argparse
import http.client
import statistics
import pathlib
import smtplib
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "tools"))
from mssd_harness import DOCTOR, GP, PASSWORD, Server  # noqa: E402
import make_xdm as mx  # noqa: E402
from test_filing import PATIENT, PEOPLE, TRAITANT, activity_row, ACTIVITE  # noqa: E402

PAD_KIB = 26  # the padded report makes an XDM of about 30 KiB


def messages(tag, n):
    return [mx.message([mx.bio_doc(doc_id=f"{tag}-{i}", set_id=f"SET-{tag}-{i}", pad_kib=PAD_KIB)], GP, DOCTOR,
                       mdn=False) for i in range(n)]


def run_load(server, raws, clients):
    chunks = [raws[i::clients] for i in range(clients)]

    def worker(chunk):
        with smtplib.SMTP("127.0.0.1", server.submission, timeout=120) as c:
            c.starttls(context=server.tls_context())
            c.login(GP, PASSWORD)
            for raw in chunk:
                c.sendmail(GP, [DOCTOR], raw)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def drain(server, timeout=600):
    """Seconds until the filing queue is empty (read beside mssd, as another reader of mssd.db)."""
    import sqlite3
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        db = sqlite3.connect(f"file:{server.data / 'mssd.db'}?mode=ro", uri=True, timeout=60)
        left = db.execute("SELECT count(*) FROM filing_jobs").fetchone()[0]
        db.close()
        if left == 0:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise SystemExit("the filing queue did not drain")


def visible(conn, doc_id):
    q = urllib.parse.urlencode({"patient.identifier": f"urn:oid:{PATIENT.oid}|{PATIENT.ins}", "status": "current",
                                "identifier": f"{mx.DOC_ROOT}^{doc_id}"})
    conn.request("GET", f"/dmp/fhir/DocumentReference?{q}")
    r = conn.getresponse()
    body = r.read()
    return r.status == 200 and b'"total":1' in body.replace(b" ", b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--latency", type=int, default=100)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(pathlib.Path(tmp))
        s.init()
        s.add_standard_accounts()
        rows = [activity_row(p, code, name.upper()) for name, (p, code) in PEOPLE.items()]
        extraction = s.data / "activite.txt"
        extraction.write_bytes(("|".join(ACTIVITE) + "|\r\n" + "".join(r + "\r\n" for r in rows)).encode())
        s.ctl("directory", "import", str(extraction))
        from mssd_harness import add_personal_account
        add_personal_account(s, "traitant@test.mssante.fr")
        out = s.data / "cps"
        s.ctl("pki", "issue", "personal", "traitant@test.mssante.fr", "--ps-idnat", TRAITANT[0], "--out", str(out))
        s.ctl("dmp", "patient", "add", "--ins", PATIENT.ins, "--oid", PATIENT.oid, "--family", PATIENT.family,
              "--given", PATIENT.given, "--birth", PATIENT.birth, "--gender", PATIENT.gender, "--consent",
              "--medecin-traitant", TRAITANT[0])
        s.start()
        try:
            rates = {"on": [], "off": []}
            for pair in range(a.pairs):
                for mode in ("on", "off"):  # interleaved, so that drift hits both
                    s.ctl("dmp", "filing", GP, mode)
                    raws = messages(f"{mode}{pair}", a.messages)
                    seconds = run_load(s, raws, a.clients)
                    rates[mode].append(a.messages / seconds)
                    drained = drain(s)  # the worker's backlog must not run into the next round
                    print(f"mode={mode} messages={a.messages} seconds={seconds:.2f} rate={a.messages / seconds:.1f}/s "
                          f"drained_after={drained:.2f}s", flush=True)
            ratios = [on / off for on, off in zip(rates["on"], rates["off"])]
            print("ratios on/off by pair = " + " ".join(f"{r:.3f}" for r in ratios))
            print(f"ratio on/off median of pairs = {statistics.median(ratios):.3f}; of the median rates = "
                  f"{statistics.median(rates['on']) / statistics.median(rates['off']):.3f}")
            if not a.latency:
                return
            s.ctl("dmp", "filing", GP, "on")
            conn = http.client.HTTPSConnection("127.0.0.1", s.https, context=s.tls_context(out / "auth-cert.pem",
                                                                                             out / "auth-key.pem"), timeout=60)
            samples = []
            with smtplib.SMTP("127.0.0.1", s.submission, timeout=120) as c:
                c.starttls(context=s.tls_context())
                c.login(GP, PASSWORD)
                for i in range(a.latency):
                    raw = messages(f"lat{i}", 1)[0]
                    c.sendmail(GP, [DOCTOR], raw)
                    t0 = time.perf_counter()
                    while not visible(conn, f"lat{i}-0"):
                        time.sleep(0.002)
                    samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
            print(f"latency samples={len(samples)} p50_ms={p(0.5):.1f} p99_ms={p(0.99):.1f} max_ms={samples[-1]:.1f}")
        finally:
            s.stop()


if __name__ == "__main__":
    main()
