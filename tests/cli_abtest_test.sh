#!/usr/bin/env bash
# End-to-end checks of `churnkit abtest`: on a small generated data set (the
# generator's default strategies loyalty-offer A/B and success-call
# A/control) and, for bad input, on the example export.
# Usage: cli_abtest_test.sh CHURNKIT EXAMPLES_DIR
set -uo pipefail
ck="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

run generate --customers 600 --seed 4 --out "$tmp/gen"
expect_code 0

# ---- The table -----------------------------------------------------------
run abtest "$tmp/gen" --cycle-days 45 --cycles 2 --min-response 99 \
  --out "$tmp/ab.csv"
expect_code 0
expect_line "$out" "Cycles 2 x 45 days, alpha 0.05"
expect_line "$out" "Strategy loyalty-offer (control arm: A)"
expect_line "$out" "Strategy success-call (control arm: control)"
expect_line "$out" "FLAGGED: response under 99.0%"
expect_regex "$out" '^  vs control +Cycle +Difference +95% CI \(Newcombe\) +z-test p +Fisher p'
expect_regex "$out" '^  A +2 +[-+][0-9.]+ pp +\[[-+][0-9.]+, [-+][0-9.]+\] +[0-9.e-]+ +[0-9.e-]+ +(z|fisher) +(yes|no)'
expect_no_line "$out" "nan"

# --out CSV: a header and one row per strategy x arm x cycle (4 arms x 2).
checks=$((checks + 1))
[[ $(head -1 "$tmp/ab.csv") == strategy,arm,control_arm,cycle,* ]] ||
  fail "csv header: $(head -1 "$tmp/ab.csv")"
checks=$((checks + 1))
[[ $(wc -l <"$tmp/ab.csv") -eq 9 ]] || fail "csv has $(wc -l <"$tmp/ab.csv") lines, expected 9"
checks=$((checks + 1))
[[ $(awk -F, '{print NF}' "$tmp/ab.csv" | sort -u) == 29 ]] ||
  fail "csv rows do not all have 29 fields"
expect_regex "$tmp/ab.csv" '^success-call,A,control,2,[0-9]+,'

# --out JSONL: one StrategyFigures per line; --output json: the report.
run abtest "$tmp/gen" --strategy success-call --out "$tmp/ab.jsonl" --output json
expect_code 0
expect_count "$tmp/ab.jsonl" '^\{"strategy":"success-call"' 1
expect_regex "$out" '^\{"as_of":"2026-01-01","cycle_days":30,"cycles":3,'

# The same counts from the library and the CLI's CSV: arm A's customers.
n_json=$(grep -o '"arm":"A","customers":"[0-9]*"' "$tmp/ab.jsonl" | grep -o '[0-9]*' | tail -1)
n_csv=$(awk -F, '$1 == "success-call" && $2 == "A" && $4 == 1 { print $5 }' "$tmp/ab.csv")
checks=$((checks + 1))
[[ -n $n_json && $n_json == "$n_csv" ]] || fail "arm A customers: json $n_json, csv $n_csv"

# ---- Bad input --------------------------------------------------------------
run abtest "$data" --as-of 2024-06-28 --control nobody
expect_code 1
expect_line "$err" "control_arm: 'nobody' is not an arm of strategy"
run abtest "$data" --alpha 1.5
expect_code 2
expect_line "$err" "--alpha and --power must be in (0, 1)"
run abtest "$data" --cycles 4
expect_code 2
run abtest "$data" --min-response 150
expect_code 2
run abtest "$data" --strategy nope
expect_code 1
expect_line "$err" "strategies[0]: no INTERVENTION with key 'nope'"
run abtest "$data" --as-of 2000-01-01
expect_code 1
expect_line "$err" "as_of: 2000-01-01 is not after the first event"

echo "$checks checks, $failures failures"
[[ $failures -eq 0 ]]
