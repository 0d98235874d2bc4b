#!/usr/bin/python3
"""Scores churnkit's churn labels against the generator's ground truth.

For each generated data set (a `churnkit generate` directory with its
truth.csv) and each as-of date T, runs `churnkit labels DATA --as-of T
--output csv` and compares the labels with truth.csv:

  * the population is the customers signed up before T, minus the true
    churners of the 90 days before T (no definition can tell them yet: a
    silent customer looks the same on day 10 of a 90-day window whatever
    happens next) -- `--leave-out` changes the 90;
  * truly churned at T: truth.churned == 1 and churn_date < T - leave-out;
  * "all": any label against any true churn; per type: labels of that type
    against true churners of that type.

Prints one row per data set, date and type, then the pooled figures, as a
Markdown table (docs/labels.md records it).

  /usr/bin/python3 bench/compare/label_quality.py \
      --churnkit build/default/tools/churnkit \
      --data /tmp/q303 --data /tmp/q404 --dates 2025-01-01,2025-07-01,2026-01-01

Data sets are made with `churnkit generate --customers 20000 --seed S
--out DIR`; state which seeds were used for tuning and which for scoring.
"""

import argparse
import csv
import datetime as dt
import io
import os
import subprocess
import sys

TYPES = ("active", "passive", "hidden")


def read_csv(path_or_text, text=False):
    handle = io.StringIO(path_or_text) if text else open(path_or_text, newline="")
    with handle:
        return list(csv.DictReader(handle))


def day(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def score(data, churnkit, as_of, leave_out_days, definition):
    truth = {r["customer_id"]: r for r in read_csv(f"{data}/truth.csv")}
    signup = {r["id"]: day(r["signup_time"])
              for r in read_csv(f"{data}/customers.csv")}
    cmd = [churnkit, "labels", data, "--as-of", as_of.isoformat(),
           "--output", "csv"]
    if definition:
        cmd += ["--definition", definition]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    labels = {r["customer_id"]: r for r in read_csv(out.stdout, text=True)}
    cut = as_of - dt.timedelta(days=leave_out_days)
    counts = {t: [0, 0, 0] for t in ("all",) + TYPES}  # tp, predicted, true
    population = 0
    for cid, t in truth.items():
        s = signup.get(cid)
        if s is not None and s >= as_of:
            continue
        churn_date = day(t["churn_date"]) if t["churned"] == "1" else None
        if churn_date is not None and cut <= churn_date < as_of:
            continue  # a churn of the last days: left out
        population += 1
        true_type = t["churn_type"] if churn_date is not None and churn_date < cut else None
        label = labels.get(cid)
        pred_type = label["type"] if label and label["churned"] == "1" else None
        for key in counts:
            p = pred_type is not None if key == "all" else pred_type == key
            y = true_type is not None if key == "all" else true_type == key
            counts[key][0] += p and y
            counts[key][1] += p
            counts[key][2] += y
    return population, counts


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--churnkit",
                    default=os.path.join(root, "build/default/tools/churnkit"))
    ap.add_argument("--data", action="append", required=True)
    ap.add_argument("--dates", default="2025-01-01,2025-07-01,2026-01-01")
    ap.add_argument("--leave-out", type=int, default=90)
    ap.add_argument("--definition", default="")
    args = ap.parse_args()
    dates = [dt.date.fromisoformat(d) for d in args.dates.split(",")]
    pooled = {t: [0, 0, 0] for t in ("all",) + TYPES}
    print("| data | as of | customers | type | labelled | true | precision | recall |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for data in args.data:
        for as_of in dates:
            population, counts = score(data, args.churnkit, as_of,
                                       args.leave_out, args.definition)
            for key, (tp, pred, true) in counts.items():
                for i, v in enumerate((tp, pred, true)):
                    pooled[key][i] += v
                print(f"| {data} | {as_of} | {population} | {key} | {pred} | "
                      f"{true} | {ratio(tp, pred):.3f} | {ratio(tp, true):.3f} |")
    for key, (tp, pred, true) in pooled.items():
        print(f"| pooled | | | {key} | {pred} | {true} | "
              f"{ratio(tp, pred):.3f} | {ratio(tp, true):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
