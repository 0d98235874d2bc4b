#!/usr/bin/python3
"""How predictable is churn in a generated data set? (docs/generator.md)

Loads a data set written by `churnkit generate --format csv` (the five CSV
tables and truth.csv), computes a dozen simple point-in-time features as of
several cut-off dates (only events before the cut-off), labels each customer
still active at the cut-off with "churns within the next H days" from
truth.csv, fits a logistic regression on 70% of the customers and prints the
area under the ROC curve on the other 30%.

A realistic generator lands in a middle band (the project's target is
0.70-0.90): far above 0.5, since churners do show signals, but well below
0.99, since the signals are partial and noisy and healthy customers show
some of them too.

Usage (with the system Python, which has numpy, pandas and scikit-learn):
  /usr/bin/python3 bench/compare/generator_realism.py DIR [--horizon 90]
      [--cutoffs 2024-07-01,2024-10-01,...] [--seed 0]
"""

import argparse
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DAY = pd.Timedelta(days=1)


def load(data_dir):
    customers = pd.read_csv(f"{data_dir}/customers.csv",
                            parse_dates=["signup_time"])
    events = pd.read_csv(
        f"{data_dir}/events.csv",
        usecols=["customer_id", "kind", "time", "subtype", "amount", "value",
                 "complaint"],
        dtype={"kind": "category", "subtype": "category"})
    # Day precision is enough for these features ("2024-01-07T22:30:00Z"
    # and "2024-01-16" both become a day).
    events["time"] = pd.to_datetime(events["time"].str.slice(0, 10),
                                    format="%Y-%m-%d")
    truth = pd.read_csv(f"{data_dir}/truth.csv",
                        parse_dates=["churn_date"])
    return customers, events, truth


def window(events, cutoff, days):
    """Events in [cutoff - days, cutoff)."""
    t = events["time"]
    return events[(t >= cutoff - days * DAY) & (t < cutoff)]


def count(frame, index, mask=None):
    if mask is not None:
        frame = frame[mask]
    return frame.groupby("customer_id", observed=True).size().reindex(
        index, fill_value=0)


def features(customers, events, cutoff):
    """One row per customer: features from events before `cutoff` only."""
    ids = customers["id"]
    past = events[events["time"] < cutoff]
    w30, w90 = window(past, cutoff, 30), window(past, cutoff, 90)
    prior = past[(past["time"] >= cutoff - 120 * DAY) &
                 (past["time"] < cutoff - 30 * DAY)]
    usage_kinds = ["LOGIN", "FEATURE_USE", "ORDER"]
    f = pd.DataFrame(index=ids)
    f["usage_30d"] = count(w30, ids, w30["kind"].isin(usage_kinds))
    f["usage_prior_month"] = count(prior, ids,
                                   prior["kind"].isin(usage_kinds)) / 3.0
    f["usage_trend"] = np.log((f["usage_30d"] + 1) / (f["usage_prior_month"] + 1))
    # Depth of use: feature uses (the records' counts) and session minutes.
    def total(frame, kind):
        part = frame[frame["kind"] == kind]
        return part.groupby("customer_id", observed=True)["value"].sum(
        ).reindex(ids, fill_value=0)
    f["feature_uses_30d"] = total(w30, "FEATURE_USE")
    f["feature_uses_trend"] = np.log(
        (f["feature_uses_30d"] + 1) / (total(prior, "FEATURE_USE") / 3.0 + 1))
    f["session_minutes_trend"] = np.log(
        (total(w30, "LOGIN") + 10) / (total(prior, "LOGIN") / 3.0 + 10))
    active = past[past["kind"].isin(usage_kinds)]
    last = active.groupby("customer_id", observed=True)["time"].max()
    f["days_since_activity"] = ((cutoff - last.reindex(ids)) / DAY).fillna(
        365).clip(upper=365)
    f["interactions_30d"] = count(w30, ids, w30["kind"] == "INTERACTION")
    f["tickets_90d"] = count(w90, ids, w90["subtype"] == "TICKET_OPENED")
    f["complaints_90d"] = count(w90, ids, w90["complaint"] == 1)
    nps = past[past["subtype"] == "NPS"].sort_values("time")
    f["last_nps"] = nps.groupby("customer_id", observed=True)["value"].last(
    ).reindex(ids).fillna(nps["value"].median() if len(nps) else 7)
    f["price_pressure_90d"] = count(w90, ids,
                                    w90["kind"] == "PRICE_NEGOTIATION")
    f["competitor_90d"] = count(w90, ids, w90["kind"] == "COMPETITOR_SIGNAL")
    f["contact_left_90d"] = count(w90, ids, w90["subtype"] == "CONTACT_LEFT")
    f["reminders_rejected_90d"] = count(
        w90, ids, w90["subtype"] == "RENEWAL_REMINDER_REJECTED")
    paid = w90[w90["subtype"] == "PAYMENT_PAID"]
    f["days_late_90d"] = paid.groupby("customer_id",
                                      observed=True)["value"].mean().reindex(
                                          ids).fillna(0)
    f["log_annual_value"] = np.log1p(customers.set_index("id")["annual_value"])
    f["tenure_days"] = ((cutoff - customers.set_index("id")["signup_time"]) /
                        DAY).clip(lower=0)
    # Counts are skewed: the model sees log(1 + count).
    for c in f.columns:
        if c.endswith(("_30d", "_90d", "_month")) and c != "days_late_90d":
            f[c] = np.log1p(f[c])
    return f


def panel(customers, events, truth, cutoffs, horizon):
    truth = truth.set_index("customer_id")
    signup = customers.set_index("id")["signup_time"]
    rows = []
    for cutoff in cutoffs:
        f = features(customers, events, cutoff)
        churn = truth["churn_date"].reindex(f.index)
        # At risk: signed up before the cut-off and not churned yet.
        at_risk = (signup.reindex(f.index) < cutoff) & ~(churn < cutoff)
        f = f[at_risk.values].copy()
        churn = churn[at_risk.values]
        f["label"] = ((churn >= cutoff) &
                      (churn < cutoff + horizon * DAY)).astype(int).values
        f["cutoff"] = cutoff
        rows.append(f)
    return pd.concat(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--horizon", type=int, default=90,
                        help="label: churn within this many days")
    parser.add_argument("--cutoffs", default=None,
                        help="comma-separated ISO dates (default: every "
                        "quarter from the 7th month to the end minus the "
                        "horizon)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    customers, events, truth = load(args.data_dir)
    first, last = events["time"].min(), events["time"].max()
    if args.cutoffs:
        cutoffs = [pd.Timestamp(c) for c in args.cutoffs.split(",")]
    else:
        cutoffs = list(pd.date_range(first.normalize() + pd.DateOffset(months=6),
                                     last - args.horizon * DAY, freq="QS"))
    data = panel(customers, events, truth, cutoffs, args.horizon)

    # Split by customer so that no customer is in both sets.
    rng = np.random.default_rng(args.seed)
    ids = data.index.unique()
    test_ids = set(rng.choice(ids, size=int(0.3 * len(ids)), replace=False))
    is_test = data.index.isin(test_ids)
    columns = [c for c in data.columns if c not in ("label", "cutoff")]
    x = data[columns].to_numpy(dtype=float)
    y = data["label"].to_numpy()
    model = make_pipeline(StandardScaler(),
                          LogisticRegression(max_iter=2000, C=1.0))
    model.fit(x[~is_test], y[~is_test])
    auc = roc_auc_score(y[is_test], model.predict_proba(x[is_test])[:, 1])

    print(f"data set        {args.data_dir}: {len(customers)} customers, "
          f"{len(events)} events")
    print(f"cut-offs        {', '.join(c.date().isoformat() for c in cutoffs)}")
    print(f"horizon         churn within {args.horizon} days")
    print(f"rows            {len(data)} (train {int((~is_test).sum())}, "
          f"test {int(is_test.sum())}); positive rate {y.mean():.3f}")
    coefficients = model[-1].coef_[0]
    order = np.argsort(-np.abs(coefficients))
    print("coefficients    " + ", ".join(
        f"{columns[i]} {coefficients[i]:+.2f}" for i in order[:6]))
    print(f"held-out AUC    {auc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
