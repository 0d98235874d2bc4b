#!/usr/bin/env bash
# End-to-end checks of `churnkit report` on the example export
# (examples/data, exported 2024-06-28; stories in its README.md).
# Usage: cli_report_test.sh CHURNKIT EXAMPLES_DIR
#
# The period checked is 2024-01-01 .. 2024-06-28 under the shipped churn
# definition, as known at its end. Its figures follow from the churn
# episodes that `churnkit labels --output json` lists (checked below): 10
# customers are at the start — the 16, less c012 (signs up on 2024-04-15)
# and five churned on 2024-01-01: c005 and c014 (silent since December),
# c006, c015 and c016 (silent for over 60 days, each back later) — 5
# returns (c004, c006, c015, c016 twice) and 7 churns begin in the period:
# c002 and c007 actively (cancellations), c003, c004, c006, c015 and c016
# passively; 9 are customers at the end.
set -uo pipefail
churnkit="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"
# has FILE REGEX: some line of FILE matches the extended REGEX.
has() { grep -Eq -- "$2" "$1"; }

period=(--from 2024-01-01 --to 2024-06-28)

# ---- The table ----------------------------------------------------------------
"$churnkit" report "$data" "${period[@]}" --by tier >"$tmp/t.txt" 2>"$tmp/t.err"
check "report exits 0" test $? -eq 0
check "report warns about the example's deliberate bad rows" \
  has "$tmp/t.err" 'warning: 7 errors in the input'
check "as of the period's end" has "$tmp/t.txt" '^  As of +2024-06-28$'
check "10 customers at the start" has "$tmp/t.txt" '^  Customers at start +10$'
check "7 churned" has "$tmp/t.txt" '^  Churned +7 \(7 customers\)$'
check "churn rate: 4 of the 10 at the start" has "$tmp/t.txt" '^  Churn rate +40\.0%$'
check "retention rate 100 - churn rate" has "$tmp/t.txt" '^  Retention rate +60\.0%$'
check "revenue lost and its share of the revenue at the start" \
  has "$tmp/t.txt" '^  Revenue lost +941,000 \(42\.2%\)$'
check "revenue from annual_value" \
  has "$tmp/t.txt" '^  Revenue at start +2,231,000 \(annual_value\)$'
check "one new customer (c012)" has "$tmp/t.txt" '^  New customers +1$'
check "5 returns after churn" has "$tmp/t.txt" '^  Reactivated \(returned after churn\) +5$'
check "9 at the end: 10 + 1 + 5 - 7" has "$tmp/t.txt" '^  Customers at end +9$'
check "type mix: 2 active, 5 passive" \
  bash -c "grep -Eq '^  ACTIVE +2 +28\.6%' '$tmp/t.txt' &&
           grep -Eq '^  PASSIVE +5 +71\.4%' '$tmp/t.txt'"
check "c007's reason" has "$tmp/t.txt" '^  poor_service +1 +14\.3% +12,000$'
check "tier A: 6 at start, 2 churned (c002, c004), c004 back" \
  has "$tmp/t.txt" '^  A +6 +2 +33\.3% +66\.7% +760,000 +0 +1 +5$'
check "tier C: c007 churned, c012 new; c015 back and gone again" \
  has "$tmp/t.txt" '^  C +1 +2 +100\.0% +0\.0% +37,000 +1 +1 +1$'
check "one trend row per month of the period" \
  test "$(grep -Ec '^  2024-0[1-6]-01 \.\. 2024-0[2-6]-(01|28) ' "$tmp/t.txt")" -eq 12
check "monthly churn rate by tier" has "$tmp/t.txt" '^Monthly churn rate by tier$'

# The same churn count from the episodes the labels list: those begun in
# the period.
"$churnkit" labels "$data" --as-of 2024-06-28 --output json >"$tmp/l1.json" 2>/dev/null
from_labels=$(grep -o '"start":"2024-0[1-6]-[0-9T:Z]*"' "$tmp/l1.json" | wc -l)
check "labels agree: $from_labels churn episodes begun" test "$from_labels" = 7
"$churnkit" labels "$data" --as-of 2024-01-01 --output csv >"$tmp/l0.csv" 2>/dev/null
check "labels list only customers that existed (not c012)" \
  bash -c "! grep -q '^c012,' '$tmp/l0.csv' && test \$(wc -l <'$tmp/l0.csv') -eq 16"

# ---- Other formats -----------------------------------------------------------------
"$churnkit" report "$data" "${period[@]}" --by tier --output csv >"$tmp/r.csv" 2>/dev/null
check "csv exits 0" test $? -eq 0
check "csv header" test "$(head -1 "$tmp/r.csv")" = \
  "section,start,end,attribute,group,item,measure,value"
check "csv overall churn rate" \
  has "$tmp/r.csv" '^period,2024-01-01,2024-06-28,,,,churn_rate,40$'
check "csv reactivated" \
  has "$tmp/r.csv" '^period,2024-01-01,2024-06-28,,,,reactivated,5$'
check "csv per-tier rate" has "$tmp/r.csv" '^period,2024-01-01,2024-06-28,tier,C,,churn_rate,100$'
check "csv reason counts" \
  has "$tmp/r.csv" '^period,2024-01-01,2024-06-28,,,reason:poor_service,customers,1$'
check "csv trend rows" has "$tmp/r.csv" '^trend,2024-06-01,2024-06-28,,,,customers_at_start,'
check "csv: every line has 8 fields" \
  test "$(awk -F, '{print NF}' "$tmp/r.csv" | sort -u)" = 8

"$churnkit" report "$data" "${period[@]}" --output json >"$tmp/r.json" 2>/dev/null
check "json is a ChurnReport" has "$tmp/r.json" '^\{"as_of":"2024-06-28","customers":"16",'
check "json counts" has "$tmp/r.json" '"customers_at_start":"10","churned":"7"'
check "json rate" has "$tmp/r.json" '"churn_rate":40[,}]'
check "json reactivated" has "$tmp/r.json" '"reactivated":"5"'

"$churnkit" report "$data" "${period[@]}" --output markdown >"$tmp/r.md" 2>/dev/null
check "markdown headings" has "$tmp/r.md" '^## Churn by lifecycle stage$'
check "markdown table row" has "$tmp/r.md" '^\| Churn rate \| 40\.0% \|$'
check "markdown reactivated column" has "$tmp/r.md" '\| New \| Reactivated \| At end \|$'
check "markdown alignment row" has "$tmp/r.md" '^\|---\|--:\|--:\|--:\|$'

# ---- Cohorts and survival -------------------------------------------------
"$churnkit" report "$data" "${period[@]}" --cohorts --survival --by tier \
  >"$tmp/s.txt" 2>/dev/null
check "cohorts and survival exit 0" test $? -eq 0
# Default cohorts start in the month of the first event (2023-06).
check "cohort rows from the first event's month" \
  test "$(grep -Ec '^  20(23-06|23-08|24-04) +1 ' "$tmp/s.txt")" -eq 3
check "c012's cohort kept for both month ends" \
  has "$tmp/s.txt" '^  2024-04 +1 +100\.0% +100\.0%$'
# 16 customers with a signup; 9 had a first churn by 2024-06-28 (c002 to
# c007, c014, c015, c016); the others censored.
check "overall survival counts" has "$tmp/s.txt" '^  all +16 +9 +7 '
check "a survival curve per tier" \
  test "$(grep -Ec '^  tier = [ABC] ' "$tmp/s.txt")" -eq 3
check "log(-log) band named" has "$tmp/s.txt" 'log\(-log\)'

# ---- Definitions and requests ----------------------------------------------------
echo 'active { kinds: CANCELLATION }' >"$tmp/active.textproto"
"$churnkit" report "$data" "${period[@]}" --definition "$tmp/active.textproto" \
  >"$tmp/a.txt" 2>/dev/null
check "cancellations only: c002 and c007 churn" has "$tmp/a.txt" '^  Churned +2 \(2 customers\)$'
check "cancellations only: 15 at the start" has "$tmp/a.txt" '^  Customers at start +15$'
echo 'breakdowns: "region" lifecycle { onboarding_days: 30 }' >"$tmp/req.textproto"
"$churnkit" report "$data" "${period[@]}" --request "$tmp/req.textproto" \
  >"$tmp/q.txt" 2>/dev/null
check "--request adds its breakdowns" has "$tmp/q.txt" '^Churn by region$'
check "--request lifecycle shown" has "$tmp/q.txt" 'the first 30 days'

"$churnkit" report "$data" >"$tmp/d.txt" 2>/dev/null
check "default: as of midnight after the last event" has "$tmp/d.txt" '^  As of +2024-06-27$'
check "default period starts 180 days after the first event" \
  has "$tmp/d.txt" '^  Period +2023-12-01 \.\. 2024-06-27'

# ---- Errors ---------------------------------------------------------------------
"$churnkit" report "$data" --from 2024-06-28 --to 2024-01-01 >/dev/null 2>"$tmp/e1"
check "--to before --from is a usage error" test $? -eq 2
check "it names both" has "$tmp/e1" '--to 2024-01-01 is not after --from 2024-06-28'
"$churnkit" report "$data" --by colour >/dev/null 2>"$tmp/e2"
check "an unknown attribute fails" test $? -eq 1
check "it names the attribute" has "$tmp/e2" "breakdowns\[0\]: unknown attribute 'colour'"
"$churnkit" report "$data" --from 2023-01-01 --to 2024-01-01 >/dev/null 2>"$tmp/e3"
check "a period before the data fails" test $? -eq 1
check "it says why" has "$tmp/e3" 'period.start: 2023-01-01 is not after the first event'
"$churnkit" report "$data" --from 2024-13-01 >/dev/null 2>&1
check "a bad date is a usage error" test $? -eq 2
"$churnkit" report "$data" --output xml >/dev/null 2>&1
check "--output xml is a usage error" test $? -eq 2
"$churnkit" report --help >"$tmp/h.txt"
check "report --help exits 0" test $? -eq 0
check "help lists the output formats" has "$tmp/h.txt" 'table\|markdown\|csv\|json'

echo "cli_report_test: $failures failed"
exit $((failures > 0))
