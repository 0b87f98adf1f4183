#!/usr/bin/env bash
# Configures and builds mssd, mssctl, the unit tests and the benchmark tools into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
