#!/usr/bin/env bash
# End-to-end checks of `churnkit clv`: on the example export (an order log),
# on a small summary CSV made here, and on the CDNOW summaries when
# SHARED_DATA_DIR holds them (the published BG/NBD parameters).
# Usage: cli_clv_test.sh CHURNKIT EXAMPLES_DIR [SHARED_DATA_DIR]
set -uo pipefail
ck="$1"
examples="$2"
shared="${3:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

# ---- From a summary CSV ------------------------------------------------------
cat >"$tmp/rfm.csv" <<'CSV'
customer_id,frequency,recency,T,monetary
a,0,0,38,0
b,1,2,38,12
c,4,30,38,25
d,2,10,20,40
e,0,0,12,0
f,6,35,36,18
g,1,20,30,22
h,3,5,33,30
CSV
run clv --summary "$tmp/rfm.csv" --unit weeks --penalizer 0.01 \
  --horizon 26 --margin 0.5 --out "$tmp/clv.csv"
expect_code 0
expect_line "$out" "CLV of 8 customers (6 repeat buyers), time in weeks"
expect_regex "$out" "^BG/NBD +r = [0-9.]+ +alpha = [0-9.]+ +a = [0-9.]+ +b = [0-9.]+"
expect_line "$out" "Gamma-Gamma" "p = "
expect_line "$out" "Horizon 26 weeks, margin 0.5"
expect_line "$out" "Top 8 customers by CLV"
expect_line "$tmp/clv.csv" "customer_id,frequency,recency,age,monetary,p_alive,expected_purchases,expected_spend,clv"
expect_count "$tmp/clv.csv" "^[a-h]," 8
expect_line "$tmp/clv.csv" "a,0,0,38,0,1,"
expect_no_line "$tmp/clv.csv" "nan"

run clv --summary "$tmp/rfm.csv" --unit weeks --penalizer 0.01 --json
expect_code 0
expect_line "$out" '"bg_nbd"' '"gamma_gamma"'

# Without monetary: no spend model, CLV 0.
cut -d, -f1-4 "$tmp/rfm.csv" >"$tmp/rf.csv"
run clv --summary "$tmp/rf.csv" --penalizer 0.01 --top 0
expect_code 0
expect_line "$out" "Gamma-Gamma  not fitted (no monetary column)"

# ---- Bad input -----------------------------------------------------------------
printf 'frequency,recency,T\n1,50,40\n' >"$tmp/bad.csv"
run clv --summary "$tmp/bad.csv"
expect_code 1
expect_line "$err" "customer '2' (index 0): recency 50 > age 40"
printf 'frequency,recency,T\n0,0,10\n0,0,12\n' >"$tmp/none.csv"
run clv --summary "$tmp/none.csv"
expect_code 1
expect_line "$err" "no customer has a repeat purchase"
printf 'frequency,when\n1,2\n' >"$tmp/cols.csv"
run clv --summary "$tmp/cols.csv"
expect_code 1
expect_line "$err" "needs columns frequency, recency and T"
run clv --summary "$tmp/rfm.csv" --margin -1
expect_code 2
expect_line "$err" "--margin must be a number > 0"
run clv --summary "$tmp/rfm.csv" "$examples"
expect_code 2
expect_line "$err" "either PATH... or --summary FILE"
run clv "$examples"
expect_code 2
expect_line "$err" "--as-of is required"
run clv --summary "$tmp/missing.csv"
expect_code 1

# ---- From the example export (orders of the CSV data set) ---------------------
# Its 16 short histories are too few for the models: the Gamma-Gamma
# likelihood keeps rising towards a boundary, and with a penalty the BG/NBD
# maximum lies at a -> 0 (nobody ever leaves). Both are reported clearly,
# never as a NaN model.
run clv "$examples" --as-of 2024-06-28 --out "$tmp/ex.csv"
expect_code 1
expect_line "$err" "Gamma-Gamma: no convergence after 200 iterations"
run clv "$examples" --as-of 2024-06-28 --penalizer 0.01
expect_code 1
expect_line "$err" "BG/NBD: parameter a ran off to" "set penalizer_coef > 0"

# ---- CDNOW: the published parameters ------------------------------------------
summary="$shared/cdnow/cdnow_customers_summary_with_transactions.csv"
sample="$shared/cdnow/CDNOW_sample.txt"
if [[ -n "$shared" && -f "$summary" ]]; then
  run clv --summary "$summary" --unit weeks --horizon 39
  expect_code 0
  expect_line "$out" "r = 0.2425" "alpha = 4.4135" "a = 0.7928" "b = 2.4257"
  expect_line "$out" "p = 6.24" "q = 3.74" "v = 15.44"
  expect_line "$out" "on 946 repeat buyers"
else
  echo "skipped: CDNOW summary checks ($summary not found)"
fi
if [[ -n "$shared" && -f "$sample" ]]; then
  # The order log itself, through the shipped vendor mapping.
  run clv --load-options "$(dirname "$0")/../configs/mappings/cdnow_sample.textproto" \
    "$shared" --as-of 1997-10-01 --unit weeks
  expect_code 0
  expect_line "$out" "CLV of 2,357 customers (946 repeat buyers), time in weeks"
  expect_line "$out" "r = 0.24" "alpha = 4.4" "a = 0.79"
fi

echo "cli_clv_test: $checks checks, $failures failed"
exit $((failures > 0))
