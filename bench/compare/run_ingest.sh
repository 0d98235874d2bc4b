#!/usr/bin/env bash
# churnkit CSV ingestion vs pandas.read_csv, in one run:
#   1. builds the `bench` preset (ingest_bench, make_events_csv),
#   2. writes the synthetic CSV data set once (make_events_csv),
#   3. times churnkit (ingest_bench BM_CsvLoadDataset) and pandas.read_csv on
#      the same files, best of N each, and prints the table and the ratio.
#
# Usage: bench/compare/run_ingest.sh [--events N] [--customers N] [--runs N]
#                                    [--data-dir DIR] [--json FILE]
# Environment: PYTHON (default /usr/bin/python3, which has numpy and pandas),
#              BUILD_DIR (default <repo>/build/bench).
# The data directory defaults to a temporary one, removed at the end; pass
# --data-dir to keep and reuse it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build/bench}"
python="${PYTHON:-/usr/bin/python3}"
events=5000000
customers=20000
runs=3
data_dir=""
json=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events="$2"; shift 2 ;;
    --customers) customers="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run_ingest.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if ! "$python" -c 'import pandas' 2>/dev/null; then
  echo "run_ingest.sh: $python has no pandas (set PYTHON=...)" >&2
  exit 1
fi

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" --preset bench >&2
fi
cmake --build "$build" --target ingest_bench make_events_csv -j 2 >&2

cleanup=""
if [[ -z "$data_dir" ]]; then
  data_dir="$(mktemp -d "${TMPDIR:-/tmp}/churnkit-ingest-XXXXXX")"
  cleanup="$data_dir"
fi
trap '[[ -n "$cleanup" ]] && rm -rf "$cleanup"' EXIT

"$build/bench/make_events_csv" --out "$data_dir" --events "$events" \
  --customers "$customers" --formats csv >/dev/null

args=(--bench "$build/bench/ingest_bench" --data-dir "$data_dir"
      --events "$events" --customers "$customers" --runs "$runs")
[[ -n "$json" ]] && args+=(--json "$json")
"$python" "$root/bench/compare/ingest_vs_pandas.py" "${args[@]}"
