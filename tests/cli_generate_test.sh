#!/usr/bin/env bash
# End-to-end test of `churnkit generate` (docs/generator.md).
#
# Usage: cli_generate_test.sh CHURNKIT_BINARY
#
# Registered with ctest by tools/CMakeLists.txt. Every check prints what it
# expected and what it got when it fails; the script exits 1 if any failed.
set -u

if [[ $# -ne 1 ]]; then
  echo "usage: $0 CHURNKIT_BINARY" >&2
  exit 2
fi
ck=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

expect_file() {
  checks=$((checks + 1))
  [[ -f $1 ]] || fail "missing file $1"
}

expect_no_file() {
  checks=$((checks + 1))
  [[ ! -e $1 ]] || fail "unexpected file $1"
}

expect_same() {  # expect_same FILE1 FILE2
  checks=$((checks + 1))
  cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# ---- help and usage errors ---------------------------------------------------
run generate --help
expect_code 0
expect_line "$out" "Usage: churnkit generate [options]"
for option in "--customers N" "--seed S" "--start YYYY-MM-DD" \
    "--end YYYY-MM-DD" "--out DIR" "--format csv|jsonl|pb" "--config FILE" \
    "--threads N" "--print-config" "--quiet"; do
  expect_line "$out" "  $option"
done

run --help
expect_code 0
expect_regex "$out" '^  generate +Generate a realistic synthetic CRM history'

run generate --customers 10
expect_code 2
expect_line "$err" "churnkit generate: missing --out"

run generate --out "$tmp/x" --format xml
expect_code 2
expect_line "$err" "--format must be csv, jsonl or pb, got 'xml'"

run generate --out "$tmp/x" --start 2024-02-30
expect_code 2
expect_line "$err" "--start expects a date YYYY-MM-DD, got '2024-02-30'"

run generate --out "$tmp/x" --customers 0
expect_code 2
expect_line "$err" "--customers expects an integer in [1, 1000000000], got '0'"

run generate --out "$tmp/x" --seed -4
expect_code 2
expect_line "$err" "--seed expects an unsigned integer, got '-4'"

run generate --out "$tmp/x" --start 2025-01-01 --end 2024-12-31
expect_code 2
expect_line "$err" "invalid generator config: end_date: 2024-12-31 is not after start_date 2025-01-01"
expect_no_file "$tmp/x"

printf 'industries { name: "saas" share: 0.5 }\nindustries { name: "ecommerce" share: 0.4 }\n' \
  >"$tmp/bad.textproto"
run generate --out "$tmp/x" --config "$tmp/bad.textproto"
expect_code 2
expect_line "$err" "invalid generator config: industries: shares sum to 0.9, must be 1"

run generate --out "$tmp/x" --config "$tmp/no_such.textproto"
expect_code 1
expect_line "$err" "churnkit generate: error:" "no_such.textproto"

# ---- a CSV data set: valid, complete, every event kind ------------------------
run generate --customers 200 --seed 3 --start 2024-01-01 --end 2024-12-31 \
  --out "$tmp/csv"
expect_code 0
expect_regex "$out" '^Generated 200 customers, [0-9,]+ events, [0-9,]+ contacts, [0-9,]+ contracts and [0-9]+ owners$'
expect_line "$out" "into $tmp/csv (csv) in "
expect_line "$out" "Period 2024-01-01 .. 2024-12-31, seed 3"
expect_regex "$out" '^Churned in the period: [0-9,]+ of 200 \([0-9.]+%\): active [0-9,]+ \([0-9.]+%\), passive [0-9,]+ \([0-9.]+%\), hidden [0-9,]+ \([0-9.]+%\)$'
expect_line "$out" "Ground truth: $tmp/csv/truth.csv (not part of the events)"
for f in customers.csv events.csv contacts.csv contracts.csv owners.csv \
    truth.csv generator_config.textproto; do
  expect_file "$tmp/csv/$f"
done
expect_no_line "$err" "customers ("  # no progress for a small run
expect_line "$tmp/csv/generator_config.textproto" "customers: 200"
expect_line "$tmp/csv/truth.csv" "customer_id,churned,churn_type,churn_date,reason,signal_onset,latent_hazard"

run validate --strict "$tmp/csv"
expect_code 0
expect_line "$out" "No errors."

run info "$tmp/csv"
expect_code 0
expect_regex "$out" '^Customers +200$'
for kind in INTERACTION LOGIN FEATURE_USE ORDER TICKET SURVEY PAYMENT \
    CONTACT_CHANGE CONTRACT CANCELLATION PRICE_NEGOTIATION COMPETITOR_SIGNAL \
    INTERVENTION MARKETING WEB_SIGNAL OWNER_CHANGE OPPORTUNITY \
    TRAINING_REQUEST; do
  expect_regex "$out" "^$kind +[0-9,]+ +[0-9.]+%$"
done
grep -v -e '^Data set' -e '^Memory' "$out" >"$tmp/info.csv"

# ---- determinism: same seed, same bytes (any thread count); other seed -------
run generate --customers 200 --seed 3 --start 2024-01-01 --end 2024-12-31 \
  --out "$tmp/csv2" --threads 1
expect_code 0
for f in customers.csv events.csv contacts.csv contracts.csv owners.csv \
    truth.csv; do
  expect_same "$tmp/csv/$f" "$tmp/csv2/$f"
done
run generate --customers 200 --seed 4 --start 2024-01-01 --end 2024-12-31 \
  --out "$tmp/csv3"
expect_code 0
checks=$((checks + 1))
if cmp -s "$tmp/csv/events.csv" "$tmp/csv3/events.csv"; then
  fail "seeds 3 and 4 gave the same events"
fi

# ---- jsonl and pb: the same data set ---------------------------------------------
for format in jsonl pb; do
  run generate --customers 200 --seed 3 --start 2024-01-01 --end 2024-12-31 \
    --out "$tmp/$format" --format "$format"
  expect_code 0
  expect_file "$tmp/$format/records.$format"
  expect_file "$tmp/$format/truth.csv"
  expect_same "$tmp/csv/truth.csv" "$tmp/$format/truth.csv"
  run info "$tmp/$format/records.$format"
  expect_code 0
  grep -v -e '^Data set' -e '^Memory' "$out" >"$tmp/info.$format"
  expect_same "$tmp/info.csv" "$tmp/info.$format"
done

# ---- a config file, overridden by the command line ------------------------------
cat >"$tmp/shop.textproto" <<'EOF'
customers: 500
seed: 8
industries { name: "ecommerce" share: 1 }
churn { type_mix { passive: 1 } }
EOF
run generate --config "$tmp/shop.textproto" --customers 60 --out "$tmp/shop"
expect_code 0
expect_line "$out" "Generated 60 customers"
expect_line "$out" "seed 8"
expect_regex "$out" 'active 0 \(0\.0%\), passive [0-9]+ \(100\.0%\), hidden 0 \(0\.0%\)'
run info "$tmp/shop"
expect_regex "$out" '^ecommerce +60 +100\.0%$'
expect_regex "$out" '^Contracts +0$'

run generate --config "$tmp/shop.textproto" --print-config
expect_code 0
expect_line "$out" "customers: 500"
expect_line "$out" 'name: "ecommerce"'
expect_line "$out" "inactivity_window_days: 180"
expect_line "$out" 'start_date: "2024-01-01"'
expect_no_line "$out" 'name: "saas"'

# ---- progress on large runs, and --quiet ----------------------------------------
run generate --customers 50000 --start 2025-12-01 --end 2025-12-31 \
  --out "$tmp/big"
expect_code 0
expect_line "$err" "churnkit generate: 50,000 / 50,000 customers (100%)"
run generate --customers 50000 --start 2025-12-01 --end 2025-12-31 \
  --out "$tmp/big" --quiet
expect_code 0
checks=$((checks + 1))
[[ ! -s $err ]] || fail "--quiet still wrote to stderr"

# ---- unwritable output: an error, and no file that looks complete --------------
echo "a file" >"$tmp/plain"
run generate --customers 20 --out "$tmp/plain/sub"
expect_code 1
expect_line "$err" "churnkit generate: error:" "$tmp/plain/sub"
mkdir -p "$tmp/taken/events.csv"
run generate --customers 20 --out "$tmp/taken"
expect_code 1
expect_line "$err" "churnkit generate: error:"
expect_no_file "$tmp/taken/customers.csv"
expect_no_file "$tmp/taken/truth.csv"
expect_no_file "$tmp/taken/generator_config.textproto"
checks=$((checks + 1))
leftovers=$(find "$tmp/taken" -name '*.tmp-*')
[[ -z $leftovers ]] || fail "temporary files left: $leftovers"

echo "$checks checks, $failures failed"
[[ $failures -eq 0 ]]
