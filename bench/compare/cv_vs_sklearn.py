#!/usr/bin/python3
"""churnkit's cross-validated churn model against scikit-learn's logistic
regression on the same folds (issue 14: "AUC equal to scikit-learn's
logistic regression on the same folds, +-0.002").

Tables (from ../shared/data, read in place):
  * Telco: one row per customer, the `Churn` label (Yes), numeric columns
    as they are (TotalCharges' blanks missing), text columns one-hot;
  * CDNOW: an RFM table of the first 39 weeks (x, t_x, T, T - t_x, zbar:
    cdnow_customers_summary_with_transactions.csv) labelled churned when the
    customer bought nothing in the 39 weeks after (CDNOW_sample.txt).

Both sides get the same matrix and the same stratified folds (scikit-learn's
StratifiedKFold, shuffled, seed 1). churnkit: `churnkit.Model.fit` with L2,
C = 1 and mean imputation (it standardizes with the training means and
scales, kept in the model); scikit-learn: mean imputation, StandardScaler
and LogisticRegression(C=1, tol=1e-10), each fitted on the training folds.
Prints, per table, the out-of-fold ROC-AUC of each and their difference,
pooled and per fold, as a Markdown table.

  CHURNKIT_LIBRARY=build/default/libchurnkit.so PYTHONPATH=python \\
      /usr/bin/python3 bench/compare/cv_vs_sklearn.py [--data ../shared/data]
"""

import argparse
import os

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import churnkit as ck


def telco(data_dir):
    df = pd.read_csv(os.path.join(data_dir, "telco", "Telco-Customer-Churn.csv"))
    y = (df.pop("Churn") == "Yes").astype(np.uint8).to_numpy()
    df = df.drop(columns=["customerID"])
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
    x = pd.get_dummies(df, dtype=np.float64)
    return x.astype(np.float64), y


def cdnow(data_dir):
    base = os.path.join(data_dir, "cdnow")
    rfm = pd.read_csv(
        os.path.join(base, "cdnow_customers_summary_with_transactions.csv"))
    # The summary's 2,357 customers are the sample's, numbered as in its
    # second column (the first is the master file's id).
    log = pd.read_csv(os.path.join(base, "CDNOW_sample.txt"), sep=r"\s+",
                      header=None, dtype=str,
                      names=["master_id", "customer_id", "date", "cds",
                             "dollars"])
    log["customer_id"] = log["customer_id"].astype(int)
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    end = pd.Timestamp("1997-01-01") + pd.Timedelta(weeks=39)
    later = set(log.loc[log["date"] >= end, "customer_id"])
    y = (~rfm["ID"].isin(later)).astype(np.uint8).to_numpy()
    x = pd.DataFrame({"x": rfm["x"], "t_x": rfm["t_x"], "T": rfm["T"],
                      "silence": rfm["T"] - rfm["t_x"], "zbar": rfm["zbar"]},
                     dtype=np.float64)
    return x, y


def compare(x, y, folds=5, seed=1):
    names = [str(c) for c in x.columns]
    values = np.ascontiguousarray(x.to_numpy(dtype=np.float64))
    ck_p = np.empty(len(y))
    sk_p = np.empty(len(y))
    per_fold = []
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in split.split(values, y):
        model = ck.Model.fit(values[train], y[train], columns=names,
                             options={"missing_values": "MISSING_IMPUTE_MEAN"})
        ck_p[test] = model.predict(np.ascontiguousarray(values[test]),
                                   columns=names)
        sk = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(),
                           LogisticRegression(C=1.0, tol=1e-10,
                                              max_iter=100000))
        sk.fit(values[train], y[train])
        sk_p[test] = sk.predict_proba(values[test])[:, 1]
        per_fold.append((roc_auc_score(y[test], ck_p[test]),
                         roc_auc_score(y[test], sk_p[test])))
    return roc_auc_score(y, ck_p), roc_auc_score(y, sk_p), per_fold


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
        "shared", "data"))
    args = ap.parse_args()
    print("| table | rows | churned | features | churnkit AUC | scikit-learn "
          "AUC | difference | largest fold difference |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, load in (("Telco", telco), ("CDNOW (RFM, 39 + 39 weeks)",
                                          cdnow)):
        x, y = load(args.data)
        a, b, folds = compare(x, y)
        worst = max(abs(f[0] - f[1]) for f in folds)
        print(f"| {name} | {len(y):,} | {int(y.sum()):,} | {x.shape[1]} | "
              f"{a:.4f} | {b:.4f} | {a - b:+.5f} | {worst:.5f} |")


if __name__ == "__main__":
    main()
