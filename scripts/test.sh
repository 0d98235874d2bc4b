#!/usr/bin/env bash
# README command 2: installs dependencies, builds, and runs every test.
#   scripts/test.sh [preset]   (default | asan)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
bash scripts/build.sh "$preset"
ctest --preset "$preset"
