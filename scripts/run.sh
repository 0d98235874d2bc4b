#!/usr/bin/env bash
# README command 1, the main job: installs dependencies, builds churnkit,
# generates the default data set -- 20,000 customers of a CRM vendor over
# 2024-2025, with churners, warning signals and A/B-tested retention offers
# (docs/generator.md) -- into build/data, then ingests it and prints the
# validation report, the data set summary, the 2025 churn report by tier,
# industry, region and product (and by type, reason and lifecycle stage);
# then it trains the churn model on a training panel
# (features at six quarterly dates, churn within 90 days; fitted on the
# first five, held-out AUC, lift and the riskiest customers' reasons on
# the last), learns the health scorecard from the same history (the
# "historical data method") and prints the assessment as of the day after
# the data ends with it and the model's churn probability (customers by health colour, alerts
# by level, tasks by type, the customers most at risk and why), the value
# x risk segmentation (the 2x2 matrix with its strategies, A/B/C tiers,
# whom to save first, the churn-reason matrix) and the A/B tests of the
# retention offers; last it writes the HTML churn report a customer-success
# team reads (build/report.html, from the Python package: docs/report.md)
# and prints its path. The data is generated once:
# it is reused while build/data holds a finished run of the same config
# and churnkit version. Extra arguments go to `churnkit validate`.
# (examples/data, the small hand-written export, stays the tests' input.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default >&2
churnkit=build/default/tools/churnkit
data=build/data
generate=(--customers 20000 --seed 20240101 --start 2024-01-01 --end 2025-12-31)

# A finished run leaves generator_config.textproto (the resolved config);
# the stamp adds the version of the program that made it.
expected=$({ "$churnkit" --version; "$churnkit" generate "${generate[@]}" --print-config; })
stamp=$data/.generated_by
actual=$({ cat "$stamp" 2>/dev/null; cat "$data/generator_config.textproto" 2>/dev/null; } || true)
if [[ "$expected" == "$actual" ]]; then
  echo "== $data is up to date (churnkit generate ${generate[*]})"
else
  echo "== churnkit generate ${generate[*]} --out $data"
  rm -f "$stamp"
  "$churnkit" generate "${generate[@]}" --out "$data"
  "$churnkit" --version >"$stamp"
fi
echo
echo "== churnkit validate $data"
"$churnkit" validate "$data" "$@"
echo
echo "== churnkit info $data"
"$churnkit" info "$data"
echo
echo "== churnkit report $data --from 2025-01-01 --to 2026-01-01 --by tier,industry,region,product"
"$churnkit" report "$data" --from 2025-01-01 --to 2026-01-01 --by tier,industry,region,product
echo
dates=2024-07-01,2024-10-01,2025-01-01,2025-04-01,2025-07-01,2025-10-01
echo "== churnkit train $data --dates $dates --horizon 90 --panel-label at-end --out $data/model.pb"
"$churnkit" train "$data" --dates "$dates" --horizon 90 --panel-label at-end \
  --out "$data/model.pb"
echo
echo "== churnkit scorecard $data --dates $dates --horizon 90 --panel-label at-end --options configs/scorecard/main_job.textproto --assess-config $data/assess.textproto"
"$churnkit" scorecard "$data" --dates "$dates" --horizon 90 --panel-label at-end \
  --options configs/scorecard/main_job.textproto --assess-config "$data/assess.textproto"
echo
echo "== churnkit assess $data --as-of 2026-01-01 --config $data/assess.textproto --model $data/model.pb --red-share 0.05 --backtest 90"
"$churnkit" assess "$data" --as-of 2026-01-01 --config "$data/assess.textproto" \
  --red-share 0.05 --backtest 90 \
  --model "$data/model.pb"
echo
echo "== churnkit segment $data --as-of 2026-01-01 --model $data/model.pb"
"$churnkit" segment "$data" --as-of 2026-01-01 --model "$data/model.pb"
echo
echo "== churnkit abtest $data --as-of 2026-01-01"
"$churnkit" abtest "$data" --as-of 2026-01-01
echo
echo "== python3 -m churnkit report $data --as-of 2026-01-01 --html build/report.html --model $data/model.pb --assess-config $data/assess.textproto"
PYTHONPATH=python CHURNKIT_LIBRARY=build/default/libchurnkit.so \
  /usr/bin/python3 -m churnkit report "$data" --as-of 2026-01-01 \
  --html build/report.html --model "$data/model.pb" \
  --assess-config "$data/assess.textproto"
