#!/usr/bin/env bash
# Installs, from Debian's packages only, what mssd needs to build, test and benchmark.
# Used by scripts/demo and scripts/test; safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
BUILD=(cmake ninja-build g++ pkg-config libssl-dev openssl libsqlite3-dev sqlite3 libxml2-dev libicu-dev libfmt-dev
       doctest-dev libasio-dev libetpan-dev libzip-dev libcli11-dev libtomlplusplus-dev
       libboost-dev nlohmann-json3-dev libcurl4-gnutls-dev libldap-dev zlib1g-dev)
TEST=(python3 python3-pytest python3-cryptography swaks libnet-ssleay-perl libauthen-sasl-perl clang libclang-rt-14-dev procps curl isync interimap cyrus-clients cyrus-admin gpgsm slapd ldap-utils python3-aiosmtpd python3-dnspython postfix)
want=("${BUILD[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Nothing to do when everything is there: no package list refresh on every start of the demo.
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
# Postfix is a test peer only (private instances under /tmp): the package must not configure or ask.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
