#!/usr/bin/env python3
"""HTTPS request rate of mssd's HTTP layer, driven by curl (one process, requests in sequence): N GETs of
the autoconfig document on one kept-alive TLS connection, then N with `Connection: close` (a TLS
handshake per request). Starts its own mssd with tests/integration/mssd_harness.py.
Usage: MSSD_BUILD=build bench/http_keepalive.py [N] [ROUNDS]"""
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "integration"))
from mssd_harness import Server  # noqa: E402


def run(server, config, n, extra):
    start = time.monotonic()
    r = subprocess.run(["curl", "-sS", "--cacert", str(server.trust), "-K", str(config), *extra,
                        "-w", "%{http_code} %{num_connects}\n"], capture_output=True, check=True)
    seconds = time.monotonic() - start
    lines = r.stdout.decode().split()
    codes, connects = lines[0::2], lines[1::2]
    assert codes == ["200"] * n, "every request answered 200"
    return n / seconds, sum(int(c) for c in connects)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(pathlib.Path(tmp) / "data")
        server.init()
        server.start()
        url = f"https://127.0.0.1:{server.https}/mail/config-v1.1.xml"
        config = pathlib.Path(tmp) / "urls"
        config.write_text("".join(f'url = "{url}"\noutput = "/dev/null"\n' for _ in range(n)))
        for mode, extra in (("keep-alive", []), ("close", ["-H", "Connection: close"])):
            results = [run(server, config, n, extra) for _ in range(rounds)]
            rates = [r for r, _ in results]
            print(f"mode={mode} requests={n} rounds={rounds} connections={results[0][1]} "
                  f"req_per_s_median={statistics.median(rates):.0f} "
                  f"min={min(rates):.0f} max={max(rates):.0f}")
        server.stop()


if __name__ == "__main__":
    main()
