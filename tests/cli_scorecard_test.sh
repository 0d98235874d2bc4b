#!/usr/bin/env bash
# End-to-end test of `churnkit scorecard` (docs/scorecards.md): learn a
# scorecard on a small generated data set, feed it to `churnkit assess`,
# and learn one from a plain table.
# Usage: cli_scorecard_test.sh CHURNKIT_BINARY
set -uo pipefail
ck="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/cli_lib.sh"

# ---- help and usage errors -----------------------------------------------------
run scorecard --help
expect_code 0
expect_line "$out" "Usage: churnkit scorecard"
for option in "--dates D1,D2,..." "--horizon DAYS" "--test-from DATE" \
    "--label COLUMN" "--options FILE" "--binning auto|monotonic|quantile" "--out FILE" \
    "--assess-config FILE"; do
  expect_line "$out" "  $option"
done
run --help
expect_regex "$out" '^  scorecard +Learn a health scorecard from churn history'

run scorecard "$tmp"
expect_code 2
expect_line "$err" "--dates (panel mode) or --label (table mode) is required"
run scorecard x.csv y.csv --label y
expect_code 2
expect_line "$err" "table mode reads exactly one CSV PATH"
run scorecard x.csv --label y --dates 2024-01-01
expect_code 2
expect_line "$err" "give either --label (table mode) or --dates (panel mode)"
run scorecard x.csv --label y --assess-config a.textproto
expect_code 2
expect_line "$err" "--assess-config needs an event data set"
run scorecard "$tmp" --dates 2024-09-01 --binning zigzag
expect_code 2
expect_line "$err" "--binning must be auto, monotonic or quantile"
run scorecard "$tmp" --dates 2024-09-01 --max-bins 1
expect_code 2
printf 'pdo: -5\n' >"$tmp/bad.textproto"
run scorecard "$tmp" --dates 2024-09-01 --options "$tmp/bad.textproto"
expect_code 2
expect_line "$err" "pdo: must be > 0"

# ---- a generated data set --------------------------------------------------------
run generate --customers 1200 --seed 5 --start 2024-01-01 --end 2025-06-30 \
  --out "$tmp/data" --quiet
expect_code 0

run scorecard "$tmp/data" --dates 2024-09-01,2024-12-01,2025-03-01 \
  --horizon 90 --bins --out "$tmp/card.textproto" \
  --assess-config "$tmp/assess.textproto" --report "$tmp/report.textproto"
expect_code 0
expect_line "$out" "rows at 3 dates (2024-09-01, 2024-12-01, 2025-03-01), churn within 90 days"
expect_line "$out" "Holdout: rows as of 2025-03-01 and later"
expect_regex "$out" '^ROC-AUC of the total: train 0\.[6-9][0-9]+, holdout 0\.[6-9][0-9]+, cross-validated 0\.[6-9][0-9]+ \(5-fold on the training rows, folds 0\.[0-9]+ \.\. 0\.[0-9]+\)$'
expect_regex "$out" '^  Dimension +Feature +Bins +Trend +IV +AUC +Coef\. +Points$'
expect_regex "$out" '^Dropped [0-9]+ features: '
expect_line "$out" "Colours from history"
expect_regex "$out" '^  GREEN +>= \+[0-9]+ '
expect_line "$out" "churn rises with the value"
[[ -s $tmp/card.textproto ]] || fail "no scorecard written"
expect_line "$tmp/card.textproto" 'name: "learned_scorecard"'
expect_line "$tmp/card.textproto" "missing: true"
expect_line "$tmp/assess.textproto" "scorecard {"
expect_line "$tmp/report.textproto" "holdout_auc:"

# The learned scorecard runs in an assessment.
run assess "$tmp/data" --as-of 2025-06-01 --config "$tmp/assess.textproto"
expect_code 0
expect_regex "$out" '^Assessment as of 2025-06-01: [0-9,]+ customers'
expect_regex "$out" '^GREEN +[0-9,]+ '
run assess "$tmp/data" --as-of 2025-06-01 --config "$tmp/assess.textproto" \
  --output csv
expect_code 0
# The learned dimensions replace the Zoho ones in the CSV header.
expect_no_line "$out" "interaction_frequency"

# Quantile binning and a random holdout through --options.
printf 'binning: QUANTILE max_bins: 4 holdout_share: 0.2 seed: 3\n' \
  >"$tmp/q.textproto"
run scorecard "$tmp/data" --dates 2024-12-01,2025-03-01 \
  --options "$tmp/q.textproto"
expect_code 0
expect_no_line "$out" "Holdout: rows as of"
expect_regex "$out" '^ROC-AUC of the total: train 0\.[0-9]+, holdout 0\.[0-9]+, cross-validated '

# --test-from holds out every date from it on.
run scorecard "$tmp/data" --dates 2024-09-01,2024-12-01,2025-03-01 \
  --test-from 2024-12-01
expect_code 0
expect_line "$out" "Holdout: rows as of 2024-12-01 and later"

# ---- a plain table -----------------------------------------------------------------
awk 'BEGIN {
  print "id,plan,tenure,tickets,churned";
  for (i = 0; i < 600; i++) {
    u1 = ((i * 2654435761) % 4294967296) / 4294967296;
    u2 = ((i * 40503 + 12345) % 65536) / 65536;
    u3 = ((i * 69069 + 1) % 1000) / 1000;
    plan = ((i * 7 + 3) % 10 < 4) ? "monthly" : "annual";
    tenure = int(u1 * 60); tickets = int(u2 * 6);
    risk = tickets * 0.8 + (plan == "monthly" ? 1.5 : 0) - tenure / 15 - 1;
    print "c" i "," plan "," tenure "," tickets "," (u3 < 1 / (1 + exp(-risk)) ? "yes" : "no");
  }
}' >"$tmp/table.csv"
run scorecard "$tmp/table.csv" --label churned --id id \
  --out "$tmp/table_card.textproto"
expect_code 0
expect_line "$out" "table.csv: 600 customers, 4 columns"
expect_regex "$out" '^  tickets +tickets +[0-9]+ +(ascending|peak|valley) +0\.[0-9]+ +0\.[0-9]+ +-[0-9.]+ '
expect_line "$tmp/table_card.textproto" 'feature: "plan=monthly"'

# A label cell that is neither churned nor not (e.g. NaN) is an error.
printf 'id,x,churned\na,1,yes\nb,2,NaN\n' >"$tmp/nan.csv"
run scorecard "$tmp/nan.csv" --label churned
expect_code 1
expect_line "$err" "churned"

echo "$checks checks, $failures failures"
[[ $failures -eq 0 ]]
