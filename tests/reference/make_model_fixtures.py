#!/usr/bin/python3
"""Reference results of scikit-learn's LogisticRegression for model_test.

Writes tests/reference/model_fixtures.json: for each case, the objective,
intercept, coefficients (standardized units), support and in-sample metrics
(ROC-AUC, average precision, log-loss, Brier) of scikit-learn's fit, plus
calibration references. Only results are stored, never data: Telco is read
in place from ../shared/data (never copied), and the synthetic data are
regenerated bit-for-bit by the C++ test from the generator below.

Run with the system Python (it has numpy, pandas, scikit-learn):
    /usr/bin/python3 tests/reference/make_model_fixtures.py [SHARED_DATA_DIR]

Preprocessing of Telco-Customer-Churn.csv, mirrored by churnkit's
EncodeTable (tests/model_test.cc):
  * every cell is text, surrounding spaces trimmed;
  * customerID is the id and Churn the label ("Yes" = 1);
  * missing tokens: "", "NA", "N/A", "NaN", "null" (TotalCharges is blank for
    the 11 customers with tenure 0);
  * a column is numeric when every non-missing cell parses as a number
    (SeniorCitizen, tenure, MonthlyCharges, TotalCharges), else categorical,
    encoded as one 0/1 indicator per level, levels sorted, named
    "column=level" (all levels, or all but the first with drop-first);
  * a missing numeric value is replaced by the column's mean of the defined
    values (churnkit's MISSING_IMPUTE_MEAN);
  * every feature is standardized with its mean and population standard
    deviation (ddof = 0), as churnkit does; scikit-learn is then fitted on
    the standardized matrix, so both minimise the same objective
        C * sum_i w_i * logloss_i + R(beta)
    (R = 0.5 ||beta||^2 for L2, ||beta||_1 for L1,
    (1 - r)/2 ||beta||^2 + r ||beta||_1 for elastic-net), intercept unpenalized.
"""

import csv
import json
import math
import os
import sys

import numpy as np
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (average_precision_score, brier_score_loss,
                             log_loss, roc_auc_score)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MISSING = {"", "NA", "N/A", "NaN", "null"}
MASK = (1 << 64) - 1

# Columns of the L1 case: a full-rank subset (the full Telco encoding has
# duplicated "No internet service" indicators, for which the L1 solution is
# not unique).
TELCO_L1_COLUMNS = ["SeniorCitizen", "tenure", "MonthlyCharges",
                    "TotalCharges", "gender", "Partner", "Dependents",
                    "PhoneService", "PaperlessBilling", "Contract",
                    "PaymentMethod", "InternetService"]


# ---- The synthetic generator (mirrored in tests/model_test.cc) -------------

class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self):
        # Irwin-Hall: additions only, so both languages agree bit for bit.
        s = 0.0
        for _ in range(12):
            s += self.uniform()
        return s - 6.0


SYNTH_N = 3000
SYNTH_D = 8
SYNTH_BETA = [1.0, -0.5, 0.25, 0.0, 0.0, 0.8, -1.2, 0.0]
SYNTH_INTERCEPT = -0.5


def synthetic(seed=20240601):
    """Rows x_j = normal * (1 + j) + 10 j; label 1 when a uniform falls
    below sigmoid(intercept + sum_j beta_j * normal_j)."""
    rng = SplitMix64(seed)
    x = np.empty((SYNTH_N, SYNTH_D))
    y = np.empty(SYNTH_N, dtype=np.int64)
    for i in range(SYNTH_N):
        eta = SYNTH_INTERCEPT
        for j in range(SYNTH_D):
            z = rng.normal()
            x[i, j] = z * (1.0 + j) + 10.0 * j
            eta += SYNTH_BETA[j] * z
        y[i] = 1 if rng.uniform() < 1.0 / (1.0 + math.exp(-eta)) else 0
    names = ["x%d" % j for j in range(SYNTH_D)]
    return names, x, y


# ---- Telco -----------------------------------------------------------------

def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def telco(path, keep=None, drop_first=False):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    cells = [[c.strip() for c in r] for r in rows[1:]]
    label = header.index("Churn")
    ident = header.index("customerID")
    names, columns = [], []
    for c, name in enumerate(header):
        if c in (label, ident) or (keep is not None and name not in keep):
            continue
        values = [r[c] for r in cells]
        if all(v in MISSING or is_number(v) for v in values):
            col = np.array([np.nan if v in MISSING else float(v)
                            for v in values])
            col[np.isnan(col)] = np.nanmean(col)
            names.append(name)
            columns.append(col)
        else:
            levels = sorted({v for v in values if v not in MISSING})
            for level in levels[1 if drop_first else 0:]:
                names.append("%s=%s" % (name, level))
                columns.append(np.array([1.0 if v == level else 0.0
                                         for v in values]))
    y = np.array([1 if r[label] == "Yes" else 0 for r in cells])
    return names, np.column_stack(columns), y


# ---- Fitting -----------------------------------------------------------------

def standardize(x):
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    return (x - mean) / scale


def objective(z, y, w, coef, intercept, c, l2, l1):
    eta = intercept + z @ coef
    loss = np.sum(w * (np.logaddexp(0.0, eta) - y * eta))
    return c * loss + 0.5 * l2 * coef @ coef + l1 * np.abs(coef).sum()


def fit(names, x, y, c, penalty="l2", l1_ratio=None, class_weight=None):
    z = standardize(x)
    if penalty == "l2":
        # Two solvers; they must agree, and the lower objective is kept.
        fits = []
        for solver in ("newton-cholesky", "lbfgs"):
            m = LogisticRegression(C=c, penalty="l2", solver=solver,
                                   tol=1e-14, max_iter=100000,
                                   class_weight=class_weight)
            m.fit(z, y)
            fits.append(m)
        l2, l1 = 1.0, 0.0
    else:
        m = LogisticRegression(C=c, penalty=penalty, solver="saga",
                               l1_ratio=l1_ratio, tol=1e-13,
                               max_iter=1000000, class_weight=class_weight)
        m.fit(z, y)
        fits = [m]
        r = 1.0 if penalty == "l1" else l1_ratio
        l2, l1 = 1.0 - r, r
    w = np.ones(len(y))
    if class_weight == "balanced":
        counts = np.bincount(y)
        w = (len(y) / (2.0 * counts))[y]
    values = [objective(z, y, w, m.coef_.ravel(), m.intercept_[0], c, l2, l1)
              for m in fits]
    # lbfgs stops earlier than newton-cholesky (about 1e-9 relative on
    # Telco); both must agree to the tests' 1e-8.
    assert max(values) - min(values) <= 1e-8 * abs(min(values)), values
    best = fits[int(np.argmin(values))]
    coef, intercept = best.coef_.ravel(), best.intercept_[0]
    # Optimality check of the stored solution (max |(sub)gradient|).
    eta = intercept + z @ coef
    g = c * z.T @ (w * (1.0 / (1.0 + np.exp(-eta)) - y)) + l2 * coef
    g0 = c * np.sum(w * (1.0 / (1.0 + np.exp(-eta)) - y))
    sub = np.where(coef != 0, np.abs(g + l1 * np.sign(coef)),
                   np.maximum(np.abs(g) - l1, 0.0))
    p = 1.0 / (1.0 + np.exp(-eta))
    return {
        "columns": names,
        "rows": int(len(y)),
        "c": c,
        "penalty": penalty,
        "l1_ratio": l1_ratio if l1_ratio is not None else 0.0,
        "class_weight": class_weight or "",
        "objective": float(objective(z, y, w, coef, intercept, c, l2, l1)),
        "intercept": float(intercept),
        "coefficients": [float(v) for v in coef],
        "support": [int(j) for j in np.flatnonzero(coef)],
        "optimality": float(max(abs(g0), sub.max())),
        "roc_auc": float(roc_auc_score(y, p)),
        "average_precision": float(average_precision_score(y, p)),
        "log_loss": float(log_loss(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "solver": best.solver,
    }, p, y


def calibration(p, y):
    """sklearn's Platt fit and isotonic fit on in-sample log-odds."""
    logit = np.log(p / (1.0 - p))
    a, b = _sigmoid_calibration(logit, y)
    iso = IsotonicRegression(out_of_bounds="clip").fit(logit, y)
    probe = np.quantile(logit, np.linspace(0.0, 1.0, 21))
    return {
        "platt_a": float(a),
        "platt_b": float(b),
        "isotonic_probe": [float(v) for v in probe],
        "isotonic_values": [float(v) for v in iso.predict(probe)],
    }


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "..", "shared", "data")
    out = {}
    names, x, y = synthetic()
    out["synthetic_l2"], _, _ = fit(names, x, y, 0.1)
    out["synthetic_l2_balanced"], _, _ = fit(names, x, y, 0.1,
                                             class_weight="balanced")
    out["synthetic_l1"], _, _ = fit(names, x, y, 0.005, penalty="l1")
    out["synthetic_elastic_net"], _, _ = fit(names, x, y, 0.005,
                                             penalty="elasticnet",
                                             l1_ratio=0.5)
    path = os.path.join(shared, "telco", "Telco-Customer-Churn.csv")
    names, x, y = telco(path)
    out["telco_l2"], p, y = fit(names, x, y, 1.0)
    out["telco_calibration"] = calibration(p, y)
    out["telco_l2_strong"], _, _ = fit(names, x, y, 0.001)
    names, x, y = telco(path, keep=TELCO_L1_COLUMNS, drop_first=True)
    out["telco_l1"], _, _ = fit(names, x, y, 0.005, penalty="l1")
    with open(os.path.join(HERE, "model_fixtures.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    for k, v in out.items():
        if "objective" in v:
            print("%-24s objective %.12g  nonzero %d/%d  optimality %.2e" %
                  (k, v["objective"], len(v["support"]),
                   len(v["coefficients"]), v["optimality"]))


if __name__ == "__main__":
    main()
