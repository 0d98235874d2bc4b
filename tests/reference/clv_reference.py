#!/usr/bin/python3
"""Reference numbers for tests/clv_test.cc: tests/reference/clv_fixtures.json.

The `lifetimes` package is not installable here, so its formulas
(BetaGeoFitter._negative_log_likelihood, GammaGammaFitter's, the
conditional expectations) are written out in numpy / scipy below, and its
fit (log-parameters, times scaled by 10 / max(T), start at all ones) is
redone with scipy.optimize.minimize. Run from the project root with
/usr/bin/python3 (apt's numpy 1.24 / scipy 1.10):

  /usr/bin/python3 tests/reference/clv_reference.py [SHARED_DATA_DIR]

SHARED_DATA_DIR defaults to ../shared/data. Only numbers are stored.
"""
import json
import os
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1


def bgnbd_ll(params, x, tx, T):
    """Per-customer log-likelihood, lifetimes' BetaGeoFitter formula."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.where(x == 0, 1, x) - 1) - (r + x) * np.log(
        tx + alpha)
    m = np.maximum(a3, a4)
    return a1 + a2 + np.log(np.exp(a3 - m) + np.exp(a4 - m) * (x > 0)) + m


def gg_ll(params, x, m):
    """Per-customer log-likelihood, lifetimes' GammaGammaFitter formula."""
    p, q, v = params
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) +
            (p * x - 1) * np.log(m) + (p * x) * np.log(x) -
            (p * x + q) * np.log(x * m + v))


def fit_bgnbd(x, tx, T, penalizer=0.0):
    scale = 10.0 / T.max()
    stx, sT = tx * scale, T * scale

    def objective(u):
        params = np.exp(u)
        return -bgnbd_ll(params, x, stx, sT).mean() + penalizer * np.sum(
            params**2)

    res = minimize(objective, np.zeros(4), method="Nelder-Mead",
                   options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 20000,
                            "maxfev": 40000})
    res = minimize(objective, res.x, method="BFGS", options={"gtol": 1e-10})
    params = np.exp(res.x)
    params[1] /= scale
    return params


def fit_gg(x, m, penalizer=0.0):
    def objective(u):
        params = np.exp(u)
        return -gg_ll(params, x, m).mean() + penalizer * np.sum(params**2)

    res = minimize(objective, np.zeros(3), method="Nelder-Mead",
                   options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 20000,
                            "maxfev": 40000})
    res = minimize(objective, res.x, method="BFGS", options={"gtol": 1e-10})
    return np.exp(res.x)


def expected_purchases(params, t, x, tx, T):
    """lifetimes' conditional_expected_number_of_purchases_up_to_time."""
    r, alpha, a, b = params
    _a, _b, _c = r + x, b + x, a + b + x - 1
    z = t / (alpha + T + t)
    ln_hyp = np.log(hyp2f1(_a, _b, _c, z))
    first = (a + b + x - 1) / (a - 1)
    second = 1 - np.exp(ln_hyp + (r + x) * np.log((alpha + T) /
                                                  (alpha + t + T)))
    den = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + tx))**(r +
                                                                          x)
    return first * second / den


def p_alive(params, x, tx, T):
    r, alpha, a, b = params
    log_div = (r + x) * np.log((alpha + T) / (alpha + tx)) + np.log(
        a / (b + np.maximum(x, 1) - 1))
    return np.where(x == 0, 1.0, expit(-log_div))


def expected_spend(params, x, m):
    p, q, v = params
    w = p * x / (p * x + q - 1)
    return (1 - w) * v * p / (q - 1) + w * m


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        "..", "shared", "data")
    s = np.genfromtxt(os.path.join(data, "cdnow", "cdnow_customers_summary.csv"),
                      delimiter=",", names=True)
    z = np.genfromtxt(os.path.join(
        data, "cdnow", "cdnow_customers_summary_with_transactions.csv"),
                      delimiter=",", names=True)
    x, tx, T = s["frequency"], s["recency"], s["T"]
    out = {}

    # Gauss 2F1 at points like the expected-purchases calls (and harder).
    points = [(0.5, 1.5, 2.5, 0.3), (1.24, 3.43, 2.22, 0.5),
              (2.24, 4.43, 3.22, 0.9), (-0.45, -0.21, 0.79, 0.7),
              (10.2, 12.4, 13.2, 0.95), (0.24, 2.42, 2.22, 0.99),
              (-1.6, -0.2, 5.2, 0.5), (3.0, 2.0, -0.5, 0.4),
              (1.0, 1.0, 2.0, 0.999)]
    out["hyp2f1"] = [{"a": a, "b": b, "c": c, "z": zz,
                      "value": float(hyp2f1(a, b, c, zz))}
                     for a, b, c, zz in points]

    published = np.array([0.242593, 4.413532, 0.792886, 2.425752])
    bg = fit_bgnbd(x, tx, T)
    out["bgnbd_cdnow"] = {
        "r": bg[0], "alpha": bg[1], "a": bg[2], "b": bg[3],
        "log_likelihood": float(bgnbd_ll(bg, x, tx, T).sum()),
        "ll_at_published": float(bgnbd_ll(published, x, tx, T).sum()),
    }
    bgp = fit_bgnbd(x, tx, T, penalizer=0.01)
    out["bgnbd_cdnow_penalized"] = {"penalizer": 0.01, "r": bgp[0],
                                    "alpha": bgp[1], "a": bgp[2], "b": bgp[3]}

    rep = z["x"] > 0
    gg = fit_gg(z["x"][rep], z["zbar"][rep])
    out["gamma_gamma_cdnow"] = {
        "p": gg[0], "q": gg[1], "v": gg[2], "n": int(rep.sum()),
        "log_likelihood": float(gg_ll(gg, z["x"][rep], z["zbar"][rep]).sum()),
    }

    # Predictions at the published parameters for a few customers.
    rows = []
    for i in [0, 1, 2, 10, 17, 110, 1500, 2356]:
        for t in [1.0, 39.0, 156.0]:
            rows.append({
                "index": i, "t": t,
                "expected": float(expected_purchases(published, t, x[i], tx[i],
                                                     T[i])),
                "p_alive": float(p_alive(published, x[i], tx[i], T[i])),
            })
    out["predictions"] = rows
    out["expected_spend"] = [{"x": float(xx), "m": float(mm),
                              "value": float(expected_spend(gg, xx, mm))}
                             for xx, mm in [(0, 0), (1, 11.77), (2, 22.35),
                                            (10, 45.0)]]
    # a = 1 is a removable singularity of the expected-purchases formula:
    # its value there is the limit, approached from both sides.
    near_one = np.array([0.3, 2.0, 1.0 + 1e-6, 3.0])
    out["expected_near_a1"] = float(
        expected_purchases(near_one, 10.0, 2.0, 5.0, 20.0))

    with open(os.path.join("tests", "reference", "clv_fixtures.json"),
              "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps({k: out[k] for k in ("bgnbd_cdnow", "gamma_gamma_cdnow",
                                          "bgnbd_cdnow_penalized")}, indent=1))


if __name__ == "__main__":
    main()
