#!/usr/bin/env python3
"""Segmentation: churnkit vs the equivalent pandas pipeline, in one run.

bench/segment_bench --export DIR builds the synthetic data set (1M customers
by default, 0..6 orders each in 2024), writes it to DIR/orders.csv and
DIR/risk.csv, runs churnkit's Segment() once on the in-memory data set and
prints its time and figures. This script then does the same work in pandas
on DataFrames already in memory (loading excluded on both sides):
  - revenue per customer over the 365 days before 2025-01-01 (groupby sum),
  - Pareto tiers: sort by value, cumulative share before each tie group,
    A < 80%, B < 95%, else C (ties never split, value 0 is C),
  - the value x risk matrix: tier A = high value, p >= 0.5 = high risk,
    revenue at risk = value x p, quadrant counts,
checks that both give the same sums and counts, and prints the ratio.
churnkit's time also covers labelling every customer (active-only
definition), which pandas skips.

Usage: /usr/bin/python3 bench/compare/segment_vs_pandas.py [--customers N]
       [--runs N] [--build-dir DIR] [--data-dir DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
END = pd.Timestamp("2025-01-01").value // 10**9
START = END - 365 * 86400  # value.window_days = 365 (2024 is a leap year)


def pandas_segment(orders, risk):
    w = orders[(orders.time >= START) & (orders.time < END)]
    value = w.groupby("customer_id", sort=False).amount.sum()
    df = risk.join(value.rename("value"), on="customer_id")
    df["value"] = df["value"].fillna(0.0)
    # Ties: every customer of a value group starts where the group starts.
    df = df.sort_values(["value"], ascending=False, kind="stable")
    total = df.value.sum()
    cum = df.value.cumsum() - df.value
    first_cum = cum.groupby(df.value, sort=False).transform("min")
    tol = 1 - 1e-9
    tier = np.where(df.value <= 0, "C",
                    np.where(first_cum < 0.80 * total * tol, "A",
                             np.where(first_cum < 0.95 * total * tol, "B", "C")))
    df["tier"] = tier
    high_value = df.tier == "A"
    high_risk = df.p >= 0.5
    df["at_risk"] = df.value * df.p
    quadrants = [int((high_value & high_risk).sum()),
                 int((~high_value & high_risk).sum()),
                 int((high_value & ~high_risk).sum()),
                 int((~high_value & ~high_risk).sum())]
    tiers = [int((df.tier == t).sum()) for t in "ABC"]
    return {"value": float(total), "tiers": tiers, "quadrants": quadrants,
            "revenue_at_risk": float(df.at_risk.sum())}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=1000000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build", "bench"))
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    exe = os.path.join(args.build_dir, "bench", "segment_bench")
    data = args.data_dir or tempfile.mkdtemp(prefix="ck_segment_")
    env = dict(os.environ, CHURNKIT_BENCH_CUSTOMERS=str(args.customers))
    ck_runs = []
    for _ in range(args.runs):
        out = subprocess.run([exe, "--export", data], env=env, check=True,
                             capture_output=True, text=True).stdout
        ck_runs.append(json.loads(out))
    ck = min(ck_runs, key=lambda r: r["seconds"])

    orders = pd.read_csv(os.path.join(data, "orders.csv"))
    risk = pd.read_csv(os.path.join(data, "risk.csv"))
    pd_times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        res = pandas_segment(orders, risk)
        pd_times.append(time.perf_counter() - t)
    pd_best = min(pd_times)

    ok = (ck["tiers"] == res["tiers"] and ck["quadrants"] == res["quadrants"]
          and abs(ck["value"] - res["value"]) <= 1e-6 * max(1, res["value"])
          and abs(ck["revenue_at_risk"] - res["revenue_at_risk"])
          <= 1e-6 * max(1, res["revenue_at_risk"]))
    print(f"customers           {ck['customers']:,}")
    print(f"orders              {len(orders):,}")
    print(f"churnkit Segment()  {ck['seconds']:.3f} s (best of {args.runs})")
    print(f"pandas              {pd_best:.3f} s (best of {args.runs})")
    print(f"ratio pandas/churnkit {pd_best / ck['seconds']:.2f}x")
    print(f"tiers A/B/C         churnkit {ck['tiers']}  pandas {res['tiers']}")
    print(f"quadrants           churnkit {ck['quadrants']}  pandas {res['quadrants']}")
    print(f"value sum           churnkit {ck['value']:.2f}  pandas {res['value']:.2f}")
    print("results match" if ok else "RESULTS DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
