#!/usr/bin/env bash
# The directory import side by side with sqlite3's own .import of the same file into a bare table
# (the floor for loading it at all), in one run: full import of national-size files, incremental
# import of 1% changed rows, peak RSS, then RCPT look-up latency. Usage:
#   bench/compare_directory.sh [ACTIVITIES] [MAILBOXES] [BUILD]     (defaults: 2000000 500000 build)
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIVITIES="${1:-2000000}"; MAILBOXES="${2:-500000}"; BUILD="${3:-build}"
work=$(mktemp -d /tmp/mssd-bench-directory-XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 bench/gen_directory.py "$work/files" --activities "$ACTIVITIES" --mailboxes "$MAILBOXES" --change 0.01
"$BUILD/mssctl" --data "$work/data" init --domain bench.mssante.fr >/dev/null
act="$work/files/PS_LibreAcces_Personne_activite.txt"; corr="$work/files/Extraction_Correspondance_MSSante.txt"
ls -l "$act" "$corr" | awk '{print "file=" $NF " bytes=" $5}'

timed() {  # label, command...: prints label seconds= peak_rss_kib=
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs rss <"$work/time"
  echo "$label seconds=$secs peak_rss_kib=$rss $(tail -1 "$work/out")"
}

# The floor: sqlite3 .import of the same bytes into a bare table with one TEXT column per field.
cols=$(head -1 "$act" | awk -F'|' '{for (i = 1; i <= NF; i++) printf "%sc%d TEXT", (i > 1 ? ", " : ""), i}')
sqlite3 "$work/bare.db" "PRAGMA journal_mode=WAL; CREATE TABLE bare ($cols);" >/dev/null
tail -n +2 "$act" >"$work/rows.txt"
timed "sqlite3-import-activities" sqlite3 "$work/bare.db" -cmd ".mode list" -cmd ".separator |" \
  ".import $work/rows.txt bare"
timed "mssctl-import-activities-full" "$BUILD/mssctl" --data "$work/data" directory import "$act"
timed "mssctl-import-mailboxes-full" "$BUILD/mssctl" --data "$work/data" directory import "$corr"
timed "mssctl-import-activities-1pct" "$BUILD/mssctl" --data "$work/data" directory import \
  "$work/files/PS_LibreAcces_Personne_activite_next.txt"
timed "mssctl-import-mailboxes-1pct" "$BUILD/mssctl" --data "$work/data" directory import \
  "$work/files/Extraction_Correspondance_MSSante_next.txt"
echo '<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines>' >"$work/wl.xml"
for d in medecin infirmier pharmacien chu-x ch-y; do
  echo "<Domaine><Nom>$d.mssante.fr</Nom><DNCertificatOperateur>CN=smtp.$d</DNCertificatOperateur></Domaine>" >>"$work/wl.xml"
done
echo '</ListeDomaines></ListeBlancheMSSante>' >>"$work/wl.xml"
"$BUILD/mssctl" --data "$work/data" directory whitelist import "$work/wl.xml" >/dev/null
"$BUILD/bench_directory_lookup" --db "$work/data/directory.db" --threads 2 --lookups 200000
