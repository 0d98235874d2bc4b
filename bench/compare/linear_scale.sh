#!/usr/bin/env bash
# Issue 19 goal 5: load, features and assessment of generated data sets of
# growing size, one process each (wall, CPU, peak RSS), for the table in
# docs/performance.md ("Cost in customers").
#   bash bench/compare/linear_scale.sh DIR...   (data sets from
#   churnkit generate --customers N --seed 3 --start 2024-01-01 --end 2025-12-31)
set -euo pipefail
ck="${CHURNKIT:-build/default/tools/churnkit}"
for d in "$@"; do
  for step in info features assess; do
    case $step in
      info) args=(info "$d") ;;
      features) args=(features "$d" --as-of 2025-10-01) ;;
      assess) args=(assess "$d" --as-of 2025-10-01 --output summary) ;;
    esac
    /usr/bin/time -f "$d $step wall=%e user=%U sys=%S maxrss_kb=%M" \
      "$ck" "${args[@]}" 2>&1 >/dev/null | grep "wall="
  done
done
