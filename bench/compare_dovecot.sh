#!/usr/bin/env bash
# IMAP over TLS, mssd against Debian's Dovecot in one run: the same generator (bench_imap_load) and
# messages for both, alternating rounds, medians and mssd/Dovecot ratios as markdown, and memory per
# idle connection read from /proc. Trusts only its own throwaway instances; loopback only, bounded.
# Usage: bench/compare_dovecot.sh [ROUNDS]   (root: installs dovecot-imapd if missing, but never
# starts Debian's service: a throwaway instance runs from a private config and base_dir)
# MSSD_BUILD=dir uses binaries already built there instead of running scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
# Load settings CONNECTIONS:ITERATIONS (mix rounds of 8 commands per connection per round); each
# setting has its own users (loadC-0 .. loadC-(C-1)), so one setting's APPENDs do not grow another's.
LOAD_SETTINGS="${LOAD_SETTINGS-1:200 8:60 32:25}"  # empty: no load rounds
PREFILL="${PREFILL:-100}"                  # 4 KiB messages in each user's INBOX before the load
IDLE_USERS="${IDLE_USERS:-1000}"           # idle connection i logs in as idle(i mod IDLE_USERS)
IDLE_PREFILL="${IDLE_PREFILL:-20}"
IDLE_COUNTS="${IDLE_COUNTS-1000 10000}"          # empty: no mssd memory test
DOVECOT_IDLE_COUNTS="${DOVECOT_IDLE_COUNTS-1000 2000}"  # empty: none; 10,000: see docs/performance.md
SKIP=""; for k in ${LOAD_SKIP:-}; do SKIP="$SKIP --skip $k"; done  # diagnosis: commands left out of the mix
DOMAIN=bench.mssante.fr
PASSWORD=bench-Passw0rd
export DEBIAN_FRONTEND=noninteractive

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
FDS=$(ulimit -n)
if [ -z "${MSSD_BUILD:-}" ]; then bash scripts/build.sh >/dev/null; BUILD=build; else BUILD="$MSSD_BUILD"; fi
LOAD="$BUILD/bench_imap_load"
if ! command -v dovecot >/dev/null; then
  # Debian's maintainer scripts would start the system service: a policy-rc.d answering 101 stops
  # that (only ours, only for this install); our instance runs from its own config below.
  own_policy=""; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1; }
  apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -oE "(^| )$1=[0-9.]+" | cut -d= -f2; }   # the values of key=value in generator lines
LOAD_USERS=""
for s in $LOAD_SETTINGS; do c=${s%%:*}; for i in $(seq 0 $((c - 1))); do LOAD_USERS="$LOAD_USERS load$c-$i"; done; done

WORK=$(mktemp -d /tmp/bench-imap.XXXXXX)
chmod 755 "$WORK"
MSSD_PID=""; DC_CONF="$WORK/dovecot/dovecot.conf"; IDLE_PID=""
cleanup() {
  [ -n "$IDLE_PID" ] && kill "$IDLE_PID" 2>/dev/null || true
  [ -n "$MSSD_PID" ] && kill "$MSSD_PID" 2>/dev/null && wait "$MSSD_PID" 2>/dev/null || true
  [ -f "$DC_CONF" ] && dovecot -c "$DC_CONF" stop 2>/dev/null || true
  sleep 1; rm -rf "$WORK"
}
trap cleanup EXIT

# -- mssd: data dir by mssctl, accounts loadC-N and idleN, implicit TLS on a free loopback port ----------
DATA="$WORK/mssd"
"$BUILD/mssctl" --data "$DATA" init --domain "$DOMAIN" >/dev/null
sed -i -e 's/^password_scrypt_log_n = .*/password_scrypt_log_n = 12/' \
       -e 's/^max_connections_per_ip = .*/max_connections_per_ip = 20000/' -e 's/^max_connections = .*/max_connections = 20000/' \
       -e 's/^hash_queue = .*/hash_queue = 100000/' -e 's/^hash_queue_per_ip = .*/hash_queue_per_ip = 100000/' \
       "$DATA/mssd.toml"
for u in $LOAD_USERS; do echo "$PASSWORD" | "$BUILD/mssctl" --data "$DATA" account add "$u@$DOMAIN" --kind personal --password-stdin >/dev/null; done
for i in $(seq 0 $((IDLE_USERS - 1))); do echo "$PASSWORD" | "$BUILD/mssctl" --data "$DATA" account add "idle$i@$DOMAIN" --kind personal --password-stdin >/dev/null; done
MSSD_PORT=$(free_port)
start_mssd() {
  "$BUILD/mssd" --data "$DATA" --listen 127.0.0.1 --smtp-port 0 --submission-port 0 --submissions-port 0 \
    --imap-port 0 --imaps-port "$MSSD_PORT" --https-port 0 2>>"$WORK/mssd.log" &
  MSSD_PID=$!
  for _ in $(seq 1 100); do grep -q "mssd: ready" "$WORK/mssd.log" 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$MSSD_PORT) 2>/dev/null && return 0; sleep 0.2; done
  echo "mssd did not start" >&2; exit 1
}
stop_mssd() { kill "$MSSD_PID"; wait "$MSSD_PID" 2>/dev/null || true; MSSD_PID=""; : > "$WORK/mssd.log"; }

# -- Dovecot: a throwaway instance, passwd-file with the same users, maildir, mssd's own certificate ---
DC="$WORK/dovecot"; mkdir -p "$DC/run" "$DC/state" "$DC/mail"; chown nobody:nogroup "$DC/mail"
for u in $LOAD_USERS; do echo "$u@$DOMAIN:{PLAIN}$PASSWORD"; done > "$DC/users"
for i in $(seq 0 $((IDLE_USERS - 1))); do echo "idle$i@$DOMAIN:{PLAIN}$PASSWORD"; done >> "$DC/users"
DC_PORT=$(free_port)
cat > "$DC_CONF" <<EOF
base_dir = $DC/run
state_dir = $DC/state
log_path = $DC/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$DATA/pki/server.crt
ssl_key = <$DATA/pki/server.key
ssl_min_protocol = TLSv1.2
first_valid_uid = 1
mail_location = maildir:$DC/mail/%u
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DC/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$DC/mail/%u
}
protocol imap {
  mail_max_userip_connections = 100000
}
default_client_limit = 12000
default_process_limit = 100
default_vsz_limit = 1G
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $DC_PORT
    ssl = yes
  }
  service_count = 0
  process_min_avail = 2
  process_limit = 4
  client_limit = 12000
}
service imap {
  process_limit = 12000
  client_limit = 1
}
service auth {
  client_limit = 12000
}
service anvil {
  client_limit = 12000
}
EOF
dovecot -c "$DC_CONF"
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$DC_PORT) 2>/dev/null && break; sleep 0.2; done
DC_MASTER=$(cat "$DC/run/master.pid")

start_mssd
port_of() { [ "$1" = mssd ] && echo "$MSSD_PORT" || echo "$DC_PORT"; }
gen() {  # server args... -> the generator's stdout
  local server=$1; shift
  "$LOAD" --port "$(port_of "$server")" --user-suffix "@$DOMAIN" --password "$PASSWORD" "$@"
}

# -- the same messages in both: PREFILL per load user, IDLE_PREFILL per idle user, by IMAP APPEND ------
for s in dovecot mssd; do
  : > "$WORK/fill.$s"
  for setting in $LOAD_SETTINGS; do c=${setting%%:*}
    gen "$s" --mode fill --connections "$c" --user-prefix "load$c-" --ramp 8 --messages "$PREFILL" >> "$WORK/fill.$s"
  done
  [ "$IDLE_USERS" -gt 0 ] && gen "$s" --mode fill --connections "$IDLE_USERS" --user-prefix idle --ramp 8 --messages "$IDLE_PREFILL" >> "$WORK/fill.$s"
  echo "prefill $s: $(tr '\n' ' ' < "$WORK/fill.$s")" >&2
done

# -- commands/s: the same mix, alternating servers, ROUNDS rounds per setting ------------------------
errors_total=0
if [ -n "$LOAD_SETTINGS" ]; then
  echo "| connections | server | commands/s (median) | p50 ms | p99 ms | errors | mssd/Dovecot commands/s |"
  echo "|---|---|---|---|---|---|---|"
fi
for setting in $LOAD_SETTINGS; do
  c=${setting%%:*}; iterations=${setting##*:}
  for s in dovecot mssd; do : > "$WORK/load.$c.$s"; done
  for r in $(seq 1 "$ROUNDS"); do
    for s in dovecot mssd; do
      gen "$s" --mode load --connections "$c" --user-prefix "load$c-" --iterations "$iterations" --seconds 300 $SKIP \
        >> "$WORK/load.$c.$s" || true
      echo "round $r $s: $(grep '^mode=load' "$WORK/load.$c.$s" | tail -1)" >&2
    done
  done
  for s in dovecot mssd; do
    f="$WORK/load.$c.$s"
    rate=$(grep '^mode=load' "$f" | field cmd_per_s | median); p50=$(grep '^mode=load' "$f" | field p50_ms | median)
    p99=$(grep '^mode=load' "$f" | field p99_ms | median)
    errs=$(grep '^mode=load' "$f" | awk '{for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1]=="errors"||kv[1]=="lost") n+=kv[2]}} END {print n+0}')
    errors_total=$((errors_total + errs))
    eval "rate_$s=$rate"
    ratio=""; [ "$s" = mssd ] && ratio=$(awk -v a="$rate_mssd" -v b="$rate_dovecot" 'BEGIN {printf "%.2f", a/b}')
    echo "| $c | $s | $rate | $p50 | $p99 | $errs | $ratio |"
  done
done

# Per command, at each setting: medians over the rounds of each command's p50 and p99.
for setting in $LOAD_SETTINGS; do
  c=${setting%%:*}
  echo
  echo "Per command at $c connections (median over rounds of each command's p50 / p99, ms):"
  echo
  echo "| command | Dovecot p50 | Dovecot p99 | mssd p50 | mssd p99 |"
  echo "|---|---|---|---|---|"
  for k in noop fetch_flags fetch_body uid_store append uid_search_unseen search_subject idle_done; do
    row="| $k"
    for s in dovecot mssd; do
      for q in p50_ms p99_ms; do row="$row | $(grep "^command=$k " "$WORK/load.$c.$s" | field "$q" | median)"; done
    done
    echo "$row |"
  done
done

# -- memory per idle connection -------------------------------------------------------------------------
kib_of() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/$3" 2>/dev/null || echo 0; }
mssd_mem() { echo "$(kib_of "$MSSD_PID" VmRSS status) $(kib_of "$MSSD_PID" Pss smaps_rollup)"; }
dovecot_mem() {  # "rss_kib pss_kib processes" over the master and its children, one awk for all
  local files
  files=$(for p in $DC_MASTER $(pgrep -P "$DC_MASTER"); do echo "/proc/$p/smaps_rollup"; done)
  # shellcheck disable=SC2086
  awk '$1 == "Rss:" {r += $2; n++} $1 == "Pss:" {p += $2} END {print r + 0, p + 0, n + 0}' $files 2>/dev/null
}
hold_idle() {  # server count -> waits until the generator has them all idling (or gave up)
  # The generator itself in the background (not the gen function's subshell), so $! is its PID.
  "$LOAD" --port "$(port_of "$1")" --user-suffix "@$DOMAIN" --password "$PASSWORD" --mode idle --connections "$2" \
    --users "$IDLE_USERS" --user-prefix idle --ramp 200 --seconds 900 > "$WORK/idle.out" 2>"$WORK/idle.err" &
  IDLE_PID=$!
  for _ in $(seq 1 1200); do grep -q '^mode=idle connections' "$WORK/idle.out" && break
    kill -0 "$IDLE_PID" 2>/dev/null || break; sleep 0.5; done
  sleep 3  # let the last sessions settle
}
release_idle() { kill -TERM "$IDLE_PID" 2>/dev/null || true; wait "$IDLE_PID" 2>/dev/null || true; IDLE_PID=""; }

[ "$IDLE_USERS" -gt 0 ] || { IDLE_COUNTS=""; DOVECOT_IDLE_COUNTS=""; }  # nobody to log in as
[ -z "$IDLE_COUNTS$DOVECOT_IDLE_COUNTS" ] || { echo
echo "| server | idle connections | idling | RSS before MiB | RSS after MiB | KiB/connection (RSS) | KiB/connection (PSS) | processes |"
echo "|---|---|---|---|---|---|---|---|"; }
for n in $IDLE_COUNTS; do
  if [ "$n" -gt $((FDS - 200)) ]; then echo "| mssd | $n | skipped: ulimit -n is $FDS here | | | | | |"; continue; fi
  stop_mssd; start_mssd; sleep 1
  read -r rss0 pss0 <<< "$(mssd_mem)"
  hold_idle mssd "$n"
  read -r rss1 pss1 <<< "$(mssd_mem)"
  idling=$(field idling < "$WORK/idle.out"); idling=${idling:-0}
  release_idle
  awk -v n="$n" -v i="$idling" -v r0="$rss0" -v r1="$rss1" -v p0="$pss0" -v p1="$pss1" 'BEGIN {
    printf "| mssd | %d | %d | %.1f | %.1f | %.1f | %.1f | 1 |\n", n, i, r0/1024, r1/1024, (r1-r0)/(i?i:1), (p1-p0)/(i?i:1) }'
done
[ -n "$MSSD_PID" ] && stop_mssd  # its memory back before Dovecot's turn
for n in $DOVECOT_IDLE_COUNTS; do
  read -r rss0 pss0 procs0 <<< "$(dovecot_mem)"
  hold_idle dovecot "$n"
  read -r rss1 pss1 procs1 <<< "$(dovecot_mem)"
  idling=$(field idling < "$WORK/idle.out"); idling=${idling:-0}
  release_idle
  awk -v n="$n" -v i="$idling" -v r0="$rss0" -v r1="$rss1" -v p0="$pss0" -v p1="$pss1" -v pr="$procs1" 'BEGIN {
    printf "| dovecot | %d | %d | %.1f | %.1f | %.1f | %.1f | %d |\n", n, i, r0/1024, r1/1024, (r1-r0)/(i?i:1), (p1-p0)/(i?i:1), pr }'
  for _ in $(seq 1 60); do [ "$(pgrep -c -x -P "$DC_MASTER" imap || true)" -le 0 ] && break; sleep 1; done
done
echo
echo "errors (NO/BAD or lost connections) in the load rounds: $errors_total"
[ "$errors_total" -eq 0 ]
