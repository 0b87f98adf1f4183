#!/usr/bin/env bash
# Durable SMTP intake, mssd against Debian's Postfix, in one run on this machine: the same load
# generator (bench_smtp_load) sends to each server in alternation, several rounds per setting, and
# the medians and the mssd/Postfix ratio are printed as a markdown table. Loopback only.
# Usage: bench/compare_postfix.sh [ROUNDS]   (needs root: installs and starts Postfix)
#   SETTINGS="32 102400 1500,..." picks the settings: connections, message size, messages per round.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
PF_PORT=10025
MSSD_PORT=10026
export DEBIAN_FRONTEND=noninteractive

if ! command -v postfix >/dev/null; then
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string bench.postfix.test" | debconf-set-selections
  apt-get install -y -qq postfix >/dev/null
fi
bash scripts/build.sh >/dev/null

# Postfix: a local domain delivered by local(8) into /var/mail/benchrcpt (mbox). Its 250 comes
# once the queue file is fsync'd; delivery to the mailbox follows.
id benchrcpt >/dev/null 2>&1 || useradd -m benchrcpt
postfix stop >/dev/null 2>&1 || true
postconf -e "myhostname = bench.postfix.test" "mydestination = bench.postfix.test, localhost" \
  "inet_interfaces = loopback-only" "inet_protocols = ipv4" "smtp_dns_support_level = disabled" \
  "default_process_limit = 200" "smtpd_client_connection_count_limit = 0" \
  "smtpd_client_connection_rate_limit = 0" "smtpd_client_message_rate_limit = 0" \
  "smtpd_peername_lookup = no" "mailbox_size_limit = 0" "message_size_limit = 26214400"
postconf -Me "${PF_PORT}/inet=${PF_PORT} inet n - n - - smtpd"
newaliases
: > /var/mail/benchrcpt; chown benchrcpt:mail /var/mail/benchrcpt
postfix start >/dev/null 2>&1
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$PF_PORT) 2>/dev/null && break; sleep 0.2; done

# mssd: same machine, SQLite WAL + group commit; its 250 comes once the message is in the mailbox.
DATA=$(mktemp -d)
./build/mssctl --data "$DATA" init --domain bench.mssante.fr >/dev/null
sed -i -e 's/^password_scrypt_log_n = .*/password_scrypt_log_n = 12/' \
       -e 's/^max_connections_per_ip = .*/max_connections_per_ip = 1000/' "$DATA/mssd.toml"
echo pw | ./build/mssctl --data "$DATA" account add benchrcpt@bench.mssante.fr --kind personal --password-stdin >/dev/null
./build/mssd --data "$DATA" --smtp-port $MSSD_PORT --submission-port 0 --submissions-port 0 --imap-port 0 --imaps-port 0 --https-port 0 2>"$DATA/mssd.log" &
MSSD_PID=$!
trap 'kill $MSSD_PID 2>/dev/null; postfix stop >/dev/null 2>&1; rm -rf "$DATA"' EXIT
for _ in $(seq 1 50); do grep -q "ready" "$DATA/mssd.log" && break; sleep 0.2; done

run() {  # server connections size messages -> "msg_per_s p50 p99"
  local port=$MSSD_PORT to=benchrcpt@bench.mssante.fr
  [ "$1" = postfix ] && port=$PF_PORT && to=benchrcpt@bench.postfix.test
  ./build/bench_smtp_load --port "$port" --connections "$2" --size "$3" --messages "$4" --to "$to" \
    | sed -E 's/.*msg_per_s=([0-9.]+) p50_ms=([0-9.]+) p99_ms=([0-9.]+).*/\1 \2 \3/'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

acked_mssd=0; acked_pf=0
echo "| connections | size | server | msg/s (median) | p50 ms | p99 ms | mssd/Postfix msg/s |"
echo "|---|---|---|---|---|---|---|"
IFS=, read -ra settings <<< "${SETTINGS:-1 4096 600,8 4096 3000,32 4096 6000,64 4096 6000,32 102400 1500}"
for setting in "${settings[@]}"; do
  set -- $setting
  : > /tmp/bench.mssd; : > /tmp/bench.postfix
  for _ in $(seq 1 "$ROUNDS"); do
    run postfix "$1" "$2" "$3" >> /tmp/bench.postfix; acked_pf=$((acked_pf + $3))
    run mssd "$1" "$2" "$3" >> /tmp/bench.mssd; acked_mssd=$((acked_mssd + $3))
  done
  for s in postfix mssd; do
    r=$(cut -d' ' -f1 /tmp/bench.$s | median); p50=$(cut -d' ' -f2 /tmp/bench.$s | median)
    p99=$(cut -d' ' -f3 /tmp/bench.$s | median)
    eval "rate_$s=$r"
    ratio=""; [ $s = mssd ] && ratio=$(awk -v a="$rate_mssd" -v b="$rate_postfix" 'BEGIN {printf "%.2f", a/b}')
    echo "| $1 | $2 | $s | $r | $p50 | $p99 | $ratio |"
  done
done

# Every acknowledged message must be where each server said it would be.
stored=$(./build/mssctl --data "$DATA" mail list benchrcpt@bench.mssante.fr | wc -l)
for _ in $(seq 1 120); do [ -z "$(postqueue -p | grep -v 'Mail queue is empty')" ] && break; sleep 1; done
delivered=$(grep -c '^From ' /var/mail/benchrcpt || true)
echo
echo "mssd: $acked_mssd acknowledged, $stored in the mailbox; Postfix: $acked_pf acknowledged, $delivered delivered to mbox"
[ "$stored" -eq "$acked_mssd" ]
