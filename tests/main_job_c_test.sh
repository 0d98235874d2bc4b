#!/usr/bin/env bash
# The main job through the C ABI (examples/main_job.c) computes what the CLI
# computes: on one generated data set, every figure the C program prints
# equals the CLI's (train, assess with the model and the previous
# assessment, segment, report).
# Usage: main_job_c_test.sh CHURNKIT MAIN_JOB_C
set -uo pipefail
churnkit="$1"
main_job_c="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"
same() {  # same NAME C_VALUE CLI_VALUE
  if [[ -n "$2" && "$2" == "$3" ]]; then
    echo "ok: $1 ($2)"
  else
    echo "FAILED: $1: C '$2', CLI '$3'"
    failures=$((failures + 1))
  fi
}
c() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/c.out"; }
number() { tr -d ','; }

"$churnkit" generate --customers 2000 --seed 42 --out "$tmp/data" >/dev/null ||
  { echo "FAILED: generate"; exit 1; }
"$main_job_c" "$tmp/data" >"$tmp/c.out" 2>"$tmp/c.err" ||
  { echo "FAILED: main_job_c"; cat "$tmp/c.err"; exit 1; }
cat "$tmp/c.out"

dates=2024-07-01,2024-10-01,2025-01-01,2025-04-01,2025-07-01,2025-10-01
"$churnkit" train "$tmp/data" --dates "$dates" --horizon 90 \
  --panel-label at-end --out "$tmp/model.pb" >"$tmp/train.out" 2>&1
same "train rows" "$(c train_rows)" \
  "$(sed -n 's/^  train: \([0-9,]*\) rows.*/\1/p' "$tmp/train.out" | number)"
same "held-out ROC-AUC" "$(printf '%.4f' "$(c held_out_roc_auc)")" \
  "$(sed -n 's/^  ROC-AUC \([0-9.]*\) .*/\1/p' "$tmp/train.out" | head -1)"

"$churnkit" assess "$tmp/data" --as-of 2025-12-01 --model "$tmp/model.pb" \
  --save "$tmp/previous.pb" >/dev/null 2>&1
"$churnkit" assess "$tmp/data" --as-of 2026-01-01 --model "$tmp/model.pb" \
  --previous "$tmp/previous.pb" >"$tmp/assess.out" 2>&1
head=$(grep '^Assessment as of 2026-01-01' "$tmp/assess.out" | number)
same "assessed customers" "$(c assessed_customers)" \
  "$(sed -n 's/.*: \([0-9]*\) customers.*/\1/p' <<<"$head")"
same "already churned" "$(c already_churned)" \
  "$(sed -n 's/.*(\([0-9]*\) already churned.*/\1/p' <<<"$head")"
same "alerts" "$(c alerts)" "$(sed -n 's/.*) \([0-9]*\) alerts.*/\1/p' <<<"$head")"
same "tasks" "$(c tasks)" "$(sed -n 's/.* \([0-9]*\) tasks$/\1/p' <<<"$head")"

"$churnkit" segment "$tmp/data" --as-of 2026-01-01 --model "$tmp/model.pb" \
  >"$tmp/segment.out" 2>&1
same "segment: active customers" "$(c segment_active)" \
  "$(sed -n 's/^Segmentation as of.* \([0-9,]*\) active.*/\1/p' "$tmp/segment.out" | number)"
same "segment: churned with reasons" "$(c reasons_churned)" \
  "$(sed -n 's/^Churn reasons since [^:]*: \([0-9,]*\) churned.*/\1/p' "$tmp/segment.out" | number)"

"$churnkit" report "$tmp/data" --from 2025-01-01 --to 2026-01-01 \
  >"$tmp/report.out" 2>&1
same "report: customers at start" "$(c customers_at_start)" \
  "$(sed -n 's/^ *Customers at start *\([0-9,]*\)$/\1/p' "$tmp/report.out" | head -1 | number)"
same "report: churned" "$(c churned)" \
  "$(sed -n 's/^ *Churned *\([0-9,]*\) (.*/\1/p' "$tmp/report.out" | head -1 | number)"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
