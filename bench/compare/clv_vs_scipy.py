#!/usr/bin/python3
"""churnkit's FitBgNbd vs the lifetimes-equivalent scipy fit, same data, one run.

lifetimes itself is not installable here; its BetaGeoFitter is redone with
numpy/scipy exactly as tests/reference/clv_reference.py writes it: the
negative mean log-likelihood in log-parameters, times scaled by 10 / max(T),
minimised from all ones with scipy.optimize.minimize (BFGS; lifetimes gets
its gradient from autograd, we give scipy the same analytic gradient churnkit
uses, written in numpy, so neither side pays for finite differences).

  /usr/bin/python3 bench/compare/clv_vs_scipy.py BUILD_BENCH_DIR [SHARED_DATA]

BUILD_BENCH_DIR holds bench/clv_fit_file (cmake --preset bench). Data sets:
the CDNOW summaries (2,357 customers) and 10^4 .. 10^6 customers drawn from
a BG/NBD process with r=0.25, alpha=4, a=0.8, b=2.5 (numpy, seed 7).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

TRUE = np.array([0.25, 4.0, 0.8, 2.5])


def neg_ll_and_grad(u, x, tx, T):
    r, alpha, a, b = np.exp(u)
    n = len(x)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    bx1 = b + np.where(x == 0, 1, x) - 1
    a4 = np.log(a) - np.log(bx1) - (r + x) * np.log(tx + alpha)
    rep = x > 0
    m = np.maximum(a3, np.where(rep, a4, -np.inf))
    e3 = np.exp(a3 - m)
    e4 = np.exp(a4 - m) * rep
    ll = a1 + a2 + np.log(e3 + e4) + m
    w3, w4 = e3 / (e3 + e4), e4 / (e3 + e4)
    gr = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(
        alpha + T) - w4 * np.log(alpha + tx)
    galpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    ga = digamma(a + b) - digamma(a + b + x) + w4 / a
    gb = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(
        a + b + x) - w4 / bx1
    theta = np.array([r, alpha, a, b])
    g = np.array([gr.sum(), galpha.sum(), ga.sum(), gb.sum()])
    return -ll.sum() / n, -theta * g / n


def fit_scipy(x, tx, T):
    s = 10.0 / T.max()
    res = minimize(neg_ll_and_grad, np.zeros(4), args=(x, tx * s, T * s),
                   jac=True, method="BFGS", options={"gtol": 1e-9})
    p = np.exp(res.x)
    p[1] /= s
    return p, res.nit


def synthetic(n, rng):
    lam = rng.gamma(TRUE[0], 1 / TRUE[1], n)
    p = rng.beta(TRUE[2], TRUE[3], n)
    T = rng.uniform(1, 52, n)
    x = np.zeros(n)
    t = np.zeros(n)
    active = np.ones(n, bool)
    while active.any():
        nxt = t + rng.exponential(1 / np.maximum(lam, 1e-300))
        ok = active & (nxt < T)
        t = np.where(ok, nxt, t)
        x = x + ok
        active = ok & (rng.random(n) >= p)
    return x, np.where(x > 0, t, 0.0), T


def best_of(fn, repeats):
    best, out = 1e300, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    build = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        "..", "shared", "data")
    runner = os.path.join(build, "bench", "clv_fit_file")
    sets = []
    cdnow = os.path.join(shared, "cdnow", "cdnow_customers_summary.csv")
    if os.path.exists(cdnow):
        d = np.genfromtxt(cdnow, delimiter=",", names=True)
        sets.append(("CDNOW (2,357)", d["frequency"], d["recency"], d["T"]))
    rng = np.random.default_rng(7)
    for n in (10_000, 100_000, 1_000_000):
        sets.append((f"synthetic {n:,}",) + synthetic(n, rng))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, x, tx, T in sets:
            path = os.path.join(tmp, "rfm.f64")
            np.concatenate([x, tx, T]).astype(np.float64).tofile(path)
            repeats = 5 if len(x) <= 100_000 else 2
            ck = json.loads(subprocess.run(
                [runner, path, str(len(x)), str(repeats)], check=True,
                capture_output=True, text=True).stdout)
            sec, (p, nit) = best_of(lambda: fit_scipy(x, tx, T), repeats)
            ours = np.array([ck["r"], ck["alpha"], ck["a"], ck["b"]])
            rows.append({
                "data": name, "churnkit_s": ck["seconds"], "scipy_s": sec,
                "speedup": sec / ck["seconds"],
                "iterations": [ck["iterations"], int(nit)],
                "max_rel_param_diff": float(np.max(np.abs(ours / p - 1))),
                "churnkit_params": ours.round(6).tolist(),
                "recovery_rel_err": (None if name.startswith("CDNOW") else
                                     (ours / TRUE - 1).round(4).tolist()),
            })
    print("| data | churnkit | scipy (BFGS, analytic gradient) | ratio | "
          "iterations ck/scipy | max param diff | recovery (r, alpha, a, b) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['data']} | {r['churnkit_s'] * 1e3:.1f} ms | "
              f"{r['scipy_s'] * 1e3:.1f} ms | {r['speedup']:.1f}x | "
              f"{r['iterations'][0]}/{r['iterations'][1]} | "
              f"{r['max_rel_param_diff']:.1e} | {r['recovery_rel_err']} |")
    json.dump(rows, sys.stderr, indent=1)


if __name__ == "__main__":
    main()
