#!/usr/bin/env bash
# Builds the `fuzz` preset (clang, libFuzzer, ASan + UBSan) and runs every
# fuzz target for a while; fails on any crash, sanitizer report, leak,
# timeout or out-of-memory.
#
# Usage: scripts/run_fuzzers.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 30 (or $FUZZ_SECONDS)
#   TARGET              default: fuzz_csv fuzz_jsonl fuzz_pb_stream fuzz_plain_table fuzz_mapping fuzz_capi_bytes
# Environment: BUILD_DIR (default <repo>/build/fuzz), FUZZ_JOBS (default 1).
#
# The seed corpora in tests/fuzz/corpus/<target>/ are read, never written:
# new inputs go to $BUILD_DIR/corpus/<target>/ and crash reproducers to
# $BUILD_DIR/artifacts/. Reproduce one with
#   $BUILD_DIR/tests/fuzz/<target> $BUILD_DIR/artifacts/<target>-crash-...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/fuzz}"
seconds="${FUZZ_SECONDS:-30}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fuzz_csv fuzz_jsonl fuzz_pb_stream fuzz_plain_table fuzz_mapping fuzz_capi_bytes)
jobs="${FUZZ_JOBS:-1}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" --preset fuzz
fi
# Only the fuzz targets: they are all the fuzz preset is for.
cmake --build "$build" -j 2 --target "${targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

mkdir -p "$build/artifacts"
failed=()
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/$target"
  seeds="$root/tests/fuzz/corpus/$target"
  work="$build/corpus/$target"
  mkdir -p "$work"
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048
        -timeout=10 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$target-")
  [[ -f "$root/tests/fuzz/$target.dict" ]] &&
    args+=(-dict="$root/tests/fuzz/$target.dict")
  if [[ "$jobs" -gt 1 ]]; then
    args+=(-jobs="$jobs" -workers="$jobs")
  fi
  echo "== $target: ${seconds}s" >&2
  log="$build/artifacts/$target.log"
  if "$binary" "${args[@]}" "$work" "$seeds" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' \
      "$log" >&2 || true
  else
    echo "!! $target FAILED (log: $log)" >&2
    grep -E -A30 'ERROR: |runtime error|deadly signal|Test unit written' \
      "$log" | head -60 >&2 || tail -40 "$log" >&2
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run_fuzzers.sh: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers.sh: ${targets[*]} ran ${seconds}s each without a finding" >&2
