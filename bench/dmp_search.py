#!/usr/bin/env python3
"""ITI-67 Find Document References against the embedded DMP of one real mssd, over one kept-alive TLS
connection with the médecin traitant's CPS-style certificate: a DMP holding --documents documents
(deposited first by ITI-65 as the lab's feeding credential, 10 classes in turn), then --searches
searches of each kind, timed at the client from the request's first byte to the answer's last:

  all       status=current, the first page (50 DocumentReferences) of all of them
  category  status=current&category=11 (a tenth of them, first page)
  narrow    status=current&category=11&period=ge2026-12-01 (a handful)

  MSSD_BUILD=build bench/dmp_search.py [--documents 1000] [--searches 2000] [--client python|curl]

The client is Python's http.client (its own parsing and TLS counted in every time), or curl: one curl
process fetching the URL --searches times on one kept-alive connection, each timed by curl's own
%{time_total} (a client in C, nearer to what the server costs).

Prints `client= kind= searches= total= p50_ms= p99_ms= max_ms=` per kind."""
import argparse
import http.client
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from mssd_harness import DOMAIN, Server, add_personal_account  # noqa: E402
from test_dmp import ACTIVITE, INS_OID, PATIENT, TRAITANT, AUTHOR, activity_row, provide_bundle  # noqa: E402

CLASSES = ["10", "11", "31", "42", "43", "44", "45", "52", "60", "90"]


def connection(server, cert):
    return http.client.HTTPSConnection("127.0.0.1", server.https, context=server.tls_context(*cert), timeout=60)


def exchange(conn, method, path, body=None):
    conn.request(method, path, body=body, headers={"Content-Type": "application/fhir+json"} if body else {})
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def curl_times(server, url, n):
    """Milliseconds of each of n fetches of url by one curl process on one connection, as the
    médecin traitant; every answer must be a 200."""
    config = server.data / "curl.cfg"
    config.write_text(f'url = "{url}"\noutput = "/dev/null"\n' * n)
    cps = server.data / "cps"
    r = subprocess.run(["curl", "-sS", "--cacert", str(server.trust), "--cert", str(cps / "auth-cert.pem"),
                        "--key", str(cps / "auth-key.pem"), "-K", str(config),
                        "-w", "%{http_code} %{time_total} %{num_connects}\n"],
                       capture_output=True, timeout=600, check=True)
    lines = r.stdout.decode().split()
    codes, seconds = lines[0::3], lines[1::3]
    assert sum(int(x) for x in lines[2::3]) == 1, "curl kept one connection"
    assert len(seconds) == n and set(codes) == {"200"}, (codes[:5], r.stderr[:300])
    return [float(t) * 1000 for t in seconds]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--searches", type=int, default=2000)
    ap.add_argument("--client", choices=["python", "curl"], default="python")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(pathlib.Path(tmp) / "data")
        s.init()
        s.add_standard_accounts()
        extraction = s.data / "activites.txt"
        extraction.write_bytes(("|".join(ACTIVITE) + "|\r\n" + activity_row(TRAITANT[0], "10", "TRAITANT") + "\r\n").encode())
        s.ctl("directory", "import", str(extraction))
        address = add_personal_account(s, f"traitant@{DOMAIN}")
        s.ctl("pki", "issue", "personal", address, "--ps-idnat", TRAITANT[0], "--out", str(s.data / "cps"))
        s.ctl("dmp", "patient", "add", "--ins", PATIENT, "--oid", INS_OID, "--family", "DUVAL", "--given", "Claire",
              "--birth", "19800115", "--gender", "F", "--consent", "--medecin-traitant", TRAITANT[0])
        s.start()
        try:
            feed = connection(s, (s.lab_dir / "cert.pem", s.lab_dir / "key.pem"))
            started = time.monotonic()
            for i in range(a.documents):
                bundle = provide_bundle(f"1.2.250.1.999.77.{i}", author=AUTHOR[0], cls=CLASSES[i % len(CLASSES)])
                bundle["entry"][1]["resource"]["context"]["period"]["start"] = f"2026-{1 + i % 12:02d}-01"
                status, data = exchange(feed, "POST", "/dmp/fhir", json.dumps(bundle))
                assert status == 200, data[:300]
            print(f"deposited={a.documents} seconds={time.monotonic() - started:.1f}")
            reader = connection(s, (s.data / "cps" / "auth-cert.pem", s.data / "cps" / "auth-key.pem"))
            base = {"patient.identifier": f"urn:oid:{INS_OID}|{PATIENT}", "status": "current"}
            kinds = {"all": {}, "category": {"category": "11"}, "narrow": {"category": "11", "period": "ge2026-12-01"}}
            for kind, extra in kinds.items():
                path = "/dmp/fhir/DocumentReference?" + urllib.parse.urlencode({**base, **extra})
                status, data = exchange(reader, "GET", path)
                assert status == 200, data[:300]
                total = json.loads(data)["total"]
                if a.client == "curl":
                    times = curl_times(s, f"https://127.0.0.1:{s.https}{path}", a.searches)
                else:
                    times = []
                    for _ in range(a.searches):
                        t0 = time.perf_counter()
                        status, data = exchange(reader, "GET", path)
                        times.append((time.perf_counter() - t0) * 1000)
                        assert status == 200
                times.sort()
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                print(f"client={a.client} kind={kind} searches={a.searches} total={total} bytes={len(data)} "
                      f"p50_ms={statistics.median(times):.2f} p99_ms={p99:.2f} max_ms={times[-1]:.2f}")
        finally:
            s.stop()


if __name__ == "__main__":
    main()
