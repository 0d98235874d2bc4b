#!/usr/bin/python3
"""Scoring 10^6 x 91 doubles (best of 7 `Model.predict` calls each,
preallocated output): all finite with a model that rejects missing values,
all finite with a mean-imputing model, and 20% NaN with the imputing one.

  CHURNKIT_LIBRARY=build/default/libchurnkit.so PYTHONPATH=python \\
      /usr/bin/python3 bench/compare/score_nan.py
"""
import time, numpy as np, churnkit as ck
rng = np.random.default_rng(1)
n, d = 1_000_000, 91
x = rng.standard_normal((n, d)); y = (x[:, 0] + rng.standard_normal(n) > 0).astype(np.uint8)
names = [f"f{j}" for j in range(d)]
mi = ck.Model.fit(x[:20000], y[:20000], columns=names, options={"missing_values": "MISSING_IMPUTE_MEAN"})
mr = ck.Model.fit(x[:20000], y[:20000], columns=names)
xn = x.copy(); xn[rng.random((n, d)) < 0.2] = np.nan
out = np.empty(n)
def best(m, a):
    b = 1e9
    for _ in range(7):
        t = time.perf_counter(); m.predict(a, columns=names, out=out); b = min(b, time.perf_counter() - t)
    return b
print(f"finite, rejecting model {best(mr, x):.4f}  finite, imputing {best(mi, x):.4f}  20% NaN, imputing {best(mi, xn):.4f}")
