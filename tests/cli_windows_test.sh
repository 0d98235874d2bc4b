#!/usr/bin/env bash
# End-to-end checks of `churnkit windows` on the example export
# (examples/data, exported 2024-06-28): the table, CSV and JSON outputs, the
# suggested definition read back by `churnkit labels`, and bad input.
# Usage: cli_windows_test.sh CHURNKIT EXAMPLES_DIR
set -uo pipefail
ck="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

# A short grid and horizon: the example covers one year of 16 customers.
grid=(--as-of 2024-06-28 --step 7 --max-days 28 --horizon 14 --min-spells 5
      --max-return 0.5)

# ---- The table -----------------------------------------------------------
run windows "$data" "${grid[@]}" --by industry --out-definition "$tmp/def.textproto"
expect_code 0
expect_line "$out" "Data set" "as of 2024-06-28, by industry"
expect_line "$out" "gaps every 7 days up to 28; a return counts within 14 days"
expect_regex "$out" '^  Segment +Customers +Spells +Open +Median gap +P90 gap +Window +Return +Followed +Note'
expect_regex "$out" '^  \(all\) +16 +344 +16 +10 +21 +28 days +40\.5% +37'
expect_regex "$out" '^  ecommerce +3 +41 +3 +21 +42 +7 days +2\.6% +39'
expect_line "$out" "saas" "returns stay above 50% up to 28 days (lowest 77.1% at 7 days)"
expect_regex "$out" '^ +Days +\(all\) +ecommerce +education +manufacturing +saas +services$'
expect_regex "$out" '^ +14 +71\.2% \(132\) +86\.5% \(37\)'
expect_no_line "$out" "nan"

# The definition: one rule per suggested industry, then the overall one;
# `churnkit labels` reads it.
expect_count "$tmp/def.textproto" '^passive \{' 4
expect_line "$tmp/def.textproto" 'name: "industry_ecommerce_7d_inactive"'
expect_line "$tmp/def.textproto" 'name: "overall_28d_inactive"'
run labels "$data" --as-of 2024-06-28 --definition "$tmp/def.textproto"
expect_code 0
expect_regex "$out" '^passive +industry_ecommerce_7d_inactive +[0-9]+'

# ---- CSV and JSON -----------------------------------------------------------
run windows "$data" "${grid[@]}" --by tier --output csv
expect_code 0
checks=$((checks + 1))
[[ $(head -1 "$out") == segment,overall,days,reached,followed,returned,return_probability,suggested_days ]] ||
  fail "csv header: $(head -1 "$out")"
expect_line "$out" ",1,7,243,239,138,0.5774058577,28"
checks=$((checks + 1))
[[ $(awk -F, 'NR > 1 {print NF}' "$out" | sort -u) == 8 ]] ||
  fail "csv rows do not all have 8 fields"
run windows "$data" --as-of 2024-06-28 --max-days 14 --output json
expect_code 0
expect_regex "$out" '^\{"as_of":"2024-06-28","by":"","request":\{'
expect_line "$out" '"horizon_days":180,"min_spells":100'

# ---- Bad input --------------------------------------------------------------
run windows "$data"
expect_code 2
expect_line "$err" "--as-of is required"
run windows "$data" --as-of 2024-06-28 --max-return 1.5
expect_code 2
expect_line "$err" "--max-return must be in (0, 1)"
run windows "$data" --as-of 2024-06-28 --step 0
expect_code 2
run windows "$data" --as-of 2024-06-28 --activity LOGINX
expect_code 2
expect_line "$err" "--activity: unknown event kind 'LOGINX'"
run windows "$data" --as-of 2024-06-28 --by colour
expect_code 1
expect_line "$err" "by: unknown attribute 'colour'"
run windows "$data" --as-of 2024-06-28 --step 30 --max-days 7
expect_code 1
expect_line "$err" "step_days: 30 is more than max_days (7)"
run windows "$data" --as-of 2020-01-01
expect_code 1
expect_line "$err" "as_of: 2020-01-01 is not after the first event"

echo "$checks checks, $failures failures"
[[ $failures -eq 0 ]]
