#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.cpp) with clang, ASan and UBSan into build-fuzz,
# then runs each for SECONDS seconds on a copy of its seeds. Exits non-zero if any target finds a
# crash, leak or timeout; prints one line per target.
set -uo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${1:-30}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DMSSD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
  || { echo "fuzz: configure failed"; exit 1; }
cmake --build build-fuzz >/dev/null || { echo "fuzz: build failed"; cmake --build build-fuzz 2>&1 | tail -20; exit 1; }
status=0
for src in tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  seeds="tests/fuzz/seeds/${name#fuzz_}"
  corpus=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
  artifacts=$(mktemp -d)
  log=$(mktemp)
  if ./build-fuzz/"$name" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    echo "fuzz: $name ok (${execs:-?} runs in ${SECONDS_PER_TARGET}s)"
  else
    status=1
    echo "fuzz: $name FAILED; artifacts in $artifacts"
    grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20
  fi
  rm -rf "$corpus" "$log"
done
exit $status
