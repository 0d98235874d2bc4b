#!/usr/bin/python3
"""Independent reference figures for the churn report on the CDNOW master log.

Recomputes, with pandas and numpy only (no churnkit code), from
../shared/data/cdnow/CDNOW_master.txt (read in place, never copied), the
report as known at AS_OF = X = 1998-07-01 (only orders strictly before X),
under one passive rule, "no ORDER for 180 days" (no active or hidden churn
in this log). Churn is a sequence of episodes per customer:

  * signup: a customer's first order (the log has no customer table). A
    customer exists at t when its first order is before t. Observation
    starts at max(signup, the data set's first event) = the first order.
  * passive episodes: for consecutive distinct order times a_i < a_(i+1)
    of a customer (several orders at the same time count as one) with
    a_(i+1) - a_i >= 180 days, an episode that starts at a_i (detected at
    a_i + 180 days) and ends, by a return (reactivation), at a_(i+1). The
    final silence: when X - a_last >= 180 days, an open episode that starts
    at a_last (detected at a_last + 180 days). Times are to the second; the
    CDNOW dates are midnights.
  * churned at t (t <= X): some episode has start < t and is open or has
    end >= t (an episode covers (start, end]).
  * figures of a period [s, e):
      customers_at_start = existed at s and not churned at s;
      churned            = episodes with start in [s, e) (a customer may
                           count more than once);
      churned_customers  = distinct customers with an episode starting in
                           [s, e);
      reactivated        = episodes with end in [s, e);
      new_customers      = existed at e but not at s;
      customers_at_end   = existed at e and not churned at e;
      churn_rate         = 100 x (customers at start with an episode
                           starting in [s, e), each once) /
                           customers_at_start; null when that is 0.
    The accounting identity customers_at_start + new_customers +
    reactivated - churned = customers_at_end is asserted for every period.
    Figures are given for the year [1997-07-01, 1998-07-01) ("period") and
    for each calendar month from 1997-02 to 1998-06 ("trend").
  * cohort retention by signup month: cell k of the cohort of month M is as
    of t = the first day of month M+k+1, for every t <= X; retained = the
    cohort's customers not churned at t (as known at X, so a row may rise
    when customers return).
  * the Kaplan-Meier curve of the time to the first churn: duration = start
    of the customer's first episode - signup, in days (event), or, for a
    customer with no episode begun before X, X - signup (censored); with
    Greenwood variance, a 95% log(-log) band and the median (the first
    churn time where S <= 0.5).

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


def episodes_of(orders):
    """Passive episodes known at AS_OF: customer_id, start, end (NaT = open)."""
    known = orders[orders["date"] < AS_OF]
    times = (known.drop_duplicates(["customer_id", "date"])
             .sort_values(["customer_id", "date"]).reset_index(drop=True))
    times["next"] = times.groupby("customer_id")["date"].shift(-1)
    gap_ends = times["next"].notna() & (times["next"] - times["date"] >= WINDOW)
    silent = times["next"].isna() & (AS_OF - times["date"] >= WINDOW)
    episodes = times[gap_ends | silent].rename(
        columns={"date": "start", "next": "end"})
    return episodes[["customer_id", "start", "end"]].reset_index(drop=True)


def churned_at(episodes, signup, t):
    """Per customer (index of `signup`): churned at t."""
    covering = (episodes["start"] < t) & (
        episodes["end"].isna() | (episodes["end"] >= t))
    ids = episodes.loc[covering, "customer_id"]
    # Episodes of one customer never overlap, so at most one covers t.
    assert not ids.duplicated().any()
    return pd.Series(signup.index.isin(ids), index=signup.index)


def period(episodes, signup, start, end):
    existed_start = signup < start
    existed_end = signup < end
    base = existed_start & ~churned_at(episodes, signup, start)
    at_end = existed_end & ~churned_at(episodes, signup, end)
    began = episodes[(episodes["start"] >= start) & (episodes["start"] < end)]
    ended = episodes["end"].notna() & (episodes["end"] >= start) & (
        episodes["end"] < end)
    churned_ids = pd.Index(began["customer_id"].unique())
    n = int(base.sum())
    k = int((base & signup.index.isin(churned_ids)).sum())
    figures = {
        "start": start.strftime("%Y-%m-%d"),
        "end": end.strftime("%Y-%m-%d"),
        "customers_at_start": n,
        "churned": int(len(began)),
        # null: no customers at the start, so no rate.
        "churn_rate": 100.0 * k / n if n else None,
        "churned_customers": int(len(churned_ids)),
        "reactivated": int(ended.sum()),
        "new_customers": int((existed_end & ~existed_start).sum()),
        "customers_at_end": int(at_end.sum()),
    }
    assert (figures["customers_at_start"] + figures["new_customers"] +
            figures["reactivated"] - figures["churned"] ==
            figures["customers_at_end"]), figures
    return figures


def cohorts(episodes, signup):
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
            churned = churned_at(episodes, signup, t)
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
    signup = orders[orders["date"] < AS_OF].groupby("customer_id")["date"].min()
    episodes = episodes_of(orders)

    months = pd.date_range(TREND_START, AS_OF, freq="MS")
    trend = [period(episodes, signup, a, b) for a, b in zip(months, months[1:])]

    first = episodes.groupby("customer_id")["start"].min().reindex(signup.index)
    event = first.notna() & (first < AS_OF)
    until = first.where(event, AS_OF)
    durations = ((until - signup) / pd.Timedelta(days=1)).to_numpy(float)

    fixture = {
        "generated_by": "tests/reference/make_report_fixtures.py",
        "data": "cdnow/CDNOW_master.txt",
        "rule": "passive: no ORDER for 180 days (signup = first order); "
                "churn as episodes",
        "as_of": AS_OF.strftime("%Y-%m-%d"),
        "customers": int(len(signup)),
        "period": period(episodes, signup, PERIOD_START, AS_OF),
        "trend": trend,
        "cohorts": cohorts(episodes, signup),
        "survival": kaplan_meier(durations, event.to_numpy(bool)),
    }
    out = os.path.join(here, "cdnow_report_fixture.json")
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(trend)} months, {len(episodes)} episodes, "
          f"{len(fixture['survival']['points'])} survival points")


if __name__ == "__main__":
    main()
