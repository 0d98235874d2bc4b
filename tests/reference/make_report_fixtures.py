#!/usr/bin/python3
"""Independent reference figures for the churn report on the CDNOW master log.

Recomputes, with pandas and numpy only (no churnkit code), from
../shared/data/cdnow/CDNOW_master.txt (read in place, never copied):

  * passive-churn labels under an e-commerce rule: as of a date T, a
    customer who first ordered before T has churned when its last order
    before T is at least 180 days before T; the churn date is that last
    order + 180 days. A customer's signup is its first order (the log has no
    customer table). There is no active or hidden churn in this log.
  * the churn rate of each calendar month from 1997-02 to 1998-06 and of the
    year [1997-07-01, 1998-07-01): customers at the start = signed up before
    the start and not churned as of it; churned = those of them churned as
    of the end; rate = churned / at start x 100.
  * cohort retention by signup month as of 1998-07-01: the share of each
    cohort not churned as of each month end at or before it.
  * the Kaplan-Meier curve of customer lifetime as of 1998-07-01 (churned:
    churn date - signup; the others censored at 1998-07-01 - signup), with
    Greenwood variance, a 95% log(-log) band and the median lifetime.

Only the resulting numbers are stored, in cdnow_report_fixture.json next to
this script; tests/report_test.cc (CdnowReference) compares churnkit's
report with them. Run it again when the definitions above change:

  /usr/bin/python3 tests/reference/make_report_fixtures.py [SHARED_DATA_DIR]
"""

import json
import math
import os
import sys

import numpy as np
import pandas as pd

WINDOW = pd.Timedelta(days=180)
AS_OF = pd.Timestamp("1998-07-01")
TREND_START = pd.Timestamp("1997-02-01")
PERIOD_START = pd.Timestamp("1997-07-01")
Z95 = 1.959963984540054  # standard normal 97.5% quantile


def load(data_dir):
    path = os.path.join(data_dir, "cdnow", "CDNOW_master.txt")
    orders = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str})
    orders["date"] = pd.to_datetime(orders["date"].astype(str), format="%Y%m%d")
    return orders[["customer_id", "date"]]


def churn_state(orders, signup, t):
    """Per customer (index of `signup`): churned as of t, and the churn date."""
    last = orders[orders["date"] < t].groupby("customer_id")["date"].max()
    last = last.reindex(signup.index)
    churned = (signup < t) & (t - last >= WINDOW)
    return churned.fillna(False).astype(bool), last + WINDOW


def period(orders, signup, start, end):
    churned_start, _ = churn_state(orders, signup, start)
    churned_end, _ = churn_state(orders, signup, end)
    base = (signup < start) & ~churned_start
    n = int(base.sum())
    k = int((base & churned_end).sum())
    return {
        "start": start.strftime("%Y-%m-%d"),
        "end": end.strftime("%Y-%m-%d"),
        "customers_at_start": n,
        "churned": k,
        # null: no customers at the start, so no rate.
        "churn_rate": 100.0 * k / n if n else None,
    }


def cohorts(orders, signup):
    month = signup.dt.to_period("M")
    rows = []
    for cohort in sorted(month.unique()):
        members = month == cohort
        cells = []
        k = 0
        while True:
            t = (cohort + k + 1).to_timestamp()
            if t > AS_OF:
                break
            churned, _ = churn_state(orders, signup, t)
            retained = int((members & ~churned).sum())
            cells.append({"month": k, "retained": retained})
            k += 1
        rows.append({"cohort": str(cohort), "customers": int(members.sum()),
                     "cells": cells})
    return rows


def kaplan_meier(durations, events):
    order = np.argsort(durations, kind="stable")
    durations, events = durations[order], events[order]
    points = []
    s, greenwood = 1.0, 0.0
    median = None
    for t in np.unique(durations[events]):
        n = int((durations >= t).sum())
        d = int(((durations == t) & events).sum())
        if d < n:
            s *= (n - d) / n
            greenwood += d / (n * (n - d))
            sigma = math.sqrt(greenwood) / abs(math.log(s))
            lower = s ** math.exp(Z95 * sigma)
            upper = s ** math.exp(-Z95 * sigma)
            variance = s * s * greenwood
        else:
            s, variance, lower, upper = 0.0, 0.0, 0.0, 0.0
        points.append({"days": float(t), "at_risk": n, "churned": d,
                       "survival": s, "variance": variance,
                       "lower": lower, "upper": upper})
        if median is None and s <= 0.5:
            median = float(t)
    return {"customers": int(len(durations)), "churned": int(events.sum()),
            "censored": int((~events).sum()), "median_days": median,
            "points": points}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "..", "shared", "data")
    orders = load(data_dir)
    signup = orders.groupby("customer_id")["date"].min()

    months = pd.date_range(TREND_START, AS_OF, freq="MS")
    trend = [period(orders, signup, a, b) for a, b in zip(months, months[1:])]

    churned, churn_date = churn_state(orders, signup, AS_OF)
    until = churn_date.where(churned, AS_OF)
    durations = ((until - signup) / pd.Timedelta(days=1)).to_numpy(float)

    fixture = {
        "generated_by": "tests/reference/make_report_fixtures.py",
        "data": "cdnow/CDNOW_master.txt",
        "rule": "passive: no ORDER for 180 days (signup = first order)",
        "as_of": AS_OF.strftime("%Y-%m-%d"),
        "customers": int(len(signup)),
        "period": period(orders, signup, PERIOD_START, AS_OF),
        "trend": trend,
        "cohorts": cohorts(orders, signup),
        "survival": kaplan_meier(durations, churned.to_numpy(bool)),
    }
    out = os.path.join(here, "cdnow_report_fixture.json")
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(trend)} months, "
          f"{len(fixture['survival']['points'])} survival points")


if __name__ == "__main__":
    main()
