#!/usr/bin/env bash
# SMTP intake (port 25, to a local mailbox) with the national directory loaded (ACTIVITIES +
# MAILBOXES rows in directory.db) against intake with an empty one: two mssd side by side, the same
# load generator sending to each in alternation, ROUNDS rounds; prints the median msg/s of each and
# their ratio. Usage: bench/compare_directory_intake.sh [ROUNDS] [ACTIVITIES] [MAILBOXES]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"; ACTIVITIES="${2:-2000000}"; MAILBOXES="${3:-500000}"
work=$(mktemp -d /tmp/mssd-bench-intake-XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
python3 bench/gen_directory.py "$work/files" --activities "$ACTIVITIES" --mailboxes "$MAILBOXES" --change 0
for side in empty loaded; do
  d="$work/$side"
  ./build/mssctl --data "$d" init --domain bench.mssante.fr >/dev/null
  sed -i -e 's/^password_scrypt_log_n = .*/password_scrypt_log_n = 12/' \
         -e 's/^max_connections_per_ip = .*/max_connections_per_ip = 1000/' "$d/mssd.toml"
  echo pw | ./build/mssctl --data "$d" account add benchrcpt@bench.mssante.fr --kind personal --password-stdin >/dev/null
done
./build/mssctl --data "$work/loaded" directory import "$work/files/PS_LibreAcces_Personne_activite.txt"
./build/mssctl --data "$work/loaded" directory import "$work/files/Extraction_Correspondance_MSSante.txt"
./build/mssctl --data "$work/loaded" directory status
declare -A port
for side in empty loaded; do
  ./build/mssd --data "$work/$side" --smtp-port 0 --submission-port 0 --submissions-port 0 --imap-port 0 \
    --imaps-port 0 2>"$work/$side.log" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q "ready" "$work/$side.log" && break; sleep 0.2; done
  port[$side]=$(grep -o 'smtp=[^ ]*' "$work/$side.log" | head -1 | sed 's/.*://')
done
for r in $(seq 1 "$ROUNDS"); do
  for side in empty loaded; do
    ./build/bench_smtp_load --port "${port[$side]}" --connections 32 --size 4096 --messages 4000 \
      --to benchrcpt@bench.mssante.fr | sed -E 's/.*msg_per_s=([0-9.]+).*/\1/' >>"$work/$side.rates"
  done
done
median() { sort -g "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
e=$(median "$work/empty.rates"); l=$(median "$work/loaded.rates")
echo "rounds=$ROUNDS empty_msg_per_s=$e loaded_msg_per_s=$l ratio=$(awk -v a="$l" -v b="$e" 'BEGIN {printf "%.3f", a/b}')"
