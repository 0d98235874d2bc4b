#!/usr/bin/python3
"""How well could any detector find the generator's hidden churn? An oracle.

Hidden churners keep using the product at 30-60% of their level, so the
only evidence is a lower rate of events. This script gives a detector the
best possible help -- it is told *when* each hidden churner dropped (the
truth's signal onset and churn date) -- and measures how separable the
churners are from customers who never churned, with the most powerful
test of a rate drop there is for Poisson counts (the exact conditional
binomial test), and a z-test on summed session minutes / uses, which also
fall:

  * churners: events in the RECENT days after the churn date against the
    BASELINE days before the signal onset;
  * non-churners: the same geometry (the same gap between the windows) at a
    random date.

For each significance level it prints the share of churners flagged (TPR),
the share of non-churners flagged (FPR), and the precision a label would
have at the prevalence of hidden churners among the customers scored by
label_quality.py (about 1 in 20). No real detector can beat these figures:
it does not know the onset, and it must test every customer every week.

  /usr/bin/python3 bench/compare/hidden_oracle.py DATA [DATA...]

DATA: `churnkit generate` directories (with truth.csv).
"""

import argparse
import sys

import numpy as np
import pandas as pd
from scipy.stats import binom, norm

KINDS = ("LOGIN", "FEATURE_USE", "ORDER")
START = pd.Timestamp("2024-01-01", tz="UTC")


def day_index(times):
    return (pd.to_datetime(times.str[:10]).dt.tz_localize("UTC") - START).dt.days


def load(data):
    ev = pd.read_csv(f"{data}/events.csv",
                     usecols=["customer_id", "kind", "time", "value"])
    ev = ev[ev.kind.isin(KINDS)]
    cu = pd.read_csv(f"{data}/customers.csv", usecols=["id", "signup_time"])
    tr = pd.read_csv(f"{data}/truth.csv")
    ids = {c: i for i, c in enumerate(cu.id)}
    days = int(day_index(ev.time).max()) + 1
    who = ev.customer_id.map(ids).values
    when = day_index(ev.time).values
    counts = np.zeros((len(cu), days + 1))
    np.add.at(counts, (who, when), 1)
    minutes = np.zeros_like(counts)
    squares = np.zeros_like(counts)
    v = ev.value.fillna(1).clip(lower=0).values
    np.add.at(minutes, (who, when), v)
    np.add.at(squares, (who, when), v * v)
    sums = [np.concatenate([np.zeros((len(cu), 1)), np.cumsum(m, 1)], 1)
            for m in (counts, minutes, squares)]
    signup = day_index(cu.signup_time.astype(str)).values
    return tr, ids, sums, signup, days


def p_values(sums, i, recent_from, base_to, recent, baseline):
    c, s, q = sums
    r = slice(recent_from, recent_from + recent)
    b = slice(base_to - baseline, base_to)
    xr, xb = c[i, r.stop] - c[i, r.start], c[i, b.stop] - c[i, b.start]
    count_p = binom.cdf(xr, xr + xb, recent / (recent + baseline))
    sr, sb = s[i, r.stop] - s[i, r.start], s[i, b.stop] - s[i, b.start]
    vr, vb = q[i, r.stop] - q[i, r.start], q[i, b.stop] - q[i, b.start]
    sd = np.sqrt(vr / recent**2 + vb / baseline**2)
    sum_p = norm.cdf((sr / recent - sb / baseline) / sd) if sd > 0 else 1.0
    return count_p, sum_p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="+")
    ap.add_argument("--recent", type=int, default=90)
    ap.add_argument("--baseline", type=int, default=180)
    ap.add_argument("--prevalence", type=float, default=0.05)
    args = ap.parse_args()
    pos, neg = [], []
    rng = np.random.default_rng(1)
    for data in args.data:
        tr, ids, sums, signup, days = load(data)
        cd = day_index(tr.churn_date.fillna("").astype(str).replace("", "2099-01-01"))
        onset = day_index(tr.signal_onset.fillna("").astype(str).replace("", "2099-01-01"))
        hidden = (tr.churned == 1) & (tr.churn_type == "hidden") & \
            (onset - args.baseline >= 0) & (cd + args.recent <= days)
        gap = int(np.median(cd[hidden] - onset[hidden]))
        for c, a, b in zip(tr.customer_id[hidden], cd[hidden], onset[hidden]):
            pos.append(p_values(sums, ids[c], int(a), int(b), args.recent,
                                args.baseline))
        healthy = np.where((tr.churned == 0).values & (signup < 0))[0]
        for i in healthy:
            t = int(rng.integers(args.baseline, days - args.recent - gap))
            neg.append(p_values(sums, i, t + gap, t, args.recent, args.baseline))
    pos, neg = np.array(pos), np.array(neg)
    print(f"{len(pos)} hidden churners, {len(neg)} customers who never churned; "
          f"windows: {args.recent} days after the churn date against "
          f"{args.baseline} days before the onset")
    print("| test | level | TPR (recall) | FPR | precision at "
          f"{args.prevalence:.0%} prevalence |")
    print("|---|---:|---:|---:|---:|")
    for k, name in enumerate(("event count, exact binomial",
                              "minutes / uses, z-test")):
        for alpha in (0.001, 0.01, 0.05, 0.1):
            tpr = float((pos[:, k] < alpha).mean())
            fpr = float((neg[:, k] < alpha).mean())
            p = args.prevalence
            precision = tpr * p / (tpr * p + fpr * (1 - p)) if tpr + fpr else float("nan")
            print(f"| {name} | {alpha} | {tpr:.3f} | {fpr:.4f} | {precision:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
