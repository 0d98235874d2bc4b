#!/usr/bin/env bash
# README command 1, the main job: installs dependencies, builds churnkit,
# then ingests the example CRM export and prints the validation report and
# the data set summary. Extra arguments go to `churnkit validate`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default >&2
churnkit=build/default/tools/churnkit
data=examples/data
echo "== churnkit validate $data"
"$churnkit" validate "$data" "$@"
echo
echo "== churnkit info $data"
"$churnkit" info "$data"
