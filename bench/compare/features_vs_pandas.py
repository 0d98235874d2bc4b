#!/usr/bin/env python3
"""Feature extraction: churnkit vs the equivalent pandas groupby pipeline.

In one run, on the same synthetic events CSV (bench/make_events_csv), times
  - churnkit: FeatureEngine::Compute of bench/compare/features_subset.textproto
    (bench/features_file, loading excluded, 1 and 2 threads), and
  - pandas: the same ten features as boolean masks + groupby aggregations on a
    DataFrame already in memory with parsed timestamps (loading excluded),
checks that both give the same values, and prints the ratio.

Usage: /usr/bin/python3 bench/compare/features_vs_pandas.py [--events N]
       [--customers N] [--runs N] [--build-dir DIR] [--data-dir DIR]
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
AS_OF = "2025-01-01"


def pandas_features(ev, customers, as_of):
    """The ten features of features_subset.textproto with pandas."""
    before = ev[ev["time"] < as_of]
    age = (as_of - before["time"]).dt.total_seconds() / 86400.0
    kind = before["kind"]
    cid = before["customer_id"]
    out = pd.DataFrame(index=customers)

    def count(mask):
        return mask.groupby(cid).sum()

    out["logins_30d"] = count((kind == "LOGIN") & (age <= 30))
    out["interactions_30d"] = count((kind == "INTERACTION") & (age <= 30))
    out["orders_90d"] = count((kind == "ORDER") & (age <= 90))
    order90 = (kind == "ORDER") & (age <= 90)
    out["order_value_90d"] = before["amount"].where(order90, 0.0).groupby(cid).sum()
    tick = (kind == "TICKET") & (before["subtype"] == "TICKET_OPENED") & (age <= 90)
    out["tickets_90d"] = count(tick)
    out["ticket_hours_90d"] = before["value"][tick].groupby(cid[tick]).mean()
    feat = (kind == "FEATURE_USE") & (age <= 90) & (before["key"] != "")
    out["features_used_90d"] = before["key"][feat].groupby(cid[feat]).nunique()
    login = kind == "LOGIN"
    out["days_since_login"] = age[login].groupby(cid[login]).min()
    order = kind == "ORDER"
    out["days_since_order"] = age[order].groupby(cid[order]).min()
    recent = count(login & (age <= 30)) / 30.0
    base = count(login & (age > 30) & (age <= 120)) / 90.0
    change = recent.reindex(customers, fill_value=0) / base.reindex(customers, fill_value=0) - 1
    out["logins_change_30d"] = change.where(base.reindex(customers, fill_value=0) > 0)
    zero_fill = ["logins_30d", "interactions_30d", "orders_90d", "order_value_90d",
                 "tickets_90d", "features_used_90d"]
    out[zero_fill] = out[zero_fill].fillna(0)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--data-dir", default="")
    args = ap.parse_args()

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="churnkit_features_cmp_")
    subprocess.run([os.path.join(args.build_dir, "bench", "make_events_csv"),
                    "--out", data_dir, "--events", str(args.events),
                    "--customers", str(args.customers), "--formats", "csv"],
                   check=True)
    csv_dir = os.path.join(data_dir, "csv")
    config = os.path.join(ROOT, "bench", "compare", "features_subset.textproto")
    values = os.path.join(data_dir, "churnkit_values.csv")
    ck = {}
    for threads in (1, 2):
        out = subprocess.run(
            [os.path.join(args.build_dir, "bench", "features_file"), "--data", csv_dir,
             "--as-of", AS_OF, "--config", config, "--threads", str(threads),
             "--runs", str(args.runs), "--values", values],
            check=True, capture_output=True, text=True).stdout
        ck[threads] = json.loads(out)

    ev = pd.read_csv(os.path.join(csv_dir, "events.csv"),
                     usecols=["customer_id", "kind", "time", "subtype", "amount", "value", "key"],
                     dtype={"customer_id": str, "kind": str, "subtype": str, "key": str},
                     keep_default_na=False, na_values={"amount": [""], "value": [""]})
    ev["amount"] = ev["amount"].fillna(0.0)
    ev["value"] = ev["value"].fillna(0.0)
    ev["time"] = pd.to_datetime(ev["time"], utc=True)
    cust = pd.read_csv(os.path.join(csv_dir, "customers.csv"), dtype=str, keep_default_na=False)
    as_of = pd.Timestamp(AS_OF, tz="UTC")
    signup = pd.to_datetime(cust["signup_time"], utc=True)
    customers = cust["id"][signup < as_of].tolist()

    best = float("inf")
    for _ in range(args.runs):
        t0 = time.perf_counter()
        pdf = pandas_features(ev, customers, as_of)
        best = min(best, time.perf_counter() - t0)

    # Same numbers?
    ckv = pd.read_csv(values, dtype={"customer_id": str}).set_index("customer_id")
    pdf = pdf.loc[ckv.index, ckv.columns]
    a, b = ckv.to_numpy(dtype=float), pdf.to_numpy(dtype=float)
    same = np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
    worst = np.nanmax(np.abs(np.nan_to_num(a - b))) if a.size else 0.0

    n = ck[1]["events"]
    print(f"events: {n:,}  customers: {ck[1]['rows']:,}  features: {ck[1]['features']}  as of {AS_OF}")
    print(f"{'tool':<28}{'seconds':>10}{'M events/s':>12}{'vs pandas':>11}")
    print(f"{'pandas groupby (1 core)':<28}{best:>10.3f}{n / best / 1e6:>12.1f}{1.0:>10.2f}x")
    for t in (1, 2):
        s = ck[t]["seconds"]
        print(f"{'churnkit, ' + str(t) + ' thread(s)':<28}{s:>10.3f}{n / s / 1e6:>12.1f}{best / s:>10.2f}x")
    print(f"values identical (1e-9): {same}  (largest difference {worst:.3g})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
