#!/usr/bin/env bash
# End-to-end test of the churnkit program on the project's example export.
#
# Usage: cli_test.sh CHURNKIT_BINARY EXAMPLES_DATA_DIR
#
# Registered with ctest by tools/CMakeLists.txt. Every check prints what it
# expected and what it got when it fails; the script exits 1 if any failed.
# The expected figures are those of examples/data (see its README.md).
set -u

if [[ $# -ne 2 ]]; then
  echo "usage: $0 CHURNKIT_BINARY EXAMPLES_DATA_DIR" >&2
  exit 2
fi
ck=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

# The deliberate errors of examples/data, as "source:row: field:" and a
# fragment of the reason.
deliberate_errors=(
  "$data/customers.csv:13: id: |c008"
  "$data/contracts.csv:14: end_time: |2024-01-15"
  "$data/events.csv:127: time: |2024-02-30"
  "$data/events.csv:173: amount: |-45"
  "$data/events.csv:191: value: |nan"
  "$data/events.csv:336: kind: |webinar"
  "$data/events.csv:434: customer_id: |c999"
)

# ---- validate (lenient): every deliberate error, exit 0 ----------------------
run validate "$data"
expect_code 0
expect_line "$out" "Validating $data (lenient)"
expect_line "$out" "7 errors:"
for e in "${deliberate_errors[@]}"; do
  expect_line "$out" "  ${e%%|*}" "${e#*|}"
done
expect_count "$out" '^  /?.*\.csv:[0-9]+: ' 7
expect_regex "$out" '^Table +Read +Kept +Rejected$'
expect_regex "$out" '^customers +17 +16 +1$'
expect_regex "$out" '^events +433 +428 +5$'
expect_regex "$out" '^contacts +18 +18 +0$'
expect_regex "$out" '^contracts +20 +19 +1$'
expect_regex "$out" '^owners +7 +7 +0$'
expect_regex "$out" '^total +495 +488 +7$'
expect_line "$out" "Result: 7 errors; 488 of 495 rows kept, 7 rejected"

# ---- validate --max-errors: the report is capped, the count is not ----------
run validate --max-errors 2 "$data"
expect_code 0
expect_count "$out" '^  /?.*\.csv:[0-9]+: ' 2
expect_line "$out" "... and 5 more not listed"
expect_line "$out" "Result: 7 errors;"

# ---- validate --strict: exit 1 naming the first error ------------------------
run validate --strict "$data"
expect_code 1
expect_line "$err" "churnkit validate: error: $data/customers.csv:13: id: " "c008"
expect_line "$err" "Result: FAILED (strict mode stops at the first error)"
expect_no_line "$err" "events.csv"
expect_no_line "$out" "Result: 7 errors"

# The policy can come from a LoadOptions textproto as well.
printf 'validation { policy: STRICT }\n' >"$tmp/strict.textproto"
run validate --load-options "$tmp/strict.textproto" "$data"
expect_code 1
expect_line "$err" "$data/customers.csv:13: id: "

# ---- validate --json: the ErrorReport message --------------------------------
run validate --json "$data"
expect_code 0
expect_count "$out" '.' 1
expect_line "$out" '"total_errors":"7"' '"rows_read":{' \
  "\"source\":\"$data/events.csv\",\"row\":\"336\",\"field\":\"kind\""

# ---- info: counts, date span, kind mix ---------------------------------------
run info "$data"
expect_code 0
expect_line "$err" "churnkit info: warning: 7 errors in the input"
expect_regex "$out" '^Customers +16$'
expect_regex "$out" '^Events +428$'
expect_regex "$out" '^Contacts +18$'
expect_regex "$out" '^Contracts +19$'
expect_regex "$out" '^Owners +7$'
expect_regex "$out" '^Date span +2023-06-03 \.\. 2024-06-26 \(389 days\)$'
expect_regex "$out" '^Memory +[0-9,]+ bytes \([0-9]+\.[0-9] bytes/event\)$'
expect_regex "$out" '^Event kind +Events +Share$'
# Every EventKind of data.proto occurs in the example.
for kind in INTERACTION LOGIN FEATURE_USE ORDER TICKET SURVEY PAYMENT \
    CONTACT_CHANGE CONTRACT CANCELLATION PRICE_NEGOTIATION COMPETITOR_SIGNAL \
    INTERVENTION MARKETING WEB_SIGNAL OWNER_CHANGE OPPORTUNITY \
    TRAINING_REQUEST; do
  expect_regex "$out" "^$kind +[0-9]+ +[0-9.]+%$"
done
expect_regex "$out" '^LOGIN +137 +32\.0%$'
expect_regex "$out" '^ORDER +64 +15\.0%$'
expect_regex "$out" '^saas +4 +25\.0%$'
expect_regex "$out" '^manufacturing +3 +18\.8%$'
expect_regex "$out" '^A +6 +37\.5%$'
expect_regex "$out" '^C +5 +31\.2%$'

run info --json "$data"
expect_code 0
expect_line "$out" '"customers":"16"' '"events":"428"' '"LOGIN":"137"' \
  '"first_event_time":"2023-06-03"'

# ---- convert round trip: csv -> jsonl -> pb -> csv, same data each time ------
# info without its first line (the path) and the memory line (the string
# dictionary's layout may differ) must not change.
info_body() {
  run info "$1"
  expect_code 0
  grep -v -e '^Data set' -e '^Memory' "$out" >"$2"
}
info_body "$data" "$tmp/info.csv"

run convert "$data" --to jsonl --out "$tmp/example.jsonl"
expect_code 0
expect_line "$out" "Wrote 16 customers, 428 events, 18 contacts, 19 contracts and 7 owners to $tmp/example.jsonl (jsonl)"
expect_line "$err" "7 errors in the input"
expect_line "$tmp/example.jsonl" '"name":"北京星云科技有限公司"'

run convert "$tmp/example.jsonl" --to pb --out "$tmp/example.pb"
expect_code 0
expect_line "$out" "Wrote 16 customers, 428 events"
checks=$((checks + 1))
[[ ! -s $err ]] || fail "expected a clean jsonl input, got warnings"

run convert "$tmp/example.pb" --to csv --out "$tmp/csv"
expect_code 0
expect_line "$tmp/csv/customers.csv" '"Clearview Accounting, ""CPA"" Partners"'

for converted in "$tmp/example.jsonl" "$tmp/example.pb" "$tmp/csv"; do
  info_body "$converted" "$tmp/info.converted"
  checks=$((checks + 1))
  if ! diff -u "$tmp/info.csv" "$tmp/info.converted" >"$tmp/diff"; then
    fail "info of $converted differs from the CSV original: $(cat "$tmp/diff")"
  fi
  run validate "$converted"
  expect_code 0
  expect_line "$out" "No errors."
done

# An explicit --format overrides the file name.
cp "$tmp/example.pb" "$tmp/example.dat"
run info --format pb "$tmp/example.dat"
expect_code 0
expect_regex "$out" '^Events +428$'

# ---- vendor mapping through --load-options: PATH is the base directory -------
mkdir "$tmp/vendor"
printf 'customer,date,amount\nu1,2024-01-05,12.5\nu2,2024-01-07,30\nu1,2024-02-11,8\n' \
  >"$tmp/vendor/orders.csv"
cat >"$tmp/vendor.textproto" <<'EOF'
tables {
  table: EVENTS
  path: "orders.csv"
  implicit_customers: true
  columns { field: "customer_id" column: "customer" }
  columns { field: "time" column: "date" }
  columns { field: "amount" column: "amount" }
  columns { field: "kind" constant: "ORDER" }
}
EOF
run info --load-options "$tmp/vendor.textproto" "$tmp/vendor"
expect_code 0
expect_regex "$out" '^Customers +2$'
expect_regex "$out" '^ORDER +3 +100\.0%$'

# ---- help: the program and every subcommand, exit 0 on stdout ---------------
for args in "--help" "-h" "validate --help" "info --help" "convert --help" \
    "validate -h" "info -h" "convert -h"; do
  # shellcheck disable=SC2086
  run $args
  expect_code 0
  expect_line "$out" "Usage: churnkit"
  checks=$((checks + 1))
  [[ ! -s $err ]] || fail "help wrote to stderr"
done
run --help
for command in validate info convert; do
  expect_regex "$out" "^  $command +[A-Z]"
done
run --version
expect_code 0
expect_regex "$out" '^churnkit [0-9]+\.[0-9]+\.[0-9]+$'
run convert --help
expect_line "$out" "--to csv|jsonl|pb"
expect_line "$out" "--out PATH"

# ---- usage errors: exit 2 with a message on stderr ---------------------------
run
expect_code 2
run frobnicate
expect_code 2
expect_line "$err" "churnkit: unknown command 'frobnicate'"
run --frobnicate
expect_code 2
expect_line "$err" "churnkit: unknown option '--frobnicate'"
run validate --frobnicate "$data"
expect_code 2
expect_line "$err" "churnkit validate: unknown option '--frobnicate'"
expect_line "$err" "Run 'churnkit validate --help' for usage."
run info --format xml "$data"
expect_code 2
expect_line "$err" "--format must be csv, jsonl or pb, got 'xml'"
run validate --max-errors 0 "$data"
expect_code 2
expect_line "$err" "--max-errors expects an integer"
run validate --max-errors
expect_code 2
expect_line "$err" "option '--max-errors' needs a value"
run validate --strict=yes "$data"
expect_code 2
expect_line "$err" "option '--strict' does not take a value"
run convert "$data" --out "$tmp/x.jsonl"
expect_code 2
expect_line "$err" "churnkit convert: missing --to"
run convert "$data" --to jsonl
expect_code 2
expect_line "$err" "churnkit convert: missing --out"

# ---- missing input: a clear error -------------------------------------------
run validate
expect_code 2
expect_line "$err" "churnkit validate: missing PATH"
run info "$tmp/no-such-dir"
expect_code 1
expect_line "$err" "churnkit info: error: $tmp/no-such-dir: no such file or directory"
run validate --load-options "$tmp/no-such.textproto" "$data"
expect_code 1
expect_line "$err" "churnkit validate: error: --load-options: " "no-such.textproto"
mkdir "$tmp/empty"
run validate "$tmp/empty"
expect_code 1
expect_line "$err" "customers.csv"
expect_line "$err" "Result: FAILED (the data set could not be read)"

echo "cli_test: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
