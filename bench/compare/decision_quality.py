#!/usr/bin/python3
"""Scores what the main job hands a customer-success team against the truth.

For a generated data set (a `churnkit generate` directory with truth.csv):
trains the churn model with the main job's recipe (features at six
quarterly dates, churn within 90 days, held out from the last date) and
learns the health scorecard from the same history (quantile bins; --zoho
keeps the shipped Zoho table), then assesses every customer as of that last
date with both, and scores the
assessment against truth.csv's churn in the following 90 days, among the
customers active then (signed up before it and not churned before it by the
truth):

  * the model's churn probability: ROC-AUC;
  * the health score (lower = riskier): ROC-AUC; the colour mix; churn per
    colour and RED's churn over GREEN's;
  * the alert stream: alerts per active customer, and the churn of alerted
    customers over the base rate.

  /usr/bin/python3 bench/compare/decision_quality.py --data /tmp/q303 \
      [--dates 2024-07-01,...,2025-10-01] [--config assess.textproto]

Prints a Markdown table per data set (docs/prediction.md and docs/health.md
record them).
"""

import argparse
import csv
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile

DATES = "2024-07-01,2024-10-01,2025-01-01,2025-04-01,2025-07-01,2025-10-01"


def auc(scores, labels):
    """ROC-AUC by the rank-sum formula, ties given half credit."""
    pairs = sorted(zip(scores, labels))
    rank, i, pos_ranks = 1, 0, 0.0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mean_rank = rank + (j - i - 1) / 2
        pos_ranks += mean_rank * sum(1 for k in range(i, j) if pairs[k][1])
        rank += j - i
        i = j
    n1 = sum(labels)
    n0 = len(labels) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return (pos_ranks - n1 * (n1 + 1) / 2) / (n1 * n0)


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--churnkit",
                    default=os.path.join(root, "build/default/tools/churnkit"))
    ap.add_argument("--data", action="append", required=True)
    ap.add_argument("--dates", default=DATES)
    ap.add_argument("--horizon", type=int, default=90)
    ap.add_argument("--config", default="", help="AssessmentConfig for assess")
    ap.add_argument("--binning", default="quantile",
                    help="the learned scorecard's binning (the main job's: "
                         "quantile)")
    ap.add_argument("--train-args", default="--panel-label at-end",
                    help="extra `churnkit train` flags, space-separated (the main "
                         "job's: --panel-label at-end)")
    main_job = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "configs", "scorecard",
                            "main_job.textproto")
    ap.add_argument("--scorecard-args",
                    default=f"--panel-label at-end --options {main_job}",
                    help="extra `churnkit scorecard` flags, space-separated "
                         "(the main job's: --panel-label at-end --options "
                         "configs/scorecard/main_job.textproto)")
    ap.add_argument("--red-share", default="0.05",
                    help="assess with this capacity share of RED (the main "
                         "job's: 0.05; '' for the scorecard's cut-offs)")
    ap.add_argument("--zoho", action="store_true",
                    help="assess with the shipped Zoho scorecard instead of "
                         "one learned from the data's history (the main job)")
    args = ap.parse_args()
    as_of = dt.date.fromisoformat(args.dates.split(",")[-1])
    end = as_of + dt.timedelta(days=args.horizon)
    print("| data | active | churned in 90 d | model AUC | health AUC | "
          "GREEN / YELLOW / RED | churn G / Y / R | RED/GREEN | "
          "alerts per active | alerted churn / base |")
    print("|---|---:|---:|---:|---:|---|---|---:|---:|---:|")
    for data in args.data:
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "model.pb")
            run([args.churnkit, "train", data, "--dates", args.dates,
                 "--horizon", str(args.horizon), "--out", model]
                + args.train_args.split())
            config = args.config
            if not config and not args.zoho:
                # The main job's recipe: a scorecard learned from the same
                # panel (quantile bins, churned-at-end labels as the model's),
                # held out from the last date.
                config = os.path.join(tmp, "assess.textproto")
                run([args.churnkit, "scorecard", data, "--dates", args.dates,
                     "--horizon", str(args.horizon), "--binning", args.binning,
                     "--assess-config", config] + args.scorecard_args.split())
            cmd = [args.churnkit, "assess", data, "--as-of", as_of.isoformat(),
                   "--model", model, "--output", "csv"]
            if config:
                cmd += ["--config", config]
            if args.red_share:
                cmd += ["--red-share", args.red_share]
            rows = list(csv.DictReader(io.StringIO(run(cmd))))
        truth = {r["customer_id"]: r for r in
                 csv.DictReader(open(os.path.join(data, "truth.csv")))}
        ys, probs, scores, colours, alerts = [], [], [], [], []
        for r in rows:
            t = truth[r["customer_id"]]
            date = dt.date.fromisoformat(t["churn_date"]) if t["churned"] == "1" else None
            if date is not None and date < as_of:
                continue  # not active at as_of
            ys.append(1 if date is not None and date < end else 0)
            probs.append(float(r["churn_probability"] or "nan"))
            scores.append(-float(r["score"]))
            colours.append(r["colour"])
            alerts.append(int(r["alerts"]))
        n, churned = len(ys), sum(ys)
        mix = {c: colours.count(c) for c in ("GREEN", "YELLOW", "RED")}
        rate = {c: (sum(y for y, k in zip(ys, colours) if k == c) / mix[c]
                    if mix[c] else float("nan")) for c in mix}
        alerted = [y for y, a in zip(ys, alerts) if a > 0]
        base = churned / n
        alerted_rate = sum(alerted) / len(alerted) if alerted else float("nan")
        print(f"| {os.path.basename(data)} | {n} | {churned} ({base:.1%}) | "
              f"{auc(probs, ys):.3f} | {auc(scores, ys):.3f} | "
              f"{mix['GREEN'] / n:.1%} / {mix['YELLOW'] / n:.1%} / {mix['RED'] / n:.1%} | "
              f"{rate['GREEN']:.1%} / {rate['YELLOW']:.1%} / {rate['RED']:.1%} | "
              f"{rate['RED'] / rate['GREEN'] if rate['GREEN'] else float('inf'):.2f} | "
              f"{sum(alerts) / n:.2f} | {alerted_rate / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
