#!/usr/bin/env bash
# End-to-end checks of `churnkit segment` on a small generated data set
# (300 customers, seed 3, 2024-01-01 .. 2025-12-31).
# Usage: cli_segment_test.sh CHURNKIT
set -uo pipefail
ck="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

data=$tmp/data
"$ck" generate --customers 300 --seed 3 --out "$data" --quiet >/dev/null ||
  { echo "FAIL: cannot generate the data set"; exit 1; }

# ---- The default report: health-score risk, revenue value, Pareto tiers ----
run segment "$data" --as-of 2026-01-01 --top 5 --out "$tmp/seg.csv"
expect_code 0
expect_regex "$out" '^Segmentation as of 2026-01-01: 300 customers, [0-9]+ active'
expect_line "$out" "Value: historical revenue; risk: health score"
expect_line "$out" "High value, high risk" "Rescue first"
expect_line "$out" "Low value, high risk" "Weigh the cost of retention"
expect_line "$out" "High value, low risk" "Keep service quality"
expect_line "$out" "Low value, low risk" "Standard automated care"
# Pareto: tier A holds 80% of the value, B 15%, C 5% (to rounding).
expect_regex "$out" '^A +[0-9]+ +[0-9.]+% +[0-9,]+ +(79\.[5-9]|80\.[0-4])%'
expect_regex "$out" '^C +[0-9]+ +[0-9.]+% +[0-9,]+ +[0-9]\.[0-9]%'
expect_count "$out" '^ +[1-5]  c[0-9]{6} ' 5
expect_line "$out" "Churn reasons since 2025-01-01"
expect_regex "$out" '^price +yes '
expect_regex "$out" '^strategic_change +no '
# Quadrant counts add up to the active customers.
active=$(sed -nE 's/^Segmentation .* ([0-9]+) active.*/\1/p' "$out")
total=$(awk '/^Total/ {print $2}' "$out")
checks=$((checks + 1))
[[ -n $active && $active == "$total" ]] || fail "quadrants sum to $total, not $active"

# The CSV: a header and one row per customer.
checks=$((checks + 1))
[[ $(head -1 "$tmp/seg.csv") == customer_id,churned,tier,value,* ]] ||
  fail "CSV header: $(head -1 "$tmp/seg.csv")"
expect_count "$tmp/seg.csv" '^c[0-9]{6},' 300
expect_count "$tmp/seg.csv" ',HIGH_VALUE_HIGH_RISK,' \
  "$(awk '/^High value, high risk/ {print $5}' "$out")"

# ---- Options from a config ---------------------------------------------------
cat >"$tmp/quantiles.textproto" <<'CFG'
tiers { method: QUANTILES }
high_value { top_share: 0.2 }
risk { source: HEALTH_COLOUR }
value { source: CONTRACTUAL_CLV clv { horizon_days: 730 group_by: "industry" } }
reasons { segment_by: BY_QUADRANT }
CFG
run segment "$data" --as-of 2026-01-01 --config "$tmp/quantiles.textproto" --top 0
expect_code 0
expect_line "$out" "contractual lifetime value"
expect_line "$out" "health colour"
expect_line "$out" "HIGH_VALUE_HIGH_RISK" "LOW_VALUE_LOW_RISK" "unknown"

# ---- Errors -------------------------------------------------------------------
run segment "$data"
expect_code 2
expect_line "$err" "--as-of is required"
echo 'tiers { a_share: 1.5 }' >"$tmp/bad.textproto"
run segment "$data" --as-of 2026-01-01 --config "$tmp/bad.textproto"
expect_code 1
expect_line "$err" "tiers.a_share: must be in (0, 1], got 1.5"
run segment "$data" --as-of 2020-01-01
expect_code 1
expect_line "$err" "as_of"

echo "$checks checks, $failures failures"
[[ $failures -eq 0 ]]
