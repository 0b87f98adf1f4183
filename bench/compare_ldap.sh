#!/usr/bin/env bash
# The LDAP address book at national size: `mssctl directory ldap export` of every mailbox to LDIF,
# slapadd of that file into a private slapd (mdb, the indexes of docs/directory.md), then an import
# of 1% changed mailboxes and `mssctl directory ldap sync` of its changes to the running slapd,
# beside ldapmodify of the same number of entries as the floor of LDAP writes. Usage:
#   bench/compare_ldap.sh [ACTIVITIES] [MAILBOXES] [BUILD]     (defaults: 2000000 500000 build)
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIVITIES="${1:-2000000}"; MAILBOXES="${2:-500000}"; BUILD="${3:-build}"
BASE="ou=mssante,dc=example,dc=org"
work=$(mktemp -d /tmp/mssd-bench-ldap-XXXXXX)
slapd_pid=""
trap '[ -n "$slapd_pid" ] && kill "$slapd_pid"; rm -rf "$work"' EXIT
python3 bench/gen_directory.py "$work/files" --activities "$ACTIVITIES" --mailboxes "$MAILBOXES" --change 0.01
"$BUILD/mssctl" --data "$work/data" init --domain bench.mssante.fr >/dev/null
corr="$work/files/Extraction_Correspondance_MSSante.txt"

timed() {  # label, command...: prints label seconds= peak_rss_kib=
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs rss <"$work/time"
  echo "$label seconds=$secs peak_rss_kib=$rss $(tail -1 "$work/out")"
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/slapd/db"
cat >"$work/slapd/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $work/slapd/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "$BASE"
rootdn "cn=feeder,$BASE"
rootpw feeder-secret
directory $work/slapd/db
maxsize 8589934592
index mail,cn,sn,givenName eq,sub
CONF

timed "mssctl-import-mailboxes-full" "$BUILD/mssctl" --data "$work/data" directory import "$corr"
timed "mssctl-ldap-export" "$BUILD/mssctl" --data "$work/data" directory ldap export "$work/all.ldif" --base-dn "$BASE"
ls -l "$work/all.ldif" | awk '{print "ldif bytes=" $5}'
timed "slapadd-quick" slapadd -q -f "$work/slapd/slapd.conf" -l "$work/all.ldif"
du -sk "$work/slapd/db" | awk '{print "slapd-db kib=" $1}'

/usr/sbin/slapd -f "$work/slapd/slapd.conf" -h "ldap://127.0.0.1:$port/" -d 0 2>/dev/null &
slapd_pid=$!
for _ in $(seq 300); do ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1 && break; sleep 0.2; done

# 1%: the import alone (no [ldap] yet: its changes stay pending), then the feed of them.
timed "mssctl-import-mailboxes-1pct" "$BUILD/mssctl" --data "$work/data" directory import \
  "$work/files/Extraction_Correspondance_MSSante_next.txt"
echo feeder-secret >"$work/data/ldap.secret"
printf '\n[ldap]\nurl = "ldap://127.0.0.1:%s"\nbind_dn = "cn=feeder,%s"\npassword_file = "ldap.secret"\nbase_dn = "%s"\n' \
  "$port" "$BASE" "$BASE" >>"$work/data/mssd.toml"
"$BUILD/mssctl" --data "$work/data" directory status | tail -1
timed "mssctl-ldap-sync-1pct" "$BUILD/mssctl" --data "$work/data" directory ldap sync

# The floor: ldapmodify replacing one attribute of as many entries, one connection.
n=$(( MAILBOXES / 100 ))
# (n entries slapd holds now, unwrapped; ldapsearch exits 4 when it stops at the size limit.)
{ ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$port" -D "cn=feeder,$BASE" -w feeder-secret -b "$BASE" \
    -z "$n" "(objectClass=inetOrgPerson)" dn 2>/dev/null || true; } | grep '^dn: ' |
  awk '{print $0 "\nchangetype: modify\nreplace: postalCode\npostalCode: 99999\n"}' >"$work/floor.ldif"
grep -c '^dn: ' "$work/floor.ldif" | awk '{print "floor entries=" $1}'
timed "ldapmodify-floor-$n-entries" ldapmodify -x -H "ldap://127.0.0.1:$port" -D "cn=feeder,$BASE" -w feeder-secret \
  -f "$work/floor.ldif"
ldapsearch -x -LLL -H "ldap://127.0.0.1:$port" -D "cn=feeder,$BASE" -w feeder-secret -b "$BASE" -z 0 "(objectClass=inetOrgPerson)" dn 2>/dev/null |
  grep -c '^dn:' | awk '{print "entries in slapd=" $1}'
