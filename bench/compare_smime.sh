#!/usr/bin/env bash
# S/MIME throughput of mssd (bench_smime_speed: sign+encrypt and decrypt+verify of 10 KB messages on
# one thread, and the floor of OpenSSL's CMS API for the same sign+encrypt) beside
# `openssl speed -seconds 3 rsa2048`, measured in the same run on the same core,
# rounds alternating; prints every round, then a summary. Trusts only the openssl command's figures.
# On a shared machine interference only slows things down: the summary compares best with best.
# Usage: bench/compare_smime.sh [ROUNDS] [BUILD_DIR]   (CORE=n picks the CPU, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
BUILD="${2:-${MSSD_BUILD:-build}}"
CORE="${CORE:-1}"
[ -x "$BUILD/bench_smime_speed" ] || cmake --build "$BUILD" --target bench_smime_speed >/dev/null
pin=()
command -v taskset >/dev/null && pin=(taskset -c "$CORE")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "openssl: $(openssl version); one thread on CPU $CORE; $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  read -r sign verify < <("${pin[@]}" openssl speed -seconds 3 rsa2048 2>/dev/null |
                          awk '/^rsa 2048 bits/ {print $(NF-1), $NF}')
  echo "round $r openssl-speed-rsa2048 sign/s $sign verify/s $verify" | tee -a "$log"
  "${pin[@]}" "$BUILD/bench_smime_speed" --seconds 3 --slices 6 --size 10240 --rsa-sign-per-s "$sign" \
      --rsa-verify-per-s "$verify" | sed "s/^/round $r /" | tee -a "$log"
done
python3 - "$log" <<'PY'
import re, statistics, sys
sign, verify, ops, here = [], [], {}, []
for line in open(sys.argv[1]):
    f = line.split()
    if "openssl-speed" in line:
        sign.append(float(f[4])); verify.append(float(f[6]))
    elif "rsa2048-sign-here" in line:
        here.append(float(f[3].split("/")[0]))
    elif " B " in line:
        ops.setdefault(f[2], []).append(float(f[5]))
public = {"sign+encrypt": 1, "decrypt+verify": 5, "cms-api-floor": 1}
print(f"summary over {len(sign)} rounds: openssl speed rsa2048 best sign/s {max(sign):.1f} verify/s {max(verify):.1f}"
      f" (medians {statistics.median(sign):.1f}, {statistics.median(verify):.1f}); RSA sign timed in-process best {max(here):.1f}/s")
for op, rates in ops.items():
    bound = 1 / (1 / max(sign) + public[op] / max(verify))
    print(f"  {op:<15} best {max(rates):8.1f} msg/s (median {statistics.median(rates):8.1f})  "
          f"bound 1 private + {public[op]} public {bound:8.1f}/s -> ratio {max(rates) / bound:.2f}; "
          f"private-only bound {max(sign):.1f}/s -> ratio {max(rates) / max(sign):.2f}")
PY
