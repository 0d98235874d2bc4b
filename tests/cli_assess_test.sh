#!/usr/bin/env bash
# End-to-end checks of `churnkit assess` on the example export.
# Usage: cli_assess_test.sh CHURNKIT EXAMPLES_DIR
set -uo pipefail
churnkit="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

"$churnkit" assess "$data" --as-of 2024-07-01 --history-out "$tmp/h.pb" \
  --save "$tmp/a.pb" >"$tmp/s.txt" 2>/dev/null
check "assess exits 0" test $? -eq 0
check "summary names the date and counts" \
  grep -q '^Assessment as of 2024-07-01: 16 customers' "$tmp/s.txt"
check "summary has the colour table" grep -q '^Health  *Customers  *Share' "$tmp/s.txt"
check "summary has alerts by level" grep -q '^L2 ' "$tmp/s.txt"
check "summary counts the alert stream" grep -Eq \
  '^Alerts: [0-9]+ raised to [0-9]+ customers \([0-9]+ rules fired in them\); [0-9]+ customers routed to automated care \([0-9]+ below the risk floor of [0-9.]+, the rest over owners. capacity of 5 this run\)$' \
  "$tmp/s.txt"
check "summary has tasks by type" grep -q '^follow_up ' "$tmp/s.txt"
check "summary lists customers at risk" grep -q '^At risk' "$tmp/s.txt"
check "history was written" test -s "$tmp/h.pb"

"$churnkit" assess "$data" --as-of 2024-07-01 --output csv >"$tmp/a.csv" 2>/dev/null
check "csv has a header and 16 rows" test "$(wc -l <"$tmp/a.csv")" -eq 17
colours=$(tail -n +2 "$tmp/a.csv" | cut -d, -f4 | sort -u | tr '\n' ' ')
check "csv colours are GREEN/YELLOW/RED ($colours)" \
  bash -c "[[ '$colours' =~ ^((GREEN|YELLOW|RED)\ )+$ ]]"
check "csv alerts are one consolidated alert or none" \
  test -z "$(tail -n +2 "$tmp/a.csv" | cut -d, -f6 | grep -vx '[01]')"
check "csv has the routing and revenue at risk" \
  grep -q '^customer_id,churned,score,colour,score_change,alerts,tasks,routed_to_automated_care,expected_revenue_at_risk,' "$tmp/a.csv"
echo 'alerts { tasks_per_owner_per_week: 1 }' >"$tmp/one.textproto"
"$churnkit" assess "$data" --as-of 2024-07-01 --config "$tmp/one.textproto" \
  --output csv >"$tmp/one.csv" 2>/dev/null
routed=$(tail -n +2 "$tmp/one.csv" | awk -F, '{s += $8} END {print s}')
check "over an owner's capacity, customers are routed ($routed)" test "$routed" -gt 0
echo 'alerts { tasks_per_owner_per_week: -1 }' >"$tmp/neg.textproto"
"$churnkit" assess "$data" --as-of 2024-07-01 --config "$tmp/neg.textproto" >/dev/null 2>"$tmp/neg.err"
check "a negative capacity is refused by name" \
  grep -q 'alerts.tasks_per_owner_per_week: must be > 0' "$tmp/neg.err"
alerts_before=$(tail -n +2 "$tmp/a.csv" | awk -F, '{s += $6} END {print s}')
"$churnkit" assess "$data" --as-of 2024-07-02 --history "$tmp/h.pb" \
  --previous "$tmp/a.pb" --output csv >"$tmp/b.csv" 2>/dev/null
alerts_after=$(tail -n +2 "$tmp/b.csv" | awk -F, '{s += $6} END {print s}')
check "with the history, rules cool down ($alerts_after < $alerts_before)" \
  test "$alerts_after" -lt "$alerts_before"
check "with the previous assessment, score changes are filled in" \
  test -z "$(tail -n +2 "$tmp/b.csv" | cut -d, -f5 | grep -x '')"
"$churnkit" assess "$data" --as-of 2024-07-01 --output jsonl >"$tmp/a.jsonl" 2>/dev/null
check "jsonl has one line per customer" test "$(wc -l <"$tmp/a.jsonl")" -eq 16
check "jsonl carries the dimensions" grep -q '"interaction_frequency"' "$tmp/a.jsonl"

# An id with a comma and a quote is one quoted CSV cell (issue 15: ids were
# written unquoted, shifting every column of the row).
mkdir "$tmp/quoted"
printf 'id,signup_time\n"a,""b",2024-01-01\n' >"$tmp/quoted/customers.csv"
printf 'customer_id,kind,time\n"a,""b",LOGIN,2024-03-01\n' >"$tmp/quoted/events.csv"
"$churnkit" assess "$tmp/quoted" --as-of 2024-07-01 --output csv \
  >"$tmp/q.csv" 2>/dev/null
check "assess csv quotes an id with a comma" grep -q '^"a,""b",[01],' "$tmp/q.csv"
"$churnkit" features "$tmp/quoted" --as-of 2024-07-01 >"$tmp/qf.csv" 2>/dev/null
check "features csv quotes an id with a comma" grep -q '^"a,""b",' "$tmp/qf.csv"

echo 'rules { rules { name: "r" level: L1 alert: "x" when { compare { feature: "zz" op: GT } } } }' >"$tmp/bad.textproto"
"$churnkit" assess "$data" --as-of 2024-07-01 --config "$tmp/bad.textproto" >/dev/null 2>"$tmp/bad.err"
check "a bad config fails" test $? -eq 1
check "the error names the path" grep -q "rules.rules\[0\].when.compare.feature: unknown feature 'zz'" "$tmp/bad.err"
"$churnkit" assess "$data" >/dev/null 2>&1
check "assess without --as-of is a usage error" test $? -eq 2
"$churnkit" assess --help >/dev/null
check "assess --help exits 0" test $? -eq 0

echo "cli_assess_test: $failures failed"
exit $((failures > 0))
