#!/usr/bin/env bash
# Configures and builds into build/: everything (mssd, mssctl, unit tests, benchmark tools), or only
# the targets named. --werror turns every compiler warning into an error (the test suite and CI).
# Usage: scripts/build.sh [--werror] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
if [ "${1:-}" = "--werror" ]; then
  werror=ON
  shift
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSSD_WERROR=$werror >/dev/null
if [ $# -gt 0 ]; then
  cmake --build build --target "$@"
else
  cmake --build build
fi
