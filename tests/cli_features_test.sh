#!/usr/bin/env bash
# End-to-end checks of `churnkit features` and `churnkit labels` on the
# example export. Usage: cli_features_test.sh CHURNKIT EXAMPLES_DIR
set -uo pipefail
churnkit="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

"$churnkit" features "$data" --as-of 2024-07-01 >"$tmp/f.csv" 2>"$tmp/f.err"
check "features exits 0" test $? -eq 0
check "features header names the default features" \
  grep -q '^customer_id,interactions_30d,days_since_interaction,' "$tmp/f.csv"
check "features: one row per customer signed up before as_of" \
  test "$(tail -n +2 "$tmp/f.csv" | wc -l)" -eq 16
check "features: every row has as many cells as the header" \
  test "$(awk -F, '{print NF}' "$tmp/f.csv" | sort -u | wc -l)" -eq 1
check "features reports its shape on stderr" grep -q '16 customers x' "$tmp/f.err"

cat >"$tmp/set.textproto" <<'PB'
features { name: "orders_all" window { filter { kinds: ORDER } aggregate: COUNT window_days: 3650 } }
PB
"$churnkit" features "$data" --as-of 2024-07-01 --config "$tmp/set.textproto" >"$tmp/g.csv" 2>/dev/null
check "features --config uses the given set" \
  test "$(head -1 "$tmp/g.csv")" = "customer_id,orders_all"
total=$(tail -n +2 "$tmp/g.csv" | awk -F, '{s += $2} END {print s}')
orders=$("$churnkit" info "$data" --json 2>/dev/null | grep -o '"ORDER":"[0-9]*"' | grep -o '[0-9]*')
check "order counts add up to the data set's orders ($total = $orders)" test "$total" = "$orders"

"$churnkit" features "$data" >/dev/null 2>&1
check "features without --as-of is a usage error" test $? -eq 2
"$churnkit" features "$data" --as-of 2024-13-45 >/dev/null 2>&1
check "features with a bad date is a usage error" test $? -eq 2
echo 'features { name: "x" window { window_days: 0 aggregate: COUNT } }' >"$tmp/bad.textproto"
"$churnkit" features "$data" --as-of 2024-07-01 --config "$tmp/bad.textproto" >/dev/null 2>"$tmp/bad.err"
check "an invalid feature set fails" test $? -eq 1
check "the error names the config path" grep -q 'features\[0\].window.window_days' "$tmp/bad.err"

"$churnkit" labels "$data" --as-of 2024-07-01 >"$tmp/l.txt" 2>/dev/null
check "labels exits 0" test $? -eq 0
check "labels prints the churned count" grep -q 'customers churned' "$tmp/l.txt"
check "labels shows a cancellation reason" grep -q 'poor_service' "$tmp/l.txt"
"$churnkit" labels "$data" --as-of 2024-07-01 --output csv >"$tmp/l.csv" 2>/dev/null
check "labels csv has one row per customer" test "$(tail -n +2 "$tmp/l.csv" | wc -l)" -eq 16
churned_csv=$(tail -n +2 "$tmp/l.csv" | awk -F, '$2 == 1' | wc -l)
check "table and csv agree on the churned count" \
  grep -q "^Churn labels as of 2024-07-01: $churned_csv of 16 customers churned" "$tmp/l.txt"
"$churnkit" labels "$data" --as-of 2024-07-01 --output json >"$tmp/l.json" 2>/dev/null
check "labels json is a LabelSet" grep -q '"labels":\[' "$tmp/l.json"
"$churnkit" labels "$data" --as-of 2023-01-01 >/dev/null 2>"$tmp/early.err"
check "labels before the first event fails" test $? -eq 1
check "the error says nothing is known before the data" \
  grep -q 'is not after the first event of the data set (2023-06-03)' "$tmp/early.err"
"$churnkit" labels "$data" --as-of 2024-07-01 --output xml >/dev/null 2>&1
check "labels --output xml is a usage error" test $? -eq 2
"$churnkit" labels --help >/dev/null
check "labels --help exits 0" test $? -eq 0
"$churnkit" features --help >/dev/null
check "features --help exits 0" test $? -eq 0

echo "cli_features_test: $failures failed"
exit $((failures > 0))
